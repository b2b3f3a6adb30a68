"""Turning a raw table's fields into typed candles, and rows that do not parse into rejects.

Every column is cast with ``strict=False``; a value that was there but came out null failed to
parse. Those rows go to the rejects frame (reason ``unparseable``) with the field names, the line
and the raw text, while every other row loads. All of it is vectorised.
"""

from __future__ import annotations

import polars as pl

from iris_resources.sources.base import CANDLE_SCHEMA, REJECT_SCHEMA
from iris_resources.sources.file_formats import FIELDS
from iris_resources.sources.symbols import canonical_symbol

_TS = CANDLE_SCHEMA["timestamp"]
WINDOW_TS = "_window_ts"  # where a reject is reported: its own time, else its neighbours' (file order)


def _epoch(values: pl.Expr) -> pl.Expr:
    """Epoch seconds, milliseconds, microseconds or nanoseconds, told apart by magnitude, as UTC."""
    size = values.abs()
    micros = (
        pl.when(size < 1e11)
        .then(values * 1e6)
        .when(size < 1e14)
        .then(values * 1e3)
        .when(size < 1e17)
        .then(values)
        .otherwise(values / 1e3)
    )
    return micros.round(0).cast(pl.Int64, strict=False).cast(_TS)


def _iso(text: pl.Expr) -> pl.Expr:
    """ISO-8601 text as UTC: 'T' or space, optional seconds and fraction, 'Z'/offset/none (= UTC)."""
    text = (
        text.str.to_uppercase()
        .str.replace(r"\s*UTC$", "Z")
        .str.replace(r"^(\d{4}-\d{2}-\d{2})$", "${1}T00:00:00")
        .str.replace(r"^(\d{4}-\d{2}-\d{2})\s+", "${1}T")
        .str.replace(r"T(\d{2}:\d{2})(Z|[+-]\d{2}:?\d{2})?$", "T${1}:00${2}")
    )
    zoned = pl.when(text.str.contains(r"(Z|[+-]\d{2}:?\d{2})$")).then(text).otherwise(text + "Z")
    parsed = zoned.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%#z", strict=False, time_unit="us")
    return parsed.dt.convert_time_zone("UTC")


# Layouts Polars parses on its fast path (no fraction, no offset); anything else takes the general,
# slower ISO route, and only for the rows these did not already parse.
_FAST_LAYOUTS = ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")


def _read(text: pl.Series, layout: str | None) -> pl.Series:
    """One reading of timestamp text: a fixed fast layout (naive = UTC), or None for general ISO."""
    if layout is None:
        return pl.select(_iso(pl.lit(text))).to_series()
    return text.str.to_datetime(layout, strict=False, time_unit="us").dt.replace_time_zone("UTC")


def parse_timestamps(values: pl.Series) -> pl.Series:
    """UTC open times from datetimes, dates, epoch numbers or ISO-8601 text (null where none fits)."""
    dtype = values.dtype
    if isinstance(dtype, pl.Datetime):
        zoned = values.dt.replace_time_zone("UTC") if dtype.time_zone is None else values
        return zoned.dt.convert_time_zone("UTC").cast(_TS)
    if isinstance(dtype, pl.Date):
        return values.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    if dtype.is_numeric():
        return pl.select(_epoch(pl.lit(values.cast(pl.Float64)))).to_series()
    text = values.cast(pl.String).str.strip_chars()
    parsed = pl.select(_epoch(pl.lit(text).cast(pl.Float64, strict=False))).to_series()
    # Each later (slower) reading only sees the rows every earlier one failed on.
    for layout in (*_FAST_LAYOUTS, None):
        pending = (parsed.is_null() & text.is_not_null()).arg_true()
        if not pending.len():
            break
        parsed = parsed.scatter(pending, _read(text.gather(pending), layout).cast(_TS))
    return parsed.alias(values.name)


def number_expr(name: str, dtype: pl.DataType) -> pl.Expr:
    """Parse column ``name`` into Float64 (null where it cannot)."""
    if dtype.is_numeric():
        return pl.col(name).cast(pl.Float64)
    return pl.col(name).cast(pl.String).str.strip_chars().cast(pl.Float64, strict=False)


def parse_frame(frame: pl.DataFrame, symbol: str | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Typed candles and rejects from a raw table's frame.

    ``symbol`` is used when the frame has no symbol column. Rejects carry an extra
    :data:`WINDOW_TS` column that places rows with an unparseable time next to their neighbours.
    """
    schema = frame.schema
    exprs = {field: number_expr(field, schema[field]) for field in FIELDS[1:]}
    if "symbol" in schema:
        names = frame["symbol"].cast(pl.String).str.strip_chars()
        mapping = {raw: canonical_symbol(raw) or None for raw in names.unique().drop_nulls().to_list()}
        symbol_expr = (
            pl.col("symbol")
            .cast(pl.String)
            .str.strip_chars()
            .replace_strict(mapping, default=None, return_dtype=pl.String)
            .fill_null(pl.lit(symbol, dtype=pl.String))  # a blank cell falls back to the file's symbol
        )
    else:
        symbol_expr = pl.lit(symbol, dtype=pl.String)
    parsed = frame.select(
        "line",
        "raw",
        symbol_expr.alias("symbol"),
        pl.lit(parse_timestamps(frame["timestamp"])).alias("timestamp"),
        *(expr.alias(field) for field, expr in exprs.items()),
    )
    checked = ("symbol", *FIELDS)
    failed = [pl.col(field).is_null() for field in checked]
    parsed = parsed.with_columns(pl.any_horizontal(failed).alias("_failed"))
    candles = parsed.filter(~pl.col("_failed")).select(
        [pl.col(name).cast(dtype) for name, dtype in CANDLE_SCHEMA.items()]
    )
    fields = pl.concat_str(
        [pl.when(check).then(pl.lit(field)) for field, check in zip(checked, failed, strict=True)],
        separator=", ",
        ignore_nulls=True,
    )
    rejects = (
        parsed.with_columns(pl.col("timestamp").forward_fill().backward_fill().alias(WINDOW_TS))
        .filter(pl.col("_failed"))
        .select(
            pl.col("symbol").fill_null(pl.lit(symbol, dtype=pl.String)),
            "timestamp",
            pl.lit("unparseable").alias("reason"),
            pl.format("line {}: cannot parse {}: {}", "line", fields, "raw").alias("detail"),
            "line",
            "raw",
            WINDOW_TS,
        )
        .cast(pl.Schema({**REJECT_SCHEMA, WINDOW_TS: _TS}))
    )
    return candles, rejects
