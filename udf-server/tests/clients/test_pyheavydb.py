"""pyheavydb 8.0.1 (DB-API 2 client, module `heavydb`) against udf-server."""

import datetime

import numpy as np
import pytest

import heavydb
from heavydb.common.ttypes import TDatumType, TEncodingType
from heavydb.exceptions import Error, ProgrammingError

T = TDatumType


# ------------------------------------------------------------------ connecting


def test_connect_with_dbname_and_select_literal(conn):
    assert isinstance(conn._session, str) and conn._session
    cur = conn.execute("SELECT 1")
    assert cur.fetchall() == [(1,)]


def test_connect_without_dbname_uses_default_database(alive):
    # dbname=None: pyheavydb omits field 3 of `connect`
    c = heavydb.connect(**alive.connect_kwargs(dbname=None))
    try:
        assert c.execute("SELECT 2").fetchall() == [(2,)]
    finally:
        c.close()


def test_connect_uri_form(alive):
    uri = (f"heavydb://{alive.user}:{alive.password}@{alive.host}:{alive.port}/"
           f"{alive.dbname}?protocol=binary")
    c = heavydb.connect(uri)
    try:
        assert c.execute("SELECT 3").fetchall() == [(3,)]
    finally:
        c.close()


def test_bad_password_is_rejected(alive):
    with pytest.raises(Error) as ei:
        heavydb.connect(**alive.connect_kwargs(password="not-the-password"))
    assert not isinstance(ei.value, ProgrammingError), ei.value
    assert str(ei.value)


def test_unknown_user_is_rejected(alive):
    with pytest.raises(Error):
        heavydb.connect(**alive.connect_kwargs(user="nobody_" + "x" * 8))


def test_unknown_database_is_rejected(alive):
    with pytest.raises(Error):
        heavydb.connect(**alive.connect_kwargs(dbname="no_such_db_xyz"))


def test_existing_session_id_is_accepted_on_a_new_connection(conn, alive):
    # heavydb.connect(sessionid=...) validates the session with get_tables on a new TCP
    # connection: sessions are global, not tied to the connection that made them.
    other = heavydb.connect(sessionid=conn._session, host=alive.host, port=alive.port)
    try:
        assert other.execute("SELECT 4").fetchall() == [(4,)]
    finally:
        other.close()  # does not disconnect a borrowed session
    assert conn.execute("SELECT 5").fetchall() == [(5,)]


def test_forged_session_id_is_rejected(alive):
    with pytest.raises(Error, match="Session not valid or expired"):
        heavydb.connect(sessionid="F" * 32, host=alive.host, port=alive.port)


def test_close_disconnects_the_session(connect, alive):
    c = connect()
    session = c._session
    assert c.execute("SELECT 1").fetchall() == [(1,)]
    c.close()
    assert c.closed
    with pytest.raises(Error, match="Session not valid or expired"):
        heavydb.connect(sessionid=session, host=alive.host, port=alive.port)


def test_context_manager_closes(alive):
    with heavydb.connect(**alive.connect_kwargs()) as c:
        assert c.execute("SELECT 6").fetchall() == [(6,)]
    assert c.closed


# ------------------------------------------------------------------ DDL / DML


def test_create_insert_select_drop(conn, table):
    conn.execute(f"DROP TABLE IF EXISTS {table}")
    conn.execute(f"CREATE TABLE {table} (id INT, name TEXT)")
    conn.execute(f"INSERT INTO {table} VALUES (1, 'one')")
    conn.execute(f"INSERT INTO {table} VALUES (2, 'two')")
    conn.execute(f"INSERT INTO {table} (name, id) VALUES ('three', 3)")
    cur = conn.execute(f"SELECT id, name FROM {table} ORDER BY id")
    assert cur.fetchall() == [(1, "one"), (2, "two"), (3, "three")]
    assert cur.rowcount == 3
    assert [d.name for d in cur.description] == ["id", "name"]

    tables = conn._client.get_tables(conn._session)
    assert table in tables

    conn.execute(f"DROP TABLE {table}")
    assert table not in conn._client.get_tables(conn._session)
    conn.execute(f"DROP TABLE IF EXISTS {table}")  # no error when missing


def test_create_existing_table_fails(conn, table):
    conn.execute(f"CREATE TABLE {table} (a INT)")
    with pytest.raises(Error, match="(?i)already exists"):
        conn.execute(f"CREATE TABLE {table} (a INT)")
    conn.execute(f"CREATE TABLE IF NOT EXISTS {table} (a INT)")  # no error


def test_drop_missing_table_fails(conn, unique_name):
    missing = unique_name("missing")
    with pytest.raises(Error, match="(?i)does not exist|doesn.t exist|not found"):
        conn.execute(f"DROP TABLE {missing}")


ALL_TYPES_DDL = """(
  id INT,
  b BOOLEAN,
  i1 TINYINT,
  i2 SMALLINT,
  i4 INT,
  i8 BIGINT,
  f4 FLOAT,
  f8 DOUBLE,
  d DECIMAL(10,2),
  s TEXT,
  sd TEXT ENCODING DICT(32),
  sn TEXT ENCODING NONE,
  dt DATE,
  tm TIME,
  ts TIMESTAMP
)"""

ALL_TYPES_ROWS = [
    "(1, TRUE, 127, 32767, 2147483647, 9223372036854775807, 1.5, 2.25, 12345678.91,"
    " 'hello', 'dict', 'none', '2024-02-29', '23:59:58', '2024-02-29 12:34:56')",
    "(2, FALSE, -127, -32767, -2147483647, -9223372036854775807, -0.5, -1e300, -0.01,"
    " 'ümlaut ✓', 'x y', 'it''s', '1969-12-31', '00:00:00', '1969-12-31 23:59:59')",
    "(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
]

ALL_TYPES_EXPECTED = [
    (1, 1, 127, 32767, 2147483647, 9223372036854775807, 1.5, 2.25, 12345678.91,
     "hello", "dict", "none", datetime.date(2024, 2, 29), datetime.time(23, 59, 58),
     datetime.datetime(2024, 2, 29, 12, 34, 56)),
    (2, 0, -127, -32767, -2147483647, -9223372036854775807, -0.5, -1e300, -0.01,
     "ümlaut ✓", "x y", "it's", datetime.date(1969, 12, 31), datetime.time(0, 0, 0),
     datetime.datetime(1969, 12, 31, 23, 59, 59)),
    (3,) + (None,) * 14,
]

ALL_TYPES_COLUMNS = [
    # name, TDatumType, python type of a non-NULL value
    ("id", T.INT, int),
    ("b", T.BOOL, int),  # pyheavydb returns BOOLEAN as 0/1 from int_col
    ("i1", T.TINYINT, int),
    ("i2", T.SMALLINT, int),
    ("i4", T.INT, int),
    ("i8", T.BIGINT, int),
    ("f4", T.FLOAT, float),
    ("f8", T.DOUBLE, float),
    ("d", T.DECIMAL, float),
    ("s", T.STR, str),
    ("sd", T.STR, str),
    ("sn", T.STR, str),
    ("dt", T.DATE, datetime.date),
    ("tm", T.TIME, datetime.time),
    ("ts", T.TIMESTAMP, datetime.datetime),
]


@pytest.fixture
def all_types_table(conn, table):
    conn.execute(f"CREATE TABLE {table} {ALL_TYPES_DDL}")
    for row in ALL_TYPES_ROWS:
        conn.execute(f"INSERT INTO {table} VALUES {row}")
    return table


def test_every_scalar_type_values_and_python_types(conn, all_types_table):
    cur = conn.execute(f"SELECT * FROM {all_types_table} ORDER BY id")
    rows = cur.fetchall()
    assert cur.rowcount == 3
    assert len(rows) == 3
    for got, want in zip(rows, ALL_TYPES_EXPECTED):
        assert len(got) == len(want)
        for (name, _, pytype), g, w in zip(ALL_TYPES_COLUMNS, got, want):
            if w is None:
                assert g is None, (name, got)
                continue
            assert isinstance(g, pytype), (name, g, type(g))
            if name == "d":
                assert g == pytest.approx(w, rel=1e-12), (name, g)
            else:
                assert g == w, (name, g, w)
    # exact types where subclasses would be wrong
    assert type(rows[0][12]) is datetime.date
    assert type(rows[0][14]) is datetime.datetime


def test_every_scalar_type_description(conn, all_types_table):
    cur = conn.execute(f"SELECT * FROM {all_types_table}")
    desc = cur.description
    assert [d.name for d in desc] == [c[0] for c in ALL_TYPES_COLUMNS]
    assert [d.type_code for d in desc] == [c[1] for c in ALL_TYPES_COLUMNS]
    assert all(d.null_ok for d in desc)
    # DB-API type objects
    assert desc[4].type_code == heavydb.NUMBER
    assert desc[9].type_code == heavydb.STRING
    assert desc[14].type_code == heavydb.DATETIME

    # Full TTypeInfo as sent by the server (pyheavydb keeps the raw TQueryResult)
    row_desc = {c.col_name: c.col_type for c in cur._result.row_set.row_desc}
    assert row_desc["d"].precision == 10 and row_desc["d"].scale == 2
    assert row_desc["s"].encoding == TEncodingType.DICT
    assert row_desc["sd"].encoding == TEncodingType.DICT
    assert row_desc["sn"].encoding == TEncodingType.NONE
    assert row_desc["ts"].precision == 0
    assert all(not t.is_array for t in row_desc.values())
    # one TColumn per result column, all four lists present, arr_col empty for scalars
    for col in cur._result.row_set.columns:
        assert col.nulls is not None and len(col.nulls) == 3
        assert col.data.int_col is not None and col.data.real_col is not None
        assert col.data.str_col is not None and col.data.arr_col == []


def test_null_slots_keep_one_value_per_row(conn, all_types_table):
    cur = conn.execute(f"SELECT i4, f8, s FROM {all_types_table} ORDER BY id")
    cols = cur._result.row_set.columns
    assert [c.nulls for c in cols] == [[False, False, True]] * 3
    assert len(cols[0].data.int_col) == 3
    assert len(cols[1].data.real_col) == 3
    assert len(cols[2].data.str_col) == 3


def test_filter_and_expressions_on_each_type(conn, all_types_table):
    t = all_types_table
    q = (f"SELECT id FROM {t} WHERE b = TRUE AND i1 > 100 AND i2 = 32767 AND i8 > 0 "
         f"AND f4 = 1.5 AND d > 1000 AND s = 'hello' AND sd = 'dict' "
         f"AND dt = DATE '2024-02-29' AND ts > TIMESTAMP '2024-01-01 00:00:00'")
    assert conn.execute(q).fetchall() == [(1,)]
    assert conn.execute(f"SELECT id FROM {t} WHERE i4 IS NULL").fetchall() == [(3,)]
    assert conn.execute(f"SELECT COUNT(*), COUNT(i4) FROM {t}").fetchall() == [(3, 2)]


def test_timestamp_precisions(conn, table):
    conn.execute(f"CREATE TABLE {table} (t0 TIMESTAMP(0), t3 TIMESTAMP(3), "
                 f"t6 TIMESTAMP(6), t9 TIMESTAMP(9))")
    conn.execute(f"INSERT INTO {table} VALUES ('2021-03-04 05:06:07', "
                 f"'2021-03-04 05:06:07.123', '2021-03-04 05:06:07.123456', "
                 f"'2021-03-04 05:06:07.123456789')")
    cur = conn.execute(f"SELECT t0, t3, t6, t9 FROM {table}")
    (row,) = cur.fetchall()
    assert [c.col_type.precision for c in cur._result.row_set.row_desc] == [0, 3, 6, 9]
    assert row[0] == datetime.datetime(2021, 3, 4, 5, 6, 7)
    assert row[1] == datetime.datetime(2021, 3, 4, 5, 6, 7, 123000)
    assert row[2] == datetime.datetime(2021, 3, 4, 5, 6, 7, 123456)
    # pyheavydb returns TIMESTAMP(9) as numpy.datetime64[ns]
    assert row[3] == np.datetime64("2021-03-04T05:06:07.123456789", "ns")


# ------------------------------------------------------------------ result shape


def test_unnamed_expressions_are_named_expr_n(conn, table):
    conn.execute(f"CREATE TABLE {table} (i4 INT, i8 BIGINT)")
    conn.execute(f"INSERT INTO {table} VALUES (10, 20)")
    cur = conn.execute(f"SELECT i4, i4 + 1, i8 AS big, 2 * i8 FROM {table}")
    assert [d.name for d in cur.description] == ["i4", "EXPR$1", "big", "EXPR$3"]
    assert cur.fetchall() == [(10, 11, 20, 40)]
    assert cur.description[0].type_code == T.INT
    assert cur.description[2].type_code == T.BIGINT

    cur = conn.execute("SELECT 1, 2.5, 'x'")
    assert [d.name for d in cur.description] == ["EXPR$0", "EXPR$1", "EXPR$2"]
    assert cur.fetchall() == [(1, 2.5, "x")]


def test_rowcount_and_fetch_methods(conn, table):
    conn.execute(f"CREATE TABLE {table} (i INT)")
    for i in range(5):
        conn.execute(f"INSERT INTO {table} VALUES ({i})")
    cur = conn.cursor()
    cur.execute(f"SELECT i FROM {table} ORDER BY i")
    assert cur.rowcount == 5
    assert cur.fetchone() == (0,)
    assert cur.fetchmany(2) == [(1,), (2,)]
    assert cur.fetchall() == [(3,), (4,)]
    assert cur.fetchone() is None

    cur.execute(f"SELECT i FROM {table} WHERE i >= :lo ORDER BY i", parameters={"lo": 3})
    assert list(cur) == [(3,), (4,)]
    assert cur.rowcount == 2


def test_empty_result_sets(conn, table):
    conn.execute(f"CREATE TABLE {table} (i INT, s TEXT)")
    cur = conn.execute(f"SELECT i, s FROM {table}")
    assert cur.fetchall() == []
    assert cur.rowcount == 0
    assert [d.name for d in cur.description] == ["i", "s"]
    assert [d.type_code for d in cur.description] == [T.INT, T.STR]

    conn.execute(f"INSERT INTO {table} VALUES (1, 'a')")
    cur = conn.execute(f"SELECT i, s FROM {table} WHERE i > 100")
    assert cur.fetchall() == []
    assert cur.rowcount == 0
    assert [d.name for d in cur.description] == ["i", "s"]


def test_aggregates(conn, table):
    conn.execute(f"CREATE TABLE {table} (g TEXT, v BIGINT, x DOUBLE)")
    for g, v, x in [("a", 1, 0.5), ("a", 2, 1.5), ("b", 10, -1.0), ("b", None, None)]:
        vv = "NULL" if v is None else v
        xx = "NULL" if x is None else x
        conn.execute(f"INSERT INTO {table} VALUES ('{g}', {vv}, {xx})")
    cur = conn.execute(
        f"SELECT g, COUNT(*) AS n, SUM(v) AS sv, AVG(x) AS ax, MIN(v), MAX(x) "
        f"FROM {table} GROUP BY g ORDER BY g")
    assert [d.name for d in cur.description] == ["g", "n", "sv", "ax", "EXPR$4", "EXPR$5"]
    assert cur.fetchall() == [("a", 2, 3, 1.0, 1, 1.5), ("b", 2, 10, -1.0, 10, -1.0)]


# ------------------------------------------------------------------ errors


def test_sql_syntax_error_is_programming_error(conn):
    with pytest.raises(ProgrammingError) as ei:
        conn.execute("SELEC 1")
    assert str(ei.value).startswith("SQL Error")


def test_unknown_table_and_column_are_programming_errors(conn, table, unique_name):
    missing = unique_name("nope")
    with pytest.raises(ProgrammingError) as ei:
        conn.execute(f"SELECT * FROM {missing}")
    assert str(ei.value).startswith("SQL Error")
    assert missing in str(ei.value).lower()

    conn.execute(f"CREATE TABLE {table} (a INT)")
    with pytest.raises(ProgrammingError) as ei:
        conn.execute(f"SELECT no_such_column FROM {table}")
    assert str(ei.value).startswith("SQL Error")
    assert "no_such_column" in str(ei.value).lower()


def test_unknown_function_message(conn):
    with pytest.raises(ProgrammingError) as ei:
        conn.execute("SELECT no_such_fn_abc(1)")
    msg = str(ei.value)
    first = msg.splitlines()[0]
    assert first.startswith("SQL Error")
    assert "No match found for function signature" in first
    assert "Exception: " not in msg


def test_connection_usable_after_error(conn):
    with pytest.raises(ProgrammingError):
        conn.execute("SELECT * FROM")
    assert conn.execute("SELECT 7").fetchall() == [(7,)]


def test_trailing_semicolon_is_accepted(conn):
    assert conn.execute("SELECT 1;").fetchall() == [(1,)]
    assert conn.execute("SELECT 8 ;").fetchall() == [(8,)]


def test_two_statements_are_rejected(conn):
    with pytest.raises(Error, match="multiple SQL statements not allowed"):
        conn.execute("SELECT 1; SELECT 2")
    assert conn.execute("SELECT 9").fetchall() == [(9,)]


def test_insert_type_error(conn, table):
    conn.execute(f"CREATE TABLE {table} (i INT)")
    with pytest.raises(Error):
        conn.execute(f"INSERT INTO {table} VALUES ('not a number')")


def test_not_null_constraint(conn, table):
    conn.execute(f"CREATE TABLE {table} (i INT NOT NULL, j INT)")
    conn.execute(f"INSERT INTO {table} VALUES (1, NULL)")
    with pytest.raises(Error):
        conn.execute(f"INSERT INTO {table} VALUES (NULL, 1)")
    cur = conn.execute(f"SELECT i, j FROM {table}")
    assert cur.fetchall() == [(1, None)]
    assert [d.null_ok for d in cur.description] == [False, True]
