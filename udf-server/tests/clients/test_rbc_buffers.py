"""rbc-project 0.13.0 runtime UDFs over arrays (`T[]`) and non-encoded text
(`TextEncodingNone`): what Numba makes of them, registered with
register_runtime_extension_functions and run over columns loaded by rbc itself."""

import numpy as np
import pytest
from rbc.heavydb import Array

from conftest import make_remote_heavydb  # noqa: F401  (fixtures come from conftest)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ELEMENTS = ["bool", "int8", "int16", "int32", "int64", "float", "double"]
COLUMNS = ["b", "i1", "i2", "i4", "i8", "f4", "f8"]
SQL_TYPES = ["BOOLEAN", "TINYINT", "SMALLINT", "INT", "BIGINT", "FLOAT", "DOUBLE"]


def rows(db, sql):
    _, result = db.sql_execute(sql)
    return list(result)


@pytest.fixture
def atable(rbc_heavydb, unique_name):
    """Array columns of every element type, loaded with rbc's load_table_columnar: a row
    of values, a NULL array, an empty array, and arrays with a NULL element."""
    db = rbc_heavydb
    name = unique_name("a")
    cols = ", ".join(f"{c} {t}[]" for c, t in zip(COLUMNS, SQL_TYPES))
    db.sql_execute(f"CREATE TABLE {name} (id INT, {cols})")
    db.load_table_columnar(
        name,
        id=[1, 2, 3, 4],
        b=[[True, False, True], None, [], [None, True]],
        i1=[[1, 2, 3], None, [], [None, -4]],
        i2=[[100, 200, 300], None, [], [None, -400]],
        i4=[[1000, 2000, 3000], None, [], [None, -4000]],
        i8=[[10**10, 2, 3], None, [], [None, -4]],
        f4=[[1.5, 2.5, 3.5], None, [], [None, -4.5]],
        f8=[[0.25, 0.5, 0.75], None, [], [None, -4.25]],
    )
    yield name
    try:
        db.sql_execute(f"DROP TABLE IF EXISTS {name}")
    except Exception:
        pass


def test_array_length_for_every_element_type(rbc_heavydb, atable):
    db = rbc_heavydb

    @db("int64(T[])", T=ELEMENTS)
    def arr_len(x):
        return len(x)

    for col in COLUMNS:
        got = rows(db, f"SELECT arr_len({col}) FROM {atable} ORDER BY id")
        # A NULL array reaches the function (as in HeavyDB), with no elements.
        assert got == [(3,), (0,), (0,), (2,)], col


def test_array_element_access_for_every_element_type(rbc_heavydb, atable):
    db = rbc_heavydb

    @db("T(T[], int64)", T=ELEMENTS)
    def arr_at(x, i):
        return x[i]

    expected = {
        "b": [(True, True)],
        "i1": [(1, 3)],
        "i2": [(100, 300)],
        "i4": [(1000, 3000)],
        "i8": [(10**10, 3)],
        "f4": [(1.5, 3.5)],
        "f8": [(0.25, 0.75)],
    }
    for col in COLUMNS:
        got = rows(db, f"SELECT arr_at({col}, 0), arr_at({col}, 2) FROM {atable} WHERE id = 1")
        assert [tuple(v if not isinstance(v, float) else round(v, 6) for v in r)
                for r in got] == expected[col], col
        # A NULL element is the element type's NULL sentinel: SQL NULL. (Numba turns a
        # bool element into 0 or 1 when it reads it, so the bool sentinel comes back
        # true, as it does from HeavyDB.)
        got = rows(db, f"SELECT arr_at({col}, 0) FROM {atable} WHERE id = 4")
        assert got == [(True if col == "b" else None,)], col


def test_array_null_check(rbc_heavydb, atable):
    """rbc's own `array_null_check` (rbc/tests/heavydb/test_array_null.py)."""
    db = rbc_heavydb

    @db("int64(T[], int64)", T=ELEMENTS)
    def array_null_check(x, index):
        if x.is_null():
            return 0
        if x.is_null(index):
            return 1
        return 2

    for col in COLUMNS:
        got = rows(db, f"SELECT array_null_check({col}, 0) FROM {atable} "
                       f"WHERE id <> 3 ORDER BY id")
        assert got == [(2,), (0,), (1,)], col


def test_array_literals_in_direct_calls(rbc_heavydb):
    db = rbc_heavydb

    @db("int64(int32[])", "int64(double[])")
    def arr_sum(x):
        s = 0
        for i in range(len(x)):
            s += x[i]
        return s

    assert rows(db, "SELECT arr_sum(ARRAY[CAST(1 AS INT), CAST(2 AS INT), CAST(39 AS INT)])") \
        == [(42,)]
    assert rows(db, "SELECT arr_sum([1, 2, 3])") == [(6,)]
    assert arr_sum(np.array([1, 2, 3], dtype=np.int32)).execute() == 6


def test_array_return(rbc_heavydb, atable):
    """rbc's `array_return` (rbc/tests/heavydb/test_array.py): the array comes from
    `allocate_varlen_buffer`; rbc flags a length-0 array NULL."""
    db = rbc_heavydb

    @db("double[](int32)")
    def array_return(n):
        a = Array(n, "double")
        for i in range(n):
            a[i] = i
        return a

    @db("int32[](int32[])")
    def arr_twice(x):
        r = Array(len(x), "int32")
        for i in range(len(x)):
            if x.is_null(i):
                r.set_null(i)
            else:
                r[i] = 2 * x[i]
        return r

    assert rows(db, "SELECT array_return(3)") == [([0.0, 1.0, 2.0],)]
    assert rows(db, "SELECT array_return(0)") == [(None,)]
    got = rows(db, f"SELECT arr_twice(i4) FROM {atable} ORDER BY id")
    assert got == [([2000, 4000, 6000],), (None,), (None,), ([None, -8000],)]


def test_text_length(rbc_heavydb, unique_name):
    """rbc's `mystrlen` (rbc/tests/heavydb/test_text_encoding_none.py)."""
    db = rbc_heavydb
    t = unique_name("s")
    db.sql_execute(f"CREATE TABLE {t} (id INT, s TEXT ENCODING NONE)")
    # rbc's load_table_columnar cannot load a NULL text ("TODO: null support for text").
    db.load_table_columnar(t, id=[1, 3, 4], s=["banana", "", "héllo"])
    db.sql_execute(f"INSERT INTO {t} VALUES (2, NULL)")

    @db("int32(TextEncodingNone, TextEncodingNone)")
    def mystrlen(s, s2):
        return len(s) + len(s2)

    @db("int32(TextEncodingNone, int32)")
    def byte_at(s, i):
        if i < len(s):
            return s[i]
        return -1

    got = rows(db, f"SELECT mystrlen(s, s), byte_at(s, 0), byte_at(s, 1) FROM {t} ORDER BY id")
    # Bytes, not characters: "é" is 0xC3 0xA9 (Numba reads them as signed int8).
    assert got == [(12, ord("b"), ord("a")), (0, -1, -1), (0, -1, -1), (12, ord("h"), -61)]
    assert rows(db, "SELECT mystrlen('ab', 'cde')") == [(5,)]


def test_text_return(rbc_heavydb, unique_name):
    """rbc's `make_abc` and `myupper` (rbc/tests/heavydb/test_text_encoding_none.py)."""
    from rbc.heavydb import TextEncodingNone

    db = rbc_heavydb

    @db("TextEncodingNone(int32, int32)")
    def make_abc(first, n):
        r = TextEncodingNone(n)
        for i in range(n):
            r[i] = first + i
        return r

    @db("TextEncodingNone(TextEncodingNone)")
    def myupper(s):
        r = TextEncodingNone(len(s))
        for i in range(len(s)):
            c = s[i]
            if c >= 97 and c <= 122:
                c = c - 32
            r[i] = c
        return r

    assert rows(db, "SELECT make_abc(97, 10)") == [("abcdefghij",)]
    t = unique_name("u")
    db.sql_execute(f"CREATE TABLE {t} (id INT, s TEXT ENCODING NONE)")
    db.load_table_columnar(t, id=[1, 2, 3], s=["hello", "World 42", ""])
    got = rows(db, f"SELECT s, myupper(s) FROM {t} ORDER BY id")
    # rbc flags a text it made with length 0 NULL, as it does arrays.
    assert got == [("hello", "HELLO"), ("World 42", "WORLD 42"), ("", None)]
