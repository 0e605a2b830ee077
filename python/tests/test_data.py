"""client.sql (pandas / Arrow results) and client.load_table (chunks, progress bar)."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from udf_client import ServerError, UdfClientError
from udf_client.load import chunk_rows_for


def test_sql_gives_pandas_or_arrow(client):
    q = ("SELECT CAST(1 AS BIGINT) AS i, CAST(2.5 AS DOUBLE) AS x, 'a' AS s, TRUE AS b, "
         "CAST(NULL AS INTEGER) AS n")
    df = client.sql(q)
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == ["i", "x", "s", "b", "n"]
    assert df["i"].tolist() == [1] and df["x"].tolist() == [2.5] and df["s"].tolist() == ["a"]
    assert df["b"].tolist() == [True] and df["n"].isna().all()
    t = client.sql(q, arrow=True)
    assert isinstance(t, pa.Table)
    assert [str(f.type) for f in t.schema][:2] == ["int64", "double"]
    assert t.schema.field("b").type == pa.bool_()
    assert t.to_pylist() == [{"i": 1, "x": 2.5, "s": "a", "b": True, "n": None}]
    # a statement without rows
    assert client.sql("SELECT 1 AS one WHERE 1 = 0").empty


def test_sql_errors_are_server_errors(client):
    with pytest.raises(ServerError, match="SQL Error") as e:
        client.sql("SELECT * FROM no_such_table")
    assert e.value.method == "sql_execute_df"


def test_load_100k_rows_in_chunks_with_a_progress_bar(client, unique_name, capsys):
    n = 100_000
    rng = np.random.default_rng(7)
    df = pd.DataFrame({
        "i": np.arange(n, dtype="int64"),
        "x": rng.standard_normal(n),
        "k": (np.arange(n) % 7).astype("int32"),
        "s": np.where(np.arange(n) % 2 == 0, "even", "odd"),
        "b": np.arange(n) % 3 == 0,
    })
    t = unique_name("big")
    assert chunk_rows_for(pa.Table.from_pandas(df)) < n  # several chunks by default
    loaded = client.load_table(t, df)
    assert loaded == n
    err = capsys.readouterr().err
    assert f"load {t}" in err and "100000/100000" in err  # tqdm's bar, on stderr
    # explicit chunks
    t2 = unique_name("chunks")
    assert client.load_table(t2, df.iloc[:25_000], chunk_rows=10_000) == 25_000
    assert "25000/25000" in capsys.readouterr().err
    assert client.sql(f"SELECT count(*) AS n FROM {t2}")["n"][0] == 25_000
    out = client.sql(f"SELECT count(*) AS n, sum(i) AS si, sum(x) AS sx, sum(k) AS sk, "
                     f"count(DISTINCT s) AS ds, sum(CASE WHEN b THEN 1 ELSE 0 END) AS nb FROM {t}")
    row = out.iloc[0]
    assert row["n"] == n and row["si"] == n * (n - 1) // 2 and row["sk"] == df["k"].sum()
    assert row["sx"] == pytest.approx(df["x"].sum(), rel=1e-9)
    assert row["ds"] == 2 and row["nb"] == df["b"].sum()

    # a UDF over the loaded column
    @client.udf("i64(i64, i32)")
    def mix(i, k):
        return i * 10 + k

    s = client.sql(f"SELECT sum(mix(i, k)) AS s FROM {t}")["s"][0]
    assert s == int((df["i"] * 10 + df["k"]).sum())


def test_default_chunks_and_no_bar_for_one_chunk(client, unique_name, capsys):
    df = pd.DataFrame({"v": np.arange(5000, dtype="int64")})
    assert client.load_table(unique_name("t"), df) == 5000
    assert "rows" not in capsys.readouterr().err  # one chunk: no bar
    # progress=True forces it
    assert client.load_table(unique_name("t"), df, progress=True) == 5000
    assert "5000/5000" in capsys.readouterr().err


def test_column_types_from_the_frame(client, unique_name):
    t = unique_name("t")
    df = pd.DataFrame({
        "b": [True, False],
        "i8": np.array([1, -2], dtype="int8"),
        "i16": np.array([300, -300], dtype="int16"),
        "i32": np.array([70000, 1], dtype="int32"),
        "i64": np.array([2**40, 1], dtype="int64"),
        "u8": np.array([200, 1], dtype="uint8"),
        "f32": np.array([1.5, 2.5], dtype="float32"),
        "f64": [0.1, 0.2],
        "s": ["x", "y"],
        "ts": pd.to_datetime(["2024-01-02 03:04:05", "2024-02-03 04:05:06"]),
    })
    client.load_table(t, df)
    out = client.sql(f"SELECT * FROM {t} ORDER BY i64 DESC", arrow=True)
    types = {f.name: str(f.type) for f in out.schema}
    assert types["b"] == "bool" and types["i8"] == "int8" and types["i16"] == "int16"
    assert types["i32"] == "int32" and types["i64"] == "int64" and types["u8"] == "int16"
    assert types["f32"] == "float" and types["f64"] == "double"
    assert types["s"] in ("string", "large_string",
                          "dictionary<values=string, indices=int32, ordered=0>")
    unit = pa.Table.from_pandas(df).schema.field("ts").type.unit  # ns (pandas 2), us (pandas 3)
    assert types["ts"] == f"timestamp[{unit}]"
    rows = out.to_pylist()
    assert rows[0]["i64"] == 2**40 and rows[0]["u8"] == 200 and rows[0]["s"] == "x"
    assert rows[1]["ts"] == pd.Timestamp("2024-02-03 04:05:06")


def test_nulls_round_trip(client, unique_name):
    t = unique_name("t")
    df = pd.DataFrame({
        "id": [1, 2, 3],
        "a": pd.array([1, None, 3], dtype="Int64"),
        "x": [0.5, None, float("nan")],
        "s": ["p", None, "r"],
    })
    client.load_table(t, df)
    out = client.sql(f"SELECT a, x, s FROM {t} ORDER BY id", arrow=True).to_pydict()
    assert out["a"] == [1, None, 3] and out["s"] == ["p", None, "r"]
    assert out["x"][0] == 0.5 and out["x"][1] is None  # pandas' NaN in a float column is NULL


def test_arrow_input_create_modes_and_append_by_name(client, unique_name):
    t = unique_name("t")
    client.load_table(t, pa.table({"A": pa.array([1, 2], pa.int64()), "B": ["u", "v"]}))
    with pytest.raises(UdfClientError, match="exists"):
        client.load_table(t, pa.table({"A": [3]}), create=True)
    with pytest.raises(UdfClientError, match="does not exist"):
        client.load_table(unique_name("missing"), pa.table({"a": [1]}), create=False)
    # appending: columns matched by name, case-insensitively, in any order; missing → NULL
    batch = pa.record_batch({"b": ["w"], "a": pa.array([3], pa.int64())})
    assert client.load_table(t, batch, create=False) == 1
    assert client.load_table(t, pd.DataFrame({"a": [4]})) == 1
    out = client.sql(f"SELECT a, b FROM {t} ORDER BY a", arrow=True).to_pydict()
    assert out == {"a": [1, 2, 3, 4], "b": ["u", "v", "w", None]}


def test_unsupported_inputs_are_refused(client, unique_name):
    with pytest.raises(TypeError, match="pandas DataFrame or a pyarrow Table"):
        client.load_table(unique_name("t"), [1, 2, 3])
    with pytest.raises(TypeError, match="column `l` has type list"):
        client.load_table(unique_name("t"), pa.table({"l": [[1], [2]]}))
    with pytest.raises(TypeError, match="only NULLs"):
        client.load_table(unique_name("t"), pd.DataFrame({"n": [None, None]}))


def test_a_failing_chunk_says_how_much_was_loaded(client, unique_name):
    t = unique_name("t")
    client.sql(f"CREATE TABLE {t} (v INTEGER)")
    values = np.ones(2000, dtype="int64")
    values[1500] = 2**40  # does not fit INTEGER: the second chunk fails
    with pytest.raises(ServerError) as e:
        client.load_table(t, pd.DataFrame({"v": values}), chunk_rows=1000, progress=False)
    assert "1000 of 2000 rows were loaded" in str(e.value)
    assert client.sql(f"SELECT count(*) AS n FROM {t}")["n"][0] == 1000
