"""heavyai 1.3 (pyheavydb subclass: Arrow / columnar / row-wise loading, select_ipc)."""

import datetime
import warnings
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from heavydb.thrift.ttypes import TArrowTransport, TDBException

# heavyai 1.3 uses pandas APIs that pandas 2.2 deprecates; that is the client's business.
pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning",
                                        "ignore::DeprecationWarning")


def normalized(df):
    """select_ipc result -> comparable frame: dictionary-encoded text may come back as
    pandas Categorical, TIMESTAMP(0) as datetime64[s]."""
    out = df.copy()
    for c in out.columns:
        dt = out[c].dtype
        if isinstance(dt, pd.CategoricalDtype):
            out[c] = out[c].astype(object)
        elif pd.api.types.is_datetime64_any_dtype(dt):
            out[c] = out[c].astype("datetime64[ns]")
    return out


def rows(hai, sql):
    return hai.execute(sql).fetchall()


@pytest.fixture
def htable(hai, unique_name):
    name = unique_name("h")
    yield name
    try:
        hai.execute(f"DROP TABLE IF EXISTS {name}")
    except Exception:
        pass


FRAME = pd.DataFrame({
    "i8": np.array([1, 2, 3], dtype=np.int64),
    "i4": np.array([10, -20, 30], dtype=np.int32),
    "i2": np.array([7, -7, 0], dtype=np.int16),
    "f8": np.array([1.5, -2.25, 1e10], dtype=np.float64),
    "f4": np.array([0.5, 1.0, -4.0], dtype=np.float32),
    "s": ["a", "bb", "ccc"],
    "b": [True, False, True],
    "ts": pd.to_datetime(["2024-01-01 00:00:01", "1970-01-01 00:00:00",
                          "1999-12-31 23:59:59"]),
})


def test_load_table_create_infer_and_select_ipc_roundtrip(hai, htable):
    assert htable not in hai.get_tables()
    hai.load_table(htable, FRAME, create="infer")  # get_tables, create_table, Arrow load
    assert htable in hai.get_tables()

    details = {c.name: c for c in hai.get_column_details(htable)}
    assert list(details) == list(FRAME.columns)
    assert {n: c.type for n, c in details.items()} == {
        "i8": "BIGINT", "i4": "INT", "i2": "SMALLINT", "f8": "DOUBLE", "f4": "FLOAT",
        "s": "STR", "b": "BOOL", "ts": "TIMESTAMP"}
    assert details["s"].encoding == "DICT" and details["s"].comp_param == 32
    assert details["ts"].precision == 0

    got = hai.select_ipc(f"SELECT i8, i4, i2, f8, f4, s, b, ts FROM {htable} ORDER BY i8")
    got = normalized(got)
    pd.testing.assert_frame_equal(got, FRAME, check_dtype=False)
    assert got["i8"].dtype == np.int64
    assert got["i4"].dtype == np.int32
    assert got["i2"].dtype == np.int16
    assert got["f8"].dtype == np.float64
    assert got["f4"].dtype == np.float32
    assert got["b"].dtype == np.bool_

    # the same data through pyheavydb's row path
    assert rows(hai, f"SELECT i8, s, b FROM {htable} ORDER BY i8") == [
        (1, "a", 1), (2, "bb", 0), (3, "ccc", 1)]


def test_load_table_into_existing_table_appends(hai, htable):
    hai.load_table(htable, FRAME, create="infer")
    hai.load_table(htable, FRAME, create="infer")  # exists now: no create_table
    assert rows(hai, f"SELECT COUNT(*), SUM(i8) FROM {htable}") == [(6, 12)]


def test_create_table_from_dataframe(hai, htable):
    df = pd.DataFrame({"a": np.array([1], dtype=np.int8), "t": ["x"],
                       "d": [datetime.date(2020, 1, 2)]})
    hai.create_table(htable, df)
    details = hai.get_column_details(htable)
    assert [(c.name, c.type) for c in details] == [("a", "TINYINT"), ("t", "STR"),
                                                    ("d", "DATE")]
    assert details[1].encoding == "DICT"
    assert rows(hai, f"SELECT COUNT(*) FROM {htable}") == [(0,)]


def test_load_table_arrow_with_nulls(hai, htable):
    hai.execute(f"CREATE TABLE {htable} (id INT, i8 BIGINT, f8 DOUBLE, f4 FLOAT, "
                f"s TEXT, b BOOLEAN, dt DATE, ts TIMESTAMP)")
    tbl = pa.table({
        "id": pa.array([1, 2, 3], pa.int32()),
        "i8": pa.array([5, None, -5], pa.int64()),
        "f8": pa.array([None, 0.25, 3.0], pa.float64()),
        "f4": pa.array([1.5, 2.5, None], pa.float32()),
        "s": pa.array(["x", None, "zz"], pa.string()),
        "b": pa.array([None, True, False], pa.bool_()),
        "dt": pa.array([datetime.date(2024, 2, 29), None, datetime.date(1969, 12, 31)],
                       pa.date32()),
        "ts": pa.array([datetime.datetime(2001, 2, 3, 4, 5, 6), None,
                        datetime.datetime(1960, 1, 1)], pa.timestamp("s")),
    })
    hai.load_table_arrow(htable, tbl)
    assert rows(hai, f"SELECT id, i8, f8, f4, s, b, dt, ts FROM {htable} ORDER BY id") == [
        (1, 5, None, 1.5, "x", None, datetime.date(2024, 2, 29),
         datetime.datetime(2001, 2, 3, 4, 5, 6)),
        (2, None, 0.25, 2.5, None, 1, None, None),
        (3, -5, 3.0, None, "zz", 0, datetime.date(1969, 12, 31),
         datetime.datetime(1960, 1, 1)),
    ]
    assert rows(hai, f"SELECT COUNT(*) FROM {htable} WHERE s IS NULL") == [(1,)]


def test_load_table_infer_with_nulls(hai, htable):
    df = pd.DataFrame({
        "n": pd.array([1, None, 3], dtype="Int64"),
        "x": [0.5, np.nan, -1.0],
        "s": ["a", None, "c"],
    })
    hai.load_table(htable, df, create="infer")
    assert rows(hai, f"SELECT n, x, s FROM {htable} ORDER BY x NULLS FIRST") == [
        (None, None, None), (3, -1.0, "c"), (1, 0.5, "a")]
    got = normalized(hai.select_ipc(f"SELECT n, x, s FROM {htable} WHERE n IS NULL"))
    assert len(got) == 1
    assert got["n"].isna().all() and got["x"].isna().all() and got["s"].isna().all()


def test_load_table_columnar(hai, htable):
    hai.execute(f"CREATE TABLE {htable} (i4 INT, i8 BIGINT, f8 DOUBLE, s TEXT, "
                f"b BOOLEAN, d DECIMAL(10,2), dt DATE, tm TIME, ts TIMESTAMP)")
    df = pd.DataFrame({
        # int NULLs need pandas' nullable dtypes: heavyai 1.3 cannot send a float64
        # column (ints with NaN) as int_col with pandas 2.x.
        "i4": pd.array([1, None, 3], dtype="Int32"),
        "i8": np.array([10, 20, 30], dtype=np.int64),
        "f8": [1.5, None, -2.0],
        "s": ["a", None, "c"],
        "b": [True, None, False],
        # DECIMAL columns must be decimal.Decimal objects for the same reason
        "d": [Decimal("1.25"), None, Decimal("-3.50")],
        "dt": [datetime.date(2024, 1, 2), None, datetime.date(1969, 12, 31)],
        "tm": [datetime.time(1, 2, 3), None, datetime.time(23, 59, 59)],
        "ts": pd.to_datetime(["2024-01-01 00:00:01", None, "1969-12-31 23:59:59"]),
    })
    hai.load_table_columnar(htable, df)  # get_table_details, load_table_binary_columnar
    got = rows(hai, f"SELECT i4, i8, f8, s, b, d, dt, tm, ts FROM {htable} ORDER BY i8")
    assert got == [
        (1, 10, 1.5, "a", 1, 1.25, datetime.date(2024, 1, 2), datetime.time(1, 2, 3),
         datetime.datetime(2024, 1, 1, 0, 0, 1)),
        (None, 20, None, None, None, None, None, None, None),
        (3, 30, -2.0, "c", 0, -3.5, datetime.date(1969, 12, 31),
         datetime.time(23, 59, 59), datetime.datetime(1969, 12, 31, 23, 59, 59)),
    ]


def test_load_table_columnar_chunked(hai, htable):
    hai.execute(f"CREATE TABLE {htable} (i BIGINT, x DOUBLE)")
    n = 2000
    df = pd.DataFrame({"i": np.arange(n, dtype=np.int64), "x": np.arange(n) * 0.5})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hai.load_table_columnar(htable, df, chunk_size_bytes=4096)  # several RPCs
    assert rows(hai, f"SELECT COUNT(*), SUM(i), SUM(x) FROM {htable}") == [
        (n, n * (n - 1) // 2, n * (n - 1) / 4)]


def test_load_table_rowwise(hai, htable):
    hai.execute(f"CREATE TABLE {htable} (i INT, s TEXT, x DOUBLE, b BOOLEAN, "
                f"ts TIMESTAMP, dt DATE)")
    data = [
        (1, "one", 1.5, True, datetime.datetime(2020, 5, 6, 7, 8, 9),
         datetime.date(2020, 5, 6)),
        (2, "two words", -0.25, False, datetime.datetime(1970, 1, 1),
         datetime.date(1970, 1, 1)),
    ]
    hai.load_table_rowwise(htable, data)  # load_table with TStringRow, all as text
    assert rows(hai, f"SELECT i, s, x, b, ts, dt FROM {htable} ORDER BY i") == [
        (1, "one", 1.5, 1, datetime.datetime(2020, 5, 6, 7, 8, 9), datetime.date(2020, 5, 6)),
        (2, "two words", -0.25, 0, datetime.datetime(1970, 1, 1), datetime.date(1970, 1, 1)),
    ]


def test_load_table_method_rows_and_columnar(hai, htable):
    hai.execute(f"CREATE TABLE {htable} (i BIGINT, s TEXT)")
    df = pd.DataFrame({"i": np.array([1, 2], dtype=np.int64), "s": ["p", "q"]})
    hai.load_table(htable, df, method="rows", create=False)
    hai.load_table(htable, df, method="columnar", create=False)
    hai.load_table(htable, df, method="arrow", create=False)
    assert rows(hai, f"SELECT i, s, COUNT(*) FROM {htable} GROUP BY i, s ORDER BY i") == [
        (1, "p", 3), (2, "q", 3)]


def test_select_ipc_empty_result_and_expressions(hai, htable):
    hai.load_table(htable, FRAME, create="infer")
    got = hai.select_ipc(f"SELECT i8, s FROM {htable} WHERE i8 > 100")
    assert list(got.columns) == ["i8", "s"]
    assert len(got) == 0

    got = normalized(hai.select_ipc(
        f"SELECT i8 * 2 AS twice, f8 + 1 AS f FROM {htable} ORDER BY i8"))
    assert got["twice"].tolist() == [2, 4, 6]
    assert got["f"].tolist() == [2.5, -1.25, 1e10 + 1]


def test_select_ipc_shared_memory_is_refused(hai, htable):
    hai.load_table(htable, FRAME, create="infer")
    with pytest.raises(TDBException):
        hai.select_ipc(f"SELECT i8 FROM {htable}",
                       transport_method=TArrowTransport.SHARED_MEMORY)
    assert rows(hai, "SELECT 1") == [(1,)]  # connection still fine


def test_select_ipc_sql_error(hai):
    with pytest.raises(TDBException) as ei:
        hai.select_ipc("SELECT * FROM no_such_table_for_ipc")
    assert ei.value.error_msg.startswith("SQL Error")


def test_get_tables(hai, htable, unique_name):
    other = unique_name("h2")
    hai.execute(f"CREATE TABLE {htable} (a INT)")
    hai.execute(f"CREATE TABLE {other} (a INT)")
    try:
        tables = hai.get_tables()
        assert isinstance(tables, list)
        assert htable in tables and other in tables
    finally:
        hai.execute(f"DROP TABLE {other}")
    tables = hai.get_tables()
    assert htable in tables and other not in tables


def test_get_table_details(hai, htable):
    hai.execute(f"CREATE TABLE {htable} (b BOOLEAN, i1 TINYINT, i2 SMALLINT, "
                f"i4 INT NOT NULL, i8 BIGINT, f4 FLOAT, f8 DOUBLE, d DECIMAL(12,3), "
                f"s TEXT, sd TEXT ENCODING DICT(32), sn TEXT ENCODING NONE, dt DATE, "
                f"tm TIME, ts TIMESTAMP, ts3 TIMESTAMP(3))")
    details = hai.get_column_details(htable)
    got = [(c.name, c.type, c.nullable, c.encoding, c.is_array) for c in details]
    by_enc = {c.name: c.encoding for c in details}
    # HeavyDB stores DATE as ENCODING DAYS(32) and reports DATE_IN_DAYS; NONE is fine too
    assert by_enc["dt"] in ("DATE_IN_DAYS", "NONE")
    assert got == [
        ("b", "BOOL", True, "NONE", False),
        ("i1", "TINYINT", True, "NONE", False),
        ("i2", "SMALLINT", True, "NONE", False),
        ("i4", "INT", False, "NONE", False),
        ("i8", "BIGINT", True, "NONE", False),
        ("f4", "FLOAT", True, "NONE", False),
        ("f8", "DOUBLE", True, "NONE", False),
        ("d", "DECIMAL", True, "NONE", False),
        ("s", "STR", True, "DICT", False),
        ("sd", "STR", True, "DICT", False),
        ("sn", "STR", True, "NONE", False),
        ("dt", "DATE", True, by_enc["dt"], False),
        ("tm", "TIME", True, "NONE", False),
        ("ts", "TIMESTAMP", True, "NONE", False),
        ("ts3", "TIMESTAMP", True, "NONE", False),
    ]
    by_name = {c.name: c for c in details}
    assert (by_name["d"].precision, by_name["d"].scale) == (12, 3)
    assert by_name["s"].comp_param == 32 and by_name["sd"].comp_param == 32
    assert by_name["ts"].precision == 0 and by_name["ts3"].precision == 3

    raw = hai.get_table_details(htable)
    assert [c.col_name for c in raw.row_desc] == [g[0] for g in got]
    assert raw.view_sql == ""
    assert raw.is_temporary is False


def test_get_table_details_unknown_table(hai):
    with pytest.raises(TDBException) as ei:
        hai.get_table_details("no_such_table_for_details")
    assert "no_such_table_for_details" in ei.value.error_msg
