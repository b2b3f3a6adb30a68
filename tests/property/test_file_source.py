"""Malformed candle files through the file source (and on into the database).

Whatever the bytes, the file source ends in one of two ways: a ``SourceError`` naming the file (and
line) for a file that is broken as a whole, or candles plus per-row rejects in which every data
line of the file appears exactly once. It never raises anything else.
"""

from __future__ import annotations

import io
import itertools
import zipfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from iris_assets.market_data.assets.candles import _load_window, batch_key
from iris_resources.db.resources import TransactionResource
from iris_resources.market_data.queries import MarketDataQueries
from iris_resources.market_data.tables import candle_rejects, candles
from iris_resources.sources.base import CANDLE_SCHEMA, REJECT_SCHEMA, CoinSpec, SectorSpec, SourceBatch, SourceError
from iris_resources.sources.files import FileCandleSource

EVER = (datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC))
DAY = datetime(2024, 3, 5, tzinfo=UTC)
STEP = timedelta(minutes=15)
FIELDS = ("timestamp", "open", "high", "low", "close", "volume")
PROPERTY = settings(max_examples=50, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
_names = itertools.count()


def _write(directory: Path, name: str, data: bytes) -> Path:
    """A fresh file per example (the source caches what it read)."""
    path = directory / str(next(_names)) / name
    path.parent.mkdir(parents=True)
    path.write_bytes(data)
    return path


def _read(path: Path) -> SourceBatch:
    source = FileCandleSource(path)
    return source.fetch([coin.symbol for coin in source.universe()], *EVER)


def _assert_well_formed(batch: SourceBatch) -> None:
    assert batch.candles.schema == pl.Schema(CANDLE_SCHEMA)
    assert batch.rejects.schema == pl.Schema(REJECT_SCHEMA)
    assert batch.rejects["reason"].null_count() == 0 and batch.rejects["line"].null_count() == 0


# -- strategies -------------------------------------------------------------------------------------------
_GOOD_NUMBER = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False).map(repr)
# Text that is certainly not a number: no digits, and letters that cannot spell nan/inf/e-notation.
_BAD_NUMBER = st.one_of(st.sampled_from(["", "n/a", "--", "1.2.3", "$5", "5%", "one", "1e", "0x"]),
                        st.text(alphabet="xyzqw/?!#", min_size=1, max_size=5))
_OFFSETS = ("Z", "+00:00", "+05:30", "-08:00", "+14:00", "-12:00", "+0200", "", " UTC")


@st.composite
def zoned_times(draw: st.DrawFn) -> tuple[str, datetime]:
    """An ISO-8601 time written in a random zone and layout, and the UTC instant it denotes."""
    instant = DAY + STEP * draw(st.integers(0, 95))
    offset = draw(st.sampled_from(_OFFSETS))
    sign, hours, minutes = (-1 if offset.startswith("-") else 1), 0, 0
    if offset.strip() not in ("", "Z", "UTC"):
        digits = offset[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:])
    local = instant + sign * timedelta(hours=hours, minutes=minutes)
    separator = draw(st.sampled_from(["T", " "]))
    seconds = draw(st.sampled_from([":%S", ":%S.000", ""]))
    return local.strftime(f"%Y-%m-%d{separator}%H:%M{seconds}") + offset, instant


# -- properties -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["BTCUSD-15m.csv", "BTCUSDT-1m-2024-03.zip", "BTCUSD.parquet"])
def test_garbage_bytes_are_a_source_error_never_a_crash(tmp_path: Path, name: str) -> None:
    @PROPERTY
    @given(st.one_of(st.binary(max_size=400), st.text(max_size=400).map(str.encode)))
    def check(data: bytes) -> None:
        try:
            batch = _read(_write(tmp_path, name, data))
        except SourceError as error:
            assert str(error)  # names what is wrong
        else:
            _assert_well_formed(batch)

    check()


def test_a_corrupted_zip_archive_is_a_source_error(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("BTCUSDT-15m-2024-03.csv", "\n".join(
            f"{1709596800000 + i * 900_000},1,2,0.5,1.5,10,0,0,0,0,0,0" for i in range(96)))
    pristine = buffer.getvalue()

    @PROPERTY
    # Found by this property: the general-purpose flag's UTF-8 bit set on a name that is not UTF-8.
    @example(flips=[(7, 8), (30, 128)])
    @given(st.lists(st.tuples(st.integers(0, len(pristine) - 1), st.integers(0, 255)), min_size=1, max_size=4))
    def check(flips: list[tuple[int, int]]) -> None:
        damaged = bytearray(pristine)
        for index, value in flips:
            damaged[index] = value
        try:
            batch = _read(_write(tmp_path, "BTCUSDT-15m-2024-03.zip", bytes(damaged)))
        except SourceError as error:
            assert ".zip" in str(error)
        else:
            _assert_well_formed(batch)

    check()


def test_a_header_missing_columns_names_exactly_the_missing_ones(tmp_path: Path) -> None:
    @PROPERTY
    @given(st.lists(st.sampled_from(FIELDS), unique=True, min_size=1, max_size=5)
           .filter(lambda kept: bool({"timestamp", "open", "close"} & set(kept))))
    def check(kept: list[str]) -> None:
        missing = [field for field in FIELDS if field not in kept]
        data = ",".join(kept) + "\n" + ",".join("1" for _ in kept) + "\n"
        with pytest.raises(SourceError, match=rf"line 1: header lacks columns: {', '.join(missing)}$"):
            _read(_write(tmp_path, "BTCUSD-15m.csv", data.encode()))

    check()


@st.composite
def csv_rows(draw: st.DrawFn) -> tuple[str, bool, datetime]:
    """One data line (random zone; each numeric cell good or garbage) and whether it should parse."""
    text, instant = draw(zoned_times())
    numbers = [draw(st.one_of(_GOOD_NUMBER, _BAD_NUMBER)) for _ in FIELDS[1:]]
    parses = all(cell not in ("",) and _is_number(cell) for cell in numbers)
    return ",".join([text, *numbers]), parses, instant


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_every_line_of_a_csv_is_a_candle_or_a_reject_naming_its_line(tmp_path: Path) -> None:
    @PROPERTY
    @given(st.lists(csv_rows(), min_size=1, max_size=25))
    def check(rows: list[tuple[str, bool, datetime]]) -> None:
        data = "timestamp,open,high,low,close,volume\n" + "\n".join(line for line, _, _ in rows) + "\n"
        batch = _read(_write(tmp_path, "BTCUSD-15m.csv", data.encode()))
        _assert_well_formed(batch)
        good = [(instant, line) for line, parses, instant in rows if parses]
        bad_lines = sorted(number + 2 for number, (_, parses, _) in enumerate(rows) if not parses)
        # Mixed zones: every candle is the UTC instant its text denotes.
        assert Counter(batch.candles["timestamp"].to_list()) == Counter(instant for instant, _ in good)
        assert sorted(batch.rejects["line"].to_list()) == bad_lines
        assert set(batch.rejects["reason"].to_list()) <= {"unparseable"}
        for reject in batch.rejects.iter_rows(named=True):
            assert f"line {reject['line']}: cannot parse" in reject["detail"]
            assert reject["raw"] == rows[reject["line"] - 2][0]

    check()


def test_a_file_whose_times_never_parse_is_a_source_error(tmp_path: Path) -> None:
    @PROPERTY
    @given(st.lists(st.text(alphabet="xyz-/: ", max_size=12), min_size=1, max_size=5))
    def check(stamps: list[str]) -> None:
        data = "timestamp,open,high,low,close,volume\n" + "".join(f"{s},1,2,0.5,1.5,10\n" for s in stamps)
        with pytest.raises(SourceError, match=r"BTCUSD-15m\.csv: line 2: no row of the file has a readable timestamp"):
            _read(_write(tmp_path, "BTCUSD-15m.csv", data.encode()))

    check()


def test_a_blank_symbol_without_a_fallback_is_a_source_error_naming_the_line(tmp_path: Path) -> None:
    data = ("symbol,timestamp,open,high,low,close,volume\n"
            "BTCUSD,2024-03-05T00:00Z,1,2,0.5,1.5,10\n"
            ",2024-03-05T00:15Z,1,2,0.5,1.5,10\n")
    with pytest.raises(SourceError, match=r"data\.csv: line 3: blank symbol"):
        _read(_write(tmp_path, "data.csv", data.encode()))


def test_a_csv_with_bad_rows_stores_the_good_ones_and_quarantines_the_rest(
    tmp_path: Path, transaction: TransactionResource, engine: Engine
) -> None:
    """File → validation → database: unparseable and invalid lines land in ``candle_rejects``."""
    with transaction.begin() as uow:
        sector_ids = uow.coins.upsert_sectors([SectorSpec("imported", "Imported")])
        uow.coins.upsert_coins([CoinSpec("BTCUSD", "BTCUSD", "imported")], sector_ids, source="test")
        coins = MarketDataQueries(uow.connection).coin_frame()
        uow.commit()

    @PROPERTY
    @given(st.lists(csv_rows(), min_size=1, max_size=25))
    def check(rows: list[tuple[str, bool, datetime]]) -> None:
        data = "timestamp,open,high,low,close,volume\n" + "\n".join(line for line, _, _ in rows) + "\n"
        source = FileCandleSource(_write(tmp_path, "BTCUSD-15m.csv", data.encode()))
        with engine.connect() as connection:
            before = connection.execute(select(candles.c.timestamp)).scalars().all()
        counters = _load_window(transaction, source, coins, DAY, DAY + timedelta(days=1), [])
        parsed = source.fetch(["BTCUSD"], *EVER)
        with engine.connect() as connection:
            after = set(connection.execute(select(candles.c.timestamp)).scalars())
            reasons = Counter(connection.execute(
                select(candle_rejects.c.reason)
                .where(candle_rejects.c.batch_key == batch_key(source.name, DAY, []))).scalars())
        assert set(before) <= after  # nothing stored earlier disappears
        assert counters["fetched"] == parsed.candles.height
        assert reasons["unparseable"] == sum(not parses for _, parses, _ in rows)
        assert counters["accepted"] + counters["duplicates"] + sum(reasons.values()) == len(rows)

    check()
