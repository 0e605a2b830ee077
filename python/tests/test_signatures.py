"""Signature strings and templates (no server needed)."""

import pytest

from udf_client import SignatureError, parse_signature, parse_signatures


def test_spellings():
    assert str(parse_signature("int64(int64, int64)")) == "int64(int64, int64)"
    assert str(parse_signature("i64(i8, i16, i32)")) == "int64(int8, int16, int32)"
    assert str(parse_signature("f64(f32, float, double)")) == "float64(float32, float32, float64)"
    assert str(parse_signature(" bool ( boolean , float64 ) ")) == "bool(bool, float64)"
    assert str(parse_signature("F64(I32)")) == "float64(int32)"
    sig = parse_signature("double(i32, bool)")
    assert sig.sql("f") == "f(INTEGER, BOOLEAN) -> DOUBLE"
    assert [a.ext_arg_type for a in sig.args] == [2, 14] and sig.ret.ext_arg_type == 5
    assert sig.args[1].llvm == "i8"  # bool travels as i8


def test_templates_expand_to_every_combination():
    sigs = parse_signatures(["T(T, T)"], {"T": ["i32", "f64"]})
    assert [str(s) for s in sigs] == ["int32(int32, int32)", "float64(float64, float64)"]
    sigs = parse_signatures(["T(T, U)"], {"T": ["i64", "f64"], "U": ["i8", "i16"]})
    assert [str(s) for s in sigs] == [
        "int64(int64, int8)", "int64(int64, int16)",
        "float64(float64, int8)", "float64(float64, int16)",
    ]
    # plain signatures next to templated ones
    sigs = parse_signatures(["T(T)", "bool(bool)"], {"T": ["i32"]})
    assert [str(s) for s in sigs] == ["int32(int32)", "bool(bool)"]


@pytest.mark.parametrize(
    "spec, templates, message",
    [
        ("int64(int64, string)", {}, "unknown type `string`"),
        ("int64(int64, int128)", {}, "use bool/boolean, int8..int64"),
        ("int64 int64", {}, "cannot parse signature `int64 int64`"),
        ("int64(int64[], int64)", {}, "`int64[]` is not a type name"),
        ("T(T)", {}, "make `T` a template variable"),
        ("T(T)", {"T": []}, "template variable `T` has no types"),
        ("T(T)", {"T": ["i32", "text"]}, "template variable `T`: unknown type 'text'"),
        ("int32(int32)", {"U": ["i32"]}, "U not used by any signature"),
    ],
)
def test_bad_signatures_say_what_is_wrong(spec, templates, message):
    with pytest.raises(SignatureError) as e:
        parse_signatures([spec], templates)
    assert message in str(e.value)


def test_same_arguments_twice_is_an_error():
    with pytest.raises(SignatureError, match="take the same arguments"):
        parse_signatures(["int64(int64)", "float64(i64)"])
    # the same overload spelled twice is one overload
    assert len(parse_signatures(["int64(int64)", "i64(i64)"])) == 1


def test_no_signature_is_an_error():
    with pytest.raises(SignatureError, match="at least one signature"):
        parse_signatures([])
