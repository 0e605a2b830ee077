"""rbc-project 0.13.0 (`rbc.heavydb.RemoteHeavyDB`): runtime scalar UDFs compiled by Numba
on the client and registered as LLVM IR with register_runtime_extension_functions."""

import math
import re
import warnings

import numpy as np
import pytest

import heavydb as pyheavydb
from rbc.errors import HeavyDBServerError

from conftest import make_remote_heavydb

# numpy.str0 / numpy.bool8 (used by rbc for direct calls) warn under numpy 1.26
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

NULL_VALUES = (
    "boolean1:1;boolean8:128;int8:128;int16:32768;int32:2147483648;"
    "int64:9223372036854775808;uint8:255;uint16:65535;uint32:4294967295;"
    "uint64:18446744073709551615;float32:8388608;float64:4503599627370496;"
    "Array<boolean8>:129;Array<int8>:129;Array<int16>:32769;Array<int32>:2147483649;"
    "Array<int64>:9223372036854775809;Array<float32>:16777216;Array<float64>:9007199254740992;"
)


def run(db, sql):
    """rbc's sql_execute -> (column names, type names, rows)."""
    descr, rows = db.sql_execute(sql)
    return [d.name for d in descr], [d.type_name for d in descr], list(rows)


@pytest.fixture
def rtable(rbc_heavydb, unique_name):
    """A table made the way rbc's own test fixture makes them: DROP/CREATE through
    sql_execute, rows through load_table_columnar (load_table_binary_columnar)."""
    db = rbc_heavydb
    name = unique_name("r")
    db.sql_execute(f"DROP TABLE IF EXISTS {name}")
    db.sql_execute(f"CREATE TABLE IF NOT EXISTS {name} (id INT, i1 TINYINT, i2 SMALLINT, "
                   f"i4 INT, i8 BIGINT, f4 FLOAT, f8 DOUBLE, b BOOLEAN)")
    db.load_table_columnar(
        name,
        id=[1, 2, 3, 4],
        i1=[1, -2, None, 100],
        i2=[10, -20, None, 1000],
        i4=[100, -200, None, 100000],
        i8=[1000, -2000, None, 2**40],
        f4=[0.5, -1.5, None, 8.25],
        f8=[0.25, -2.5, None, 1e100],
        b=[True, False, None, True],
    )
    yield name
    try:
        db.sql_execute(f"DROP TABLE IF EXISTS {name}")
    except Exception:
        pass


# ------------------------------------------------------------------ server facts rbc needs


def test_version_and_device_parameters(rbc_heavydb):
    db = rbc_heavydb
    v = db.version
    assert len(v) == 4 and isinstance(v[3], str) and v[3], v  # X.Y.Z plus a suffix
    assert v[:2] >= (6, 4)

    params = db.thrift_call("get_device_parameters", db.session_id)
    assert params["cpu_triple"].startswith("x86_64") or params["cpu_triple"].startswith("aarch64")
    assert params["cpu_name"]
    sizes = dict(kv.split(":") for kv in params["type_sizeof"].split(";") if kv)
    assert sizes["size_t"] == "8" and sizes["uint"] == "4" and sizes["int"] == "4"
    assert params["null_values"] == NULL_VALUES
    assert params["TDatumType.BOOL"] == "10"
    assert params["TDeviceType.CPU"] == "0"
    assert params["TEncodingType.DICT"] == "4"
    assert params["TExtArgumentType.Int32"] == "2"
    assert params["TExtArgumentType.ColumnDouble"] == "32"
    assert params["TOutputBufferSizeType.kConstant"] == "0"
    assert "cpu" in db.targets
    if "gpu_triple" in params:
        assert params["gpu_triple"].startswith("nvptx64")


def test_load_table_columnar_and_sentinels(rbc_heavydb, rtable):
    names, types, rows = run(rbc_heavydb, f"SELECT * FROM {rtable} ORDER BY id")
    assert names == ["id", "i1", "i2", "i4", "i8", "f4", "f8", "b"]
    assert types == ["INT", "TINYINT", "SMALLINT", "INT", "BIGINT", "FLOAT", "DOUBLE", "BOOL"]
    assert rows == [
        (1, 1, 10, 100, 1000, 0.5, 0.25, 1),
        (2, -2, -20, -200, -2000, -1.5, -2.5, 0),
        (3, None, None, None, None, None, None, None),
        (4, 100, 1000, 100000, 2**40, 8.25, 1e100, 1),
    ]


# ------------------------------------------------------------------ registration + queries


def test_overloads_chosen_by_column_type(rbc_heavydb, unique_name):
    db = rbc_heavydb
    t = unique_name("r")
    db.sql_execute(f"CREATE TABLE {t} (i4 INT, f8 DOUBLE)")
    db.load_table_columnar(t, i4=[1, 2, 3], f8=[0.5, 1.5, -2.0])

    @db("int32(int32)", "float64(float64)")
    def incr(x):
        return x + 1

    names, types, rows = run(db, f"SELECT incr(i4), incr(f8) FROM {t} ORDER BY i4")
    assert names == ["EXPR$0", "EXPR$1"]
    assert types == ["INT", "DOUBLE"]
    assert rows == [(2, 1.5), (3, 2.5), (4, -1.0)]

    # the mixed projection keeps the column name
    names, _, rows = run(db, f"SELECT i4, incr(i4) FROM {t} ORDER BY i4")
    assert names == ["i4", "EXPR$1"]
    assert rows == [(1, 2), (2, 3), (3, 4)]
    db.sql_execute(f"DROP TABLE {t}")


def test_template_overloads_for_every_scalar_type(rbc_heavydb, rtable):
    db = rbc_heavydb

    @db("T(T)", T=["int8", "int16", "int32", "int64", "float32", "float64"])
    def twice(x):
        return x + x

    names, types, rows = run(
        db, f"SELECT twice(i1), twice(i2), twice(i4), twice(i8), twice(f4), twice(f8) "
            f"FROM {rtable} ORDER BY id")
    assert types == ["TINYINT", "SMALLINT", "INT", "BIGINT", "FLOAT", "DOUBLE"]
    assert rows == [
        (2, 20, 200, 2000, 1.0, 0.5),
        (-4, -40, -400, -4000, -3.0, -5.0),
        (None,) * 6,
        (-56, 2000, 200000, 2**41, 16.5, 2e100),  # 100 + 100 wraps in int8
    ]


def test_two_argument_and_boolean_udfs(rbc_heavydb, rtable):
    db = rbc_heavydb

    @db("int64(int64, int64)")
    def add2(a, b):
        return a + b

    @db("bool(int32)")
    def is_even(x):
        return x % 2 == 0

    _, types, rows = run(db, f"SELECT add2(i8, id), is_even(id) FROM {rtable} ORDER BY id")
    assert types == ["BIGINT", "BOOL"]
    assert rows == [(1001, 0), (-1998, 1), (None, 0), (2**40 + 4, 1)]
    _, _, rows = run(db, f"SELECT id FROM {rtable} WHERE is_even(id) ORDER BY id")
    assert rows == [(2,), (4,)]


def test_null_inputs_give_null_outputs(rbc_heavydb, unique_name):
    db = rbc_heavydb
    t = unique_name("r")
    db.sql_execute(f"CREATE TABLE {t} (id INT, i4 INT, f8 DOUBLE)")
    db.load_table_columnar(t, id=[1, 2, 3], i4=[1, None, 3], f8=[None, 2.5, 0.25])

    @db("int32(int32)", "float64(float64)")
    def incr(x):
        return x + 1

    @db("int32(int32, int32)")
    def plus(a, b):
        return a + b

    _, _, rows = run(db, f"SELECT incr(i4), incr(f8), plus(i4, id) FROM {t} ORDER BY id")
    assert rows == [(2, None, 2), (None, 3.5, None), (4, 1.25, 6)]
    _, _, rows = run(db, f"SELECT COUNT(incr(i4)) FROM {t}")
    assert rows == [(2,)]
    db.sql_execute(f"DROP TABLE {t}")


def test_udf_returning_sentinel_is_null(rbc_heavydb, rtable):
    db = rbc_heavydb

    @db("int32(int32)")
    def null_if_negative(x):
        r = x
        if x < 0:
            r = np.int32(-2147483648)  # INT NULL sentinel
        return r

    _, _, rows = run(db, f"SELECT null_if_negative(i4) FROM {rtable} ORDER BY id")
    assert rows == [(100,), (None,), (None,), (100000,)]


def test_libm_functions(rbc_heavydb, unique_name):
    db = rbc_heavydb
    t = unique_name("r")
    xs = [0.0, 0.5, 1.0, 2.0, 10.0]
    ys = [1.0, 0.25, -3.0, 4.0, 0.0]
    db.sql_execute(f"CREATE TABLE {t} (x DOUBLE, y DOUBLE)")
    db.load_table_columnar(t, x=xs, y=ys)

    @db("float64(float64, float64)")
    def hypexp(x, y):
        return math.sqrt(x * x + y * y) * math.exp(-x)

    @db("float64(float64)")
    def mylog1p(x):
        return math.log(1.0 + x) + math.sin(x) * math.cos(x)

    _, _, rows = run(db, f"SELECT x, hypexp(x, y), mylog1p(x) FROM {t} ORDER BY x")
    assert [r[0] for r in rows] == xs
    for (x, h, l), y in zip(rows, ys):
        assert h == pytest.approx(math.sqrt(x * x + y * y) * math.exp(-x), rel=1e-12)
        assert l == pytest.approx(math.log(1.0 + x) + math.sin(x) * math.cos(x),
                                  rel=1e-12, abs=1e-15)
    db.sql_execute(f"DROP TABLE {t}")


def test_direct_calls_run_from_less_queries(rbc_heavydb):
    db = rbc_heavydb

    @db("int32(int32)", "float64(float64)")
    def incr(x):
        return x + 1

    @db("int64(int64, int64)")
    def add2(a, b):
        return a + b

    capsule = incr(np.int32(3))
    assert str(capsule) == "SELECT incr(CAST(3 AS INT))"
    got = capsule.execute()  # sends "SELECT incr(CAST(3 AS INT));" (trailing ;)
    assert got == 4 and isinstance(got, np.int32)

    assert incr(3).execute() == 4
    got = incr(2.5).execute()
    assert str(incr(2.5)) == "SELECT incr(CAST(2.5 AS DOUBLE))"
    assert got == 3.5  # rbc converts DOUBLE results through float32
    assert add2(40, 2).execute() == 42
    assert str(add2(add2(1, 2), 3)) == \
        "SELECT add2(CAST(add2(CAST(1 AS BIGINT), CAST(2 AS BIGINT)) AS BIGINT), CAST(3 AS BIGINT))"
    assert add2(add2(1, 2), 3).execute() == 6
    assert incr(3, hold=False) == 4


def test_registered_udfs_are_visible_to_pyheavydb(rbc_heavydb, conn):
    db = rbc_heavydb

    @db("int32(int32)")
    def shared_fn(x):
        return x * 3

    db.register()
    cur = conn.execute("SELECT shared_fn(CAST(5 AS INT))")
    assert cur.fetchall() == [(15,)]
    assert cur.description[0].name == "EXPR$0"
    # trailing ';' as rbc sends it for direct calls
    assert conn.execute("SELECT shared_fn(CAST(-2 AS INT));").fetchall() == [(-6,)]


def test_pyheavydb_connection_as_udf_decorator(alive):
    # pyheavydb's Connection.__call__ builds a RemoteHeavyDB from its own host/port/dbname
    c = pyheavydb.connect(**alive.connect_kwargs())
    try:
        @c("int64(int64)")
        def via_conn(x):
            return x - 1

        cur = c.cursor()  # a new cursor registers the pending UDFs
        cur.execute("SELECT via_conn(CAST(10 AS BIGINT))")
        assert cur.fetchall() == [(9,)]
        c._rbc.unregister()
    finally:
        c.close()


# ------------------------------------------------------------------ replacing / removing


def test_reregistration_replaces_code(alive, unique_name):
    db1 = make_remote_heavydb(alive)
    t = unique_name("r")
    db1.sql_execute(f"CREATE TABLE {t} (i4 INT)")
    db1.load_table_columnar(t, i4=[1, 2, 3])

    @db1("int32(int32)")
    def remade(x):
        return x + 1

    assert run(db1, f"SELECT remade(i4) FROM {t} ORDER BY i4")[2] == [(2,), (3,), (4,)]

    # same name, new body, from another client object (own session, own connection)
    db2 = make_remote_heavydb(alive)

    @db2("int32(int32)")
    def remade(x):  # noqa: F811
        return x * 10

    assert run(db2, f"SELECT remade(i4) FROM {t} ORDER BY i4")[2] == [(10,), (20,), (30,)]
    # the first client's session sees the new code too: registration is global
    assert run(db1, f"SELECT remade(i4) FROM {t} ORDER BY i4")[2] == [(10,), (20,), (30,)]

    # redefinition on the same object: the newest definition wins
    @db2("int32(int32)")
    def remade(x):  # noqa: F811
        return x - 100

    assert run(db2, f"SELECT remade(i4) FROM {t} ORDER BY i4")[2] == [(-99,), (-98,), (-97,)]

    # after unregister(), a fresh definition on the same object
    db2.unregister()

    @db2("int32(int32)")
    def remade(x):  # noqa: F811
        return x * x

    assert run(db2, f"SELECT remade(i4) FROM {t} ORDER BY i4")[2] == [(1,), (4,), (9,)]
    db2.unregister()
    db1.sql_execute(f"DROP TABLE {t}")


def test_registration_replaces_the_whole_set(rbc_heavydb, alive):
    db = rbc_heavydb

    @db("int32(int32)")
    def first_only(x):
        return x

    db.register()
    assert first_only(np.int32(7)).execute() == 7

    other = make_remote_heavydb(alive)

    @other("int32(int32)")
    def second_only(x):
        return x

    other.register()  # replaces everything: first_only is gone for everybody
    assert second_only(np.int32(8)).execute() == 8
    with pytest.raises(HeavyDBServerError, match=re.compile("undefined function call 'first_only'", re.I)):
        db.sql_execute("SELECT first_only(CAST(1 AS INT))")
    other.unregister()


def test_unregister_removes_functions(rbc_heavydb, rtable, conn):
    db = rbc_heavydb

    @db("int32(int32)")
    def gone_soon(x):
        return x + 5

    assert run(db, f"SELECT gone_soon(i4) FROM {rtable} WHERE id = 1")[2] == [(105,)]
    assert "gone_soon" in [n.lower() for n in db.function_names(runtime_only=True)]

    db.unregister()
    assert "gone_soon" not in [n.lower() for n in db.function_names(runtime_only=True)]
    with pytest.raises(HeavyDBServerError,
                       match=re.compile("undefined function call 'gone_soon'", re.I)):
        db.sql_execute(f"SELECT gone_soon(i4) FROM {rtable}")
    with pytest.raises(pyheavydb.ProgrammingError) as ei:
        conn.execute(f"SELECT gone_soon(i4) FROM {rtable}")
    msg = str(ei.value)
    assert msg.startswith("SQL Error")
    assert re.search(r": No match found for function signature gone_soon\(", msg, re.I), msg


def test_wrong_argument_type_is_a_no_match_error(rbc_heavydb, unique_name):
    db = rbc_heavydb
    t = unique_name("r")
    db.sql_execute(f"CREATE TABLE {t} (s TEXT)")

    @db("int32(int32)")
    def ints_only(x):
        return x

    with pytest.raises(HeavyDBServerError) as ei:
        db.sql_execute(f"SELECT ints_only(s) FROM {t}")
    assert "ints_only" in str(ei.value).lower()
    db.sql_execute(f"DROP TABLE {t}")


# ------------------------------------------------------------------ introspection


def test_function_introspection(rbc_heavydb):
    db = rbc_heavydb

    @db("int32(int32)", "float64(float64)")
    def introspected(x):
        return x + 1

    @db("int64(int64, int64)")
    def other_fn(a, b):
        return a * b

    db.register()
    names = [n.lower() for n in db.function_names(runtime_only=True)]
    assert sorted(set(names)) == ["introspected", "other_fn"]
    assert len(names) == len(set(names))  # suffixes dropped, deduplicated
    builtin = [n.lower() for n in db.function_names(runtime_only=False)]
    assert "introspected" not in builtin

    details = db.function_details("introspected")
    cpu = sorted((d.name, list(d.argTypes), d.retType) for d in details if "__cpu_" in d.name)
    assert cpu == [("introspected__cpu_0", [2], 2), ("introspected__cpu_1", [5], 5)]
    for d in details:
        assert d.name.lower().startswith("introspected__")
        assert d.annotations == [{}] * (len(d.argTypes) + 1)

    details = db.function_details("OTHER_FN")  # case-insensitive
    assert sorted(d.name for d in details if "__cpu_" in d.name) == ["other_fn__cpu_0"]
    assert db.function_details("no_such_udf") == []

    assert db.table_function_names(runtime_only=True) == []
