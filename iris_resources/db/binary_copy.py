"""PostgreSQL binary COPY encoding and decoding with NumPy, for bulk reads and writes.

Building each row in Python costs more than the server spends storing it; laying the whole batch
out as one big-endian structured array is ~20x faster. Supported column types are fixed-width
(``int2``, ``int4``, ``int8``, ``float8``, ``bool``, ``timestamptz``) plus low-cardinality ``text``
(labels such as a regime): rows are grouped by their text values and each group is laid out with
those strings as fixed fields, so COPY order follows the groups. Nullable columns are written with a
NULL marker where the value is null; the decoder expects no NULLs (queries COALESCE them and send a
separate flag) so every record has the same width.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Literal

import numpy as np
import polars as pl

PgType = Literal["int2", "int4", "int8", "float8", "bool", "timestamptz", "text"]

HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
TRAILER = (-1).to_bytes(2, "big", signed=True)
# PostgreSQL timestamps count microseconds from 2000-01-01, Unix from 1970-01-01.
PG_EPOCH_OFFSET_US = 946_684_800_000_000

_NUMPY = {"int2": ">i2", "int4": ">i4", "int8": ">i8", "float8": ">f8", "bool": "?", "timestamptz": ">i8"}
# Above this many distinct text-length layouts a batch is encoded by scattering instead of grouping.
MAX_LAYOUT_GROUPS = 2_000
_WIDTH = {"int2": 2, "int4": 4, "int8": 8, "float8": 8, "bool": 1, "timestamptz": 8}


def _record_dtype(columns: Sequence[tuple[str, PgType]], texts: dict[str, bytes | None] | None = None) -> np.dtype:
    fields: list[tuple[str, str]] = [("_n", ">i2")]
    for name, kind in columns:
        if kind == "text":
            value = (texts or {}).get(name)
            fields.append((f"_len_{name}", ">i4"))
            if value:  # NULL and '' carry no data bytes
                fields.append((name, f"S{len(value)}"))
            continue
        fields += [(f"_len_{name}", ">i4"), (name, _NUMPY[kind])]
    return np.dtype(fields)


def _column_values(series: pl.Series, kind: PgType) -> np.ndarray:
    if kind == "timestamptz":
        micros = series.dt.cast_time_unit("us").dt.epoch("us")
        return (micros - PG_EPOCH_OFFSET_US).fill_null(0).to_numpy()
    if kind == "float8":
        return series.cast(pl.Float64).fill_null(0.0).to_numpy()
    if kind == "bool":
        return series.fill_null(False).to_numpy()
    return series.fill_null(0).to_numpy()


def encode_rows(frame: pl.DataFrame, columns: Sequence[tuple[str, PgType]]) -> bytes:
    """Binary COPY body (no header/trailer) for ``frame``'s ``columns``, in that order."""
    if any(kind == "text" for _, kind in columns):
        return _encode_variable(frame, columns)
    return _encode_records(np.arange(frame.height), columns, _fixed_columns(frame, columns), {})


def _fixed_columns(frame: pl.DataFrame, columns: Sequence[tuple[str, PgType]]
                   ) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
    """Each fixed-width column as big-endian NumPy values (nulls filled) with its null mask (None: no nulls)."""
    fixed: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
    for name, kind in columns:
        if kind != "text":
            series = frame.get_column(name)
            fixed[name] = (np.asarray(_column_values(series, kind), dtype=_NUMPY[kind]),
                           series.is_null().to_numpy() if series.null_count() else None)
    return fixed


def _scatter(out: np.ndarray, offsets: np.ndarray, data: np.ndarray) -> None:
    """Write row ``i`` of ``data`` (n × width bytes) at ``out[offsets[i]:]``."""
    if data.size:
        out[offsets[:, None] + np.arange(data.shape[1])] = data


def _encode_scattered(frame: pl.DataFrame, columns: Sequence[tuple[str, PgType]]) -> bytes:
    """Rows of many layouts (free text): compute every field's offset, then scatter column by column.

    Text values are dictionary-encoded, so the work per column is a handful of vectorised writes
    (one per distinct value), whatever the number of rows. Keeps row order.
    """
    n = frame.height
    lengths: list[np.ndarray] = []  # data bytes per row and column (0 for NULL)
    for name, kind in columns:
        series = frame.get_column(name)
        if kind == "text":
            encoded = series.cast(pl.String).str.len_bytes().fill_null(0).to_numpy().astype(np.int64)
        else:
            encoded = np.where(series.is_null().to_numpy(), 0, _WIDTH[kind]).astype(np.int64)
        lengths.append(encoded)
    row_length: np.ndarray = 2 + np.sum([4 + length for length in lengths], axis=0)
    starts = np.concatenate([[0], np.cumsum(row_length)[:-1]]).astype(np.int64)
    out = np.empty(int(row_length.sum()), dtype=np.uint8)
    _scatter(out, starts, np.full(n, len(columns), dtype=">i2").view(np.uint8).reshape(n, 2))
    offset = starts + 2
    for (name, kind), length in zip(columns, lengths, strict=True):
        series = frame.get_column(name)
        nulls = series.is_null().to_numpy()
        prefix = np.where(nulls, -1, length).astype(">i4")
        _scatter(out, offset, prefix.view(np.uint8).reshape(n, 4))
        data_at = offset + 4
        if kind == "text":
            # One vectorised write per distinct byte length (not per distinct value): values of one
            # length are a fixed-width S<len> block, scattered row by row.
            widest = int(length.max()) if n else 0
            if widest:
                padded = np.array(series.cast(pl.String).fill_null("").cast(pl.Binary).to_list(), dtype=f"S{widest}")
                for size in np.unique(length[length > 0]):
                    rows = np.flatnonzero(length == size)
                    block = padded[rows].astype(f"S{size}").view(np.uint8).reshape(rows.size, int(size))
                    _scatter(out, data_at[rows], block)
        else:
            values = np.asarray(_column_values(series, kind), dtype=_NUMPY[kind])
            width = _WIDTH[kind]
            keep = ~nulls
            _scatter(out, data_at[keep], values[keep].view(np.uint8).reshape(-1, width))
        offset = data_at + length
    return out.tobytes()


def _encode_variable(frame: pl.DataFrame, columns: Sequence[tuple[str, PgType]]) -> bytes:
    """Rows with text fields have different widths: group the rows by their text byte lengths.

    Rows of one group share one record type (each text a fixed ``S<len>`` field), so a group is one
    structured array filled column by column, NULL numbers included. Columns become NumPy arrays
    once for the whole batch; a group only gathers its rows. Text values are labels, so there are
    few groups whatever the number of rows. COPY order follows the groups (row order within a group
    is kept), which a table does not care about.
    """
    n = frame.height
    texts = [name for name, kind in columns if kind == "text"]
    keys = [f"_len_{index}" for index in range(len(texts))]
    lengths = frame.select([pl.col(name).cast(pl.String).str.len_bytes().cast(pl.Int64).fill_null(-1).alias(key)
                            for name, key in zip(texts, keys, strict=True)])
    groups = lengths.with_row_index("_row").group_by(keys).agg(pl.col("_row"))
    if groups.height > MAX_LAYOUT_GROUPS:  # free text, not labels: per-group overhead would dominate
        return _encode_scattered(frame, columns)
    # Whole-batch NumPy columns: fixed-width values (nulls filled) with their null masks, texts as
    # NUL-padded S<max> arrays that a group narrows to its exact length.
    fixed = _fixed_columns(frame, columns)
    padded: dict[str, np.ndarray] = {}
    for name in texts:
        widest = max(int(lengths.get_column(keys[texts.index(name)]).max() or 0), 1)  # type: ignore[arg-type]
        padded[name] = np.array(frame.get_column(name).cast(pl.String).fill_null("").cast(pl.Binary).to_list(),
                                dtype=f"S{widest}")
    parts: list[bytes] = []
    written = 0
    for layout in groups.iter_rows():
        rows = np.sort(np.asarray(layout[-1], dtype=np.int64))  # keep row order within the group
        widths = dict(zip(texts, (int(width) for width in layout[:-1]), strict=True))
        parts.append(_encode_records(rows, columns, fixed, {
            name: padded[name][rows].astype(f"S{width}") if width > 0 else (b"" if width == 0 else None)
            for name, width in widths.items()}))
        written += rows.shape[0]
    assert written == n
    return b"".join(parts)


def _encode_records(rows: np.ndarray, columns: Sequence[tuple[str, PgType]],
                    fixed: dict[str, tuple[np.ndarray, np.ndarray | None]],
                    texts: dict[str, np.ndarray | bytes | None]) -> bytes:
    """Records of ``rows`` sharing one layout: ``texts`` maps a text column to its ``S<len>`` values
    (one per row), or to a value shared by every row (b"" empty, None NULL)."""
    shared = {name: value if not isinstance(value, np.ndarray) else b"x" * value.dtype.itemsize
              for name, value in texts.items()}
    dtype = _record_dtype(columns, shared)
    records = np.empty(rows.shape[0], dtype=dtype)
    records["_n"] = len(columns)
    null_masks: list[tuple[int, int, np.ndarray]] = []
    offset = 2
    for name, kind in columns:
        if kind == "text":
            value = texts[name]
            width = -1 if value is None else (value.dtype.itemsize if isinstance(value, np.ndarray) else len(value))
            records[f"_len_{name}"] = width
            if isinstance(value, np.ndarray):
                records[name] = value
            offset += 4 + max(width, 0)
            continue
        values, nulls = fixed[name]
        width = _WIDTH[kind]
        records[f"_len_{name}"] = width
        records[name] = values[rows]
        if nulls is not None:
            mask = nulls[rows]
            if mask.any():
                records[f"_len_{name}"][mask] = -1
                null_masks.append((offset + 4, width, mask))
        offset += 4 + width
    return _record_bytes(records, null_masks)


def _record_bytes(records: np.ndarray, null_masks: list[tuple[int, int, np.ndarray]]) -> bytes:
    """The records' bytes; a NULL field has length −1 and no data bytes, so those bytes are dropped
    from the affected records (``null_masks``: byte offset, width and rows of each nullable field)."""
    raw = records.view(np.uint8).reshape(records.shape[0], records.dtype.itemsize)
    if not null_masks:
        return raw.tobytes()
    keep = np.ones(raw.shape, dtype=bool)
    for start, width, mask in null_masks:
        keep[mask, start : start + width] = False
    return raw[keep].tobytes()


def iter_copy_chunks(
    frame: pl.DataFrame, columns: Sequence[tuple[str, PgType]], chunk_rows: int = 250_000
) -> Iterator[bytes]:
    """The full COPY stream (header, bodies, trailer) in chunks, bounding peak memory."""
    yield HEADER
    for start in range(0, frame.height, chunk_rows):
        yield encode_rows(frame.slice(start, chunk_rows), columns)
    yield TRAILER


def decode(data: bytes, columns: Sequence[tuple[str, PgType]]) -> pl.DataFrame:
    """Decode a binary COPY stream whose columns are all non-NULL fixed-width values."""
    body = memoryview(data)[len(HEADER) : len(data) - len(TRAILER)]
    dtype = _record_dtype(columns)
    if len(body) % dtype.itemsize:
        raise ValueError("COPY stream has NULLs or unexpected columns; COALESCE nullable columns")
    records = np.frombuffer(body, dtype=dtype)
    out: dict[str, pl.Series] = {}
    for name, kind in columns:
        column = records[name]
        values = column.astype(column.dtype.newbyteorder("="))
        if kind == "timestamptz":
            out[name] = pl.Series(name, values.astype(np.int64) + PG_EPOCH_OFFSET_US).cast(
                pl.Datetime("us", "UTC")
            )
        else:
            out[name] = pl.Series(name, values)
    return pl.DataFrame(out)
