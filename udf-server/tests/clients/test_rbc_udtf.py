"""rbc-project 0.13.0 table functions (UDTFs) through RemoteHeavyDB: Numba-compiled
Column/OutputColumn functions registered with register_runtime_extension_functions and
called as SELECT * FROM TABLE(f(CURSOR(SELECT …), …))."""

import pytest

from conftest import make_remote_heavydb  # noqa: F401  (fixtures come from conftest)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def rows(db, sql):
    _, result = db.sql_execute(sql)
    return list(result)


@pytest.fixture
def ttable(rbc_heavydb, unique_name):
    db = rbc_heavydb
    name = unique_name("t")
    db.sql_execute(f"CREATE TABLE {name} (id BIGINT, x DOUBLE, i INT, f FLOAT)")
    db.sql_execute(
        f"INSERT INTO {name} VALUES (1, 1.5, 10, 0.5), (2, NULL, NULL, 1.5), "
        f"(3, -2.0, 30, NULL), (4, 4.25, 40, 4.5)"
    )
    yield name
    try:
        db.sql_execute(f"DROP TABLE IF EXISTS {name}")
    except Exception:
        pass


def test_row_copier_keeps_nulls(rbc_heavydb, ttable):
    db = rbc_heavydb

    @db("int32(Column<double>, RowMultiplier, OutputColumn<double>)")
    def tf_copy(x, m, y):
        for i in range(len(x)):
            if x.is_null(i):
                y.set_null(i)
            else:
                y[i] = x[i] * 2
        return len(x)

    got = rows(
        db, f"SELECT * FROM TABLE(tf_copy(CURSOR(SELECT x FROM {ttable}), 1)) ORDER BY 1"
    )
    assert sorted(got, key=lambda r: (r[0] is None, r[0])) == [
        (-4.0,), (3.0,), (8.5,), (None,)
    ]


def test_row_multiplier_duplicates_rows(rbc_heavydb, ttable):
    db = rbc_heavydb

    @db("int32(Cursor<int64, double>, RowMultiplier, "
        "OutputColumn<int64>, OutputColumn<double>)")
    def tf_dup(a, b, m, c, d):
        n = len(a)
        for j in range(m):
            for i in range(n):
                c[j * n + i] = a[i]
                d[j * n + i] = b[i]
        return m * n

    got = rows(
        db,
        f"SELECT out0, out1 FROM TABLE(tf_dup(CURSOR(SELECT id, x FROM {ttable} "
        f"WHERE id <> 2), 2)) ORDER BY out0, out1",
    )
    assert got == [(1, 1.5), (1, 1.5), (3, -2.0), (3, -2.0), (4, 4.25), (4, 4.25)]


def test_sized_through_the_manager(rbc_heavydb, ttable):
    db = rbc_heavydb

    @db("int32(TableFunctionManager, Column<int64>, OutputColumn<int64>)")
    def tf_mgr(mgr, x, y):
        mgr.set_output_row_size(len(x) + 1)
        for i in range(len(x)):
            y[i] = x[i] + 100
        y[len(x)] = -1
        return len(x) + 1

    got = rows(db, f"SELECT * FROM TABLE(tf_mgr(CURSOR(SELECT id FROM {ttable}))) ORDER BY 1")
    assert got == [(-1,), (101,), (102,), (103,), (104,)]


def test_error_message_is_the_query_error(rbc_heavydb, ttable):
    db = rbc_heavydb

    @db("int32(TableFunctionManager, Column<double>, OutputColumn<double>)")
    def tf_fail(mgr, x, y):
        return mgr.error_message("TableFunctionManager error_message!")

    with pytest.raises(Exception) as info:
        rows(db, f"SELECT * FROM TABLE(tf_fail(CURSOR(SELECT x FROM {ttable})))")
    message = str(info.value)
    assert "Error executing table function: TableFunctionManager error_message!" in message
    assert "SQL Error:" not in message
    # The server keeps serving.
    assert rows(db, f"SELECT count(*) FROM {ttable}") == [(4,)]


@pytest.mark.parametrize(
    "column, sql_type, expected",
    [("id", "BIGINT", [2, 4, 6, 8]), ("i", "INT", [20, 60, 80, None]),
     ("f", "FLOAT", [1.0, 3.0, 9.0, None]), ("x", "DOUBLE", [-4.0, 3.0, 8.5, None])],
)
def test_overloads_by_column_type(rbc_heavydb, ttable, column, sql_type, expected):
    db = rbc_heavydb

    @db("int32(Column<T>, T, RowMultiplier, OutputColumn<T>)",
        T=["int32", "int64", "float", "double"])
    def tf_scale(x, k, m, y):
        for i in range(len(x)):
            if x.is_null(i):
                y.set_null(i)
            else:
                y[i] = x[i] * k
        return len(x)

    got = rows(
        db,
        f"SELECT * FROM TABLE(tf_scale(CURSOR(SELECT {column} FROM {ttable}), "
        f"CAST(2 AS {sql_type}), 1))",
    )
    values = sorted((r[0] for r in got), key=lambda v: (v is None, v if v is not None else 0))
    assert values == expected


def test_introspection_and_unregister(rbc_heavydb, ttable):
    db = rbc_heavydb

    @db("int32(Column<double>, RowMultiplier, OutputColumn<double>)")
    def my_copy(x, m, y):
        for i in range(len(x)):
            y[i] = x[i]
        return len(x)

    db.register()
    names = db.thrift_call("get_runtime_table_function_names", db.session_id)
    assert "my_copy" in names
    assert "my_copy" not in db.thrift_call("get_table_function_names", db.session_id)
    (details,) = db.thrift_call("get_table_function_details", db.session_id, ["my_copy"])
    assert details.sizerType == 2
    assert details.sizerArgPos == 2
    assert list(details.inputArgTypes) == [32, 2]
    assert list(details.outputArgTypes) == [32]
    assert list(details.sqlArgTypes) == [24, 2]
    # The server's own introspection covers table functions: one CPU kernel, its calls.
    assert len(rows(db, f"SELECT * FROM TABLE(my_copy(CURSOR(SELECT x FROM {ttable}), 1))")) == 4
    shown = rows(
        db,
        "SELECT name, signature, target, invocations, rows FROM udf_function_details('my_copy')",
    )
    assert shown == [
        (
            "my_copy",
            "int32(Column<float64>, RowMultiplier, OutputColumn<float64>)",
            "cpu",
            1,
            4,
        )
    ], shown
    db.unregister()
    assert "my_copy" not in db.thrift_call("get_runtime_table_function_names", db.session_id)
