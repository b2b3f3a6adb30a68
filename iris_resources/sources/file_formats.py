"""Reading candle files into raw tables: the text of each field, its line number and the raw line.

Structural problems (unreadable or empty file, no recognisable header, a row with the wrong
number of fields) raise :class:`SourceError` naming the file and the 1-based line. Whether each
field's *value* parses is decided later, row by row, in :mod:`file_parsing`.

CSV splitting is plain (no quoted separators): OHLCV exports never quote numbers, and doing it with
Polars string kernels keeps a million-line file vectorised while line numbers stay exact.
"""

from __future__ import annotations

import lzma
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from iris_resources.sources.base import SourceError

CSV_SUFFIXES = (".csv", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")
ZIP_SUFFIXES = (".zip",)
SUPPORTED_SUFFIXES = CSV_SUFFIXES + PARQUET_SUFFIXES + ZIP_SUFFIXES

FIELDS = ("timestamp", "open", "high", "low", "close", "volume")
# Header names accepted for each field, case-insensitive, first match wins.
ALIASES: dict[str, tuple[str, ...]] = {
    "timestamp": ("timestamp", "timestamp_utc", "open_time", "time", "date", "datetime", "ts"),
    "open": ("open",),
    "high": ("high",),
    "low": ("low",),
    "close": ("close",),
    "volume": ("volume", "vol"),
    "symbol": ("symbol", "pair", "ticker"),
}
# Binance kline dump rows: open_time, open, high, low, close, volume, close_time, quote volume,
# trades, taker buy base volume, taker buy quote volume, ignore.
_BINANCE_FIELDS = 12


@dataclass(frozen=True, slots=True)
class RawTable:
    """One file's rows: ``line``, ``raw`` and one column per field (strings, or typed for Parquet)."""

    label: str  # how messages name the file ("dir/a.csv", "dump.zip:BTCUSDT-1m-2024-01.csv")
    stem: str  # file name without extension, for symbol/timeframe hints
    frame: pl.DataFrame


def _column_positions(names: list[str]) -> dict[str, int]:
    lowered = [name.strip().strip('"').strip().lower() for name in names]
    positions: dict[str, int] = {}
    for field, aliases in ALIASES.items():
        found = next((lowered.index(alias) for alias in aliases if alias in lowered), None)
        if found is not None:
            positions[field] = found
    return positions


def _looks_numeric(text: str) -> bool:
    try:
        float(text.strip().strip('"'))
    except ValueError:
        return False
    return True


def csv_table(label: str, stem: str, data: bytes) -> RawTable:
    """Split CSV bytes into a raw table (header with known names, or a 12-field Binance kline dump)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise SourceError(f"{label}: line {line}: not UTF-8 text ({exc.reason})") from exc
    if not text.strip():
        raise SourceError(f"{label}: line 1: file is empty")
    lines = (
        pl.DataFrame({"raw": pl.Series([text]).str.split("\n").explode()})
        .with_row_index("line", offset=1)
        .with_columns(pl.col("line").cast(pl.Int64), pl.col("raw").str.strip_chars_end("\r"))
        .filter(pl.col("raw").str.strip_chars() != "")
    )
    first_line, first_raw = int(lines["line"][0]), str(lines["raw"][0])
    separator = next((sep for sep in (",", ";", "\t") if sep in first_raw), ",")
    names = first_raw.split(separator)
    positions = _column_positions(names)
    if positions.keys() & {"timestamp", "open", "close"}:
        missing = [field for field in FIELDS if field not in positions]
        if missing:
            raise SourceError(f"{label}: line {first_line}: header lacks columns: {', '.join(missing)}")
        rows = lines.slice(1)
    elif len(names) == _BINANCE_FIELDS and _looks_numeric(names[0]):
        positions = {field: index for index, field in enumerate(FIELDS)}
        rows = lines
    else:
        raise SourceError(
            f"{label}: line {first_line}: no recognisable header (expected columns timestamp, open, high,"
            f" low, close, volume, or a 12-field Binance kline row), got {first_raw[:80]!r}"
        )
    expected = len(names)
    counts = rows["raw"].str.count_matches(separator, literal=True) + 1
    wrong = rows.filter(counts != expected)
    if wrong.height:
        line, raw = int(wrong["line"][0]), str(wrong["raw"][0])
        found = raw.count(separator) + 1
        raise SourceError(f"{label}: line {line}: expected {expected} fields, found {found}: {raw[:80]!r}")
    # Every row has exactly `expected` fields now, so a fixed-width split is safe (and much faster).
    parts = pl.col("raw").str.split_exact(separator, expected - 1)
    frame = rows.select(
        "line",
        "raw",
        *(
            parts.struct.field(f"field_{index}").str.strip_chars(' "').alias(field)
            for field, index in positions.items()
        ),
    )
    return RawTable(label, stem, frame)


def _textual(dtype: pl.DataType) -> bool:
    """Whether a Parquet column can hold a candle field (and be written out as text): numbers, text,
    dates and datetimes; not lists, structs, durations or times of day."""
    return dtype.is_numeric() or isinstance(
        dtype, (pl.String, pl.Categorical, pl.Enum, pl.Datetime, pl.Date, pl.Boolean, pl.Null)
    )


def parquet_table(path: Path) -> RawTable:
    """A Parquet file as a raw table; ``line`` is the 1-based row number, ``raw`` the row as text."""
    try:
        data = pl.read_parquet(path)
    except Exception as exc:  # Polars raises several error types for corrupt or foreign files
        raise SourceError(f"{path}: unreadable Parquet file: {exc}") from exc
    for name, dtype in data.schema.items():  # some writers store text as untyped bytes
        if isinstance(dtype, pl.Binary):
            try:
                data = data.with_columns(pl.col(name).cast(pl.String))
            except pl.exceptions.ComputeError as exc:
                raise SourceError(f"{path}: column {name!r} holds bytes that are not UTF-8 text") from exc
    positions = _column_positions(data.columns)
    missing = [field for field in FIELDS if field not in positions]
    if missing:
        raise SourceError(f"{path}: columns lack {', '.join(missing)} (found {', '.join(data.columns)})")
    for field, index in positions.items():
        dtype = data.dtypes[index]
        if not _textual(dtype):
            raise SourceError(f"{path}: column {data.columns[index]!r} ({field}) has type {dtype}, "
                              "which cannot hold a candle field")
    raw = pl.concat_str([pl.col(name).cast(pl.String).fill_null("")
                         for name, dtype in data.schema.items() if _textual(dtype)], separator=",")
    frame = data.select(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("line"),
        raw.alias("raw"),
        *(pl.col(data.columns[index]).alias(field) for field, index in positions.items()),
    )
    return RawTable(str(path), path.stem, frame)


def _zip_members(path: Path) -> list[tuple[str, bytes]]:
    """Name and bytes of every CSV member of a zip archive."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = [name for name in archive.namelist() if name.lower().endswith(CSV_SUFFIXES)]
            members = [(name, archive.read(name)) for name in names]
    # How zipfile reports a corrupt or truncated member, an unknown compression method or a password;
    # a damaged header whose UTF-8 flag is set on a name that is not UTF-8 raises UnicodeDecodeError (a ValueError).
    except (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, NotImplementedError, RuntimeError,
            ValueError) as exc:
        raise SourceError(f"{path}: unreadable zip archive ({type(exc).__name__}: {exc})") from exc
    if not members:
        raise SourceError(f"{path}: the archive holds no CSV file")
    return members


def read_tables(path: Path) -> list[RawTable]:
    """The raw tables in one file (a zip holds one per CSV member)."""
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return [parquet_table(path)]
    try:
        if suffix in ZIP_SUFFIXES:
            return [csv_table(f"{path}:{name}", Path(name).stem, data) for name, data in _zip_members(path)]
        return [csv_table(str(path), path.stem, path.read_bytes())]
    except OSError as exc:
        raise SourceError(f"{path}: cannot read file: {exc}") from exc
