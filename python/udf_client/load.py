"""Frames → HeavyDB table descriptions and Arrow IPC chunks for ``load_table``."""

from __future__ import annotations

from typing import Any, Iterator, List, Tuple

import pyarrow as pa

__all__ = ["to_arrow", "column_types", "chunk_rows_for", "ipc_chunks", "DEFAULT_CHUNK_BYTES"]

DEFAULT_CHUNK_BYTES = 1 << 20
"""Target size of one ``load_table_binary_arrow`` call when no ``chunk_rows`` is given."""
MIN_CHUNK_ROWS = 1024
MAX_CHUNK_ROWS = 1_000_000

# TDatumType codes (shared/protocols/heavydb-thrift.md §4)
_SMALLINT, _INT, _BIGINT, _FLOAT, _DECIMAL, _DOUBLE, _STR, _TIME, _TIMESTAMP, _DATE, _BOOL = (
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
)
_TINYINT = 17
_ENC_NONE, _ENC_DICT = 0, 4


def to_arrow(data: Any) -> pa.Table:
    """A pandas DataFrame, pyarrow Table or RecordBatch as a pyarrow Table."""
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return pa.Table.from_pandas(data, preserve_index=False)
    raise TypeError(
        f"load_table takes a pandas DataFrame or a pyarrow Table, not {type(data).__name__}"
    )


def _wire_type(name: str, t: pa.DataType) -> Tuple[dict, pa.DataType]:
    """(TTypeInfo fields, the Arrow type the column is sent as) for one column."""
    if pa.types.is_dictionary(t):
        return _wire_type(name, t.value_type)
    if pa.types.is_boolean(t):
        return {"type": _BOOL}, t
    ints = {
        pa.int8(): (_TINYINT, pa.int8()),
        pa.int16(): (_SMALLINT, pa.int16()),
        pa.int32(): (_INT, pa.int32()),
        pa.int64(): (_BIGINT, pa.int64()),
        pa.uint8(): (_SMALLINT, pa.int16()),
        pa.uint16(): (_INT, pa.int32()),
        pa.uint32(): (_BIGINT, pa.int64()),
        pa.uint64(): (_BIGINT, pa.int64()),
        pa.float16(): (_FLOAT, pa.float32()),
        pa.float32(): (_FLOAT, pa.float32()),
        pa.float64(): (_DOUBLE, pa.float64()),
    }
    if t in ints:
        datum, send = ints[t]
        return {"type": datum}, send
    if pa.types.is_string(t) or pa.types.is_large_string(t) or str(t) == "string_view":
        return {"type": _STR, "encoding": _ENC_DICT, "comp_param": 32}, pa.string()
    if pa.types.is_timestamp(t):
        precision = {"s": 0, "ms": 3, "us": 6, "ns": 9}[t.unit]
        return {"type": _TIMESTAMP, "precision": precision}, pa.timestamp(t.unit)
    if pa.types.is_date(t):
        return {"type": _DATE, "encoding": 7, "comp_param": 32}, pa.date32()
    if pa.types.is_time(t):
        return {"type": _TIME}, pa.time64("ns")
    if pa.types.is_decimal(t):
        return {"type": _DECIMAL, "precision": t.precision, "scale": t.scale}, t
    if pa.types.is_null(t):
        raise TypeError(f"column `{name}` has only NULLs: give it a type (e.g. astype)")
    raise TypeError(
        f"column `{name}` has type {t}, which load_table does not map to a SQL type "
        f"(supported: bool, int8..int64, uint8..uint64, float16..float64, string, "
        f"timestamp, date, time, decimal)"
    )


def column_types(module: Any, table: pa.Table) -> Tuple[List[Any], pa.Schema]:
    """The ``TColumnType`` row descriptor for ``create_table`` and the schema to send."""
    row_desc = []
    fields = []
    for f in table.schema:
        info, send = _wire_type(f.name, f.type)
        ti = module.TTypeInfo(
            type=info["type"],
            encoding=info.get("encoding", _ENC_NONE),
            nullable=True,
            is_array=False,
            precision=info.get("precision", 0),
            scale=info.get("scale", 0),
            comp_param=info.get("comp_param", 0),
        )
        row_desc.append(module.TColumnType(col_name=f.name, col_type=ti))
        fields.append(pa.field(f.name, send, nullable=True))
    return row_desc, pa.schema(fields)


def chunk_rows_for(table: pa.Table, chunk_rows: Any = None) -> int:
    """Rows per load call: ``chunk_rows`` if given, else about DEFAULT_CHUNK_BYTES."""
    if chunk_rows is not None:
        if int(chunk_rows) < 1:
            raise ValueError("chunk_rows must be at least 1")
        return int(chunk_rows)
    per_row = max(1, table.nbytes // max(1, table.num_rows))
    return max(MIN_CHUNK_ROWS, min(MAX_CHUNK_ROWS, DEFAULT_CHUNK_BYTES // per_row))


def ipc_chunks(table: pa.Table, schema: pa.Schema, rows: int) -> Iterator[Tuple[int, bytes]]:
    """(row count, Arrow IPC stream bytes) per chunk of ``rows`` rows, cast to ``schema``."""
    for offset in range(0, table.num_rows, rows):
        part = table.slice(offset, rows)
        if part.schema != schema:
            part = part.cast(schema)  # safe cast: uint64 beyond int64 raises
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, schema) as writer:
            writer.write_table(part)
        yield part.num_rows, sink.getvalue().to_pybytes()
