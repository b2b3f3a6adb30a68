"""Malformed candle batches through the real write path (validation → repository → PostgreSQL).

Each example hands one batch to ``_load_window`` — what the ``candles`` asset runs for every chunk of
days — through a source that returns exactly that batch. Row-level damage (NaN/inf/negative
prices, high < low, open/close outside the range, off-grid or missing timestamps, unknown symbols,
duplicates) must end in ``candle_rejects`` with the documented reason while every valid row of the
same batch is stored; batch-level damage (naive timestamps, wrong dtypes, missing columns) must
fail with a ``SourceError`` naming the problem and write nothing. Stored rows the batch does not
replace never change.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from iris_assets.market_data.assets.candles import _load_window, batch_key
from iris_resources.db.resources import TransactionResource
from iris_resources.market_data.queries import MarketDataQueries
from iris_resources.market_data.tables import candle_rejects, candles
from iris_resources.market_data.validation import validate_candles
from iris_resources.sources.base import CANDLE_SCHEMA, CoinSpec, SectorSpec, SourceBatch, SourceError

DAY = datetime(2024, 3, 5, tzinfo=UTC)
END = DAY + timedelta(days=1)
STEP = timedelta(minutes=15)
KNOWN = ("AAAUSD", "BBBUSD")
SOURCE = "prop"
BATCH_KEY = batch_key(SOURCE, DAY, [])
PROPERTY = settings(max_examples=50, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

Row = dict[str, Any]


class BatchSource:
    """A candle source that returns one fixed batch for any window (a misbehaving feed)."""

    name = SOURCE

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame

    def sectors(self) -> tuple[SectorSpec, ...]:
        return ()

    def universe(self) -> tuple[CoinSpec, ...]:
        return ()

    def fetch(self, symbols: Sequence[str], start: datetime, end: datetime) -> SourceBatch:
        return SourceBatch(self.frame)


# -- generating rows --------------------------------------------------------------------------------
def _valid_row(draw: st.DrawFn) -> Row:
    low = draw(st.floats(min_value=1e-6, max_value=1e6))
    high = low * (1 + draw(st.floats(min_value=0, max_value=0.5)))
    inside = st.floats(min_value=0, max_value=1)
    return {
        "symbol": draw(st.sampled_from(KNOWN)),
        "timestamp": DAY + STEP * draw(st.integers(0, 11)),  # 12 slots: duplicates and overwrites are common
        "open": min(high, max(low, low + (high - low) * draw(inside))),
        "high": high,
        "low": low,
        "close": min(high, max(low, low + (high - low) * draw(inside))),
        "volume": draw(st.one_of(st.none(), st.floats(min_value=0, max_value=1e12))),
    }


# Ways a row goes bad: a field replaced by an arbitrary (often absurd) value.
_ANY_FLOAT = st.one_of(st.floats(), st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -0.0, -1.0]), st.none())
_MUTATIONS: dict[str, Callable[[st.DrawFn, Row], Any]] = {
    "open": lambda draw, row: draw(_ANY_FLOAT),
    "high": lambda draw, row: draw(_ANY_FLOAT),
    "low": lambda draw, row: draw(_ANY_FLOAT),
    "close": lambda draw, row: draw(_ANY_FLOAT),
    "volume": lambda draw, row: draw(_ANY_FLOAT),
    "symbol": lambda draw, row: draw(st.one_of(st.none(), st.sampled_from(["ZZZUSD", "aaausd", "", " AAAUSD"]))),
    "timestamp": lambda draw, row: draw(st.one_of(
        st.none(),
        st.timedeltas(min_value=timedelta(microseconds=1), max_value=STEP - timedelta(microseconds=1))
        .map(lambda off: (row["timestamp"] or DAY) + off),
    )),
}


@st.composite
def raw_rows(draw: st.DrawFn) -> Row:
    """A valid candle, damaged in zero to three fields."""
    row = _valid_row(draw)
    for field in draw(st.lists(st.sampled_from(sorted(_MUTATIONS)), max_size=3)):
        row[field] = _MUTATIONS[field](draw, row)
    return row


def _frame(rows: list[Row]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=CANDLE_SCHEMA, orient="row") if rows else pl.DataFrame(schema=CANDLE_SCHEMA)


# -- the oracle: the documented rules, written out independently of the implementation ---------------
def expected_reason(row: Row) -> str | None:
    """The first documented rule a row breaks (``validation.py``), or None when it is valid."""
    prices = [row[c] for c in ("open", "high", "low", "close")]
    volume, stamp = row["volume"], row["timestamp"]
    checks: list[tuple[str, Callable[[], bool]]] = [  # lazily: each rule may assume the earlier ones hold
        ("unknown_symbol", lambda: row["symbol"] not in KNOWN),
        ("missing_timestamp", lambda: stamp is None),
        ("missing_price", lambda: any(p is None for p in prices)),
        ("non_finite_price", lambda: not all(math.isfinite(p) for p in prices)),
        ("non_positive_price", lambda: any(p <= 0 for p in prices)),
        ("non_finite_volume", lambda: volume is not None and not math.isfinite(volume)),
        ("negative_volume", lambda: volume is not None and volume < 0),
        ("high_below_low", lambda: row["high"] < row["low"]),
        ("open_outside_range", lambda: not row["low"] <= row["open"] <= row["high"]),
        ("close_outside_range", lambda: not row["low"] <= row["close"] <= row["high"]),
        ("misaligned_timestamp", lambda: (stamp - DAY) % STEP != timedelta(0)),
    ]
    return next((reason for reason, broken in checks if broken()), None)


# -- database state -----------------------------------------------------------------------------------
def _seed(transaction: TransactionResource) -> pl.DataFrame:
    """Two known coins and the first eight bars of the day already stored for the first one."""
    with transaction.begin() as uow:
        sector_ids = uow.coins.upsert_sectors([SectorSpec("layer1", "Layer 1")])
        uow.coins.upsert_coins([CoinSpec(s, s, "layer1", sort_order=n) for n, s in enumerate(KNOWN)], sector_ids,
                               source="test")
        coins = MarketDataQueries(uow.connection).coin_frame()
        stored = [{"symbol": KNOWN[0], "timestamp": DAY + STEP * i, "open": 10.0 + i, "high": 12.0 + i,
                   "low": 9.0 + i, "close": 11.0 + i, "volume": 5.0} for i in range(8)]
        uow.candles.upsert_candles(validate_candles(_frame(stored), coins).accepted)
        uow.commit()
    return coins


def _stored(engine: Engine, ids: dict[int, str]) -> dict[tuple[str, datetime], tuple[Any, ...]]:
    with engine.connect() as connection:
        rows = connection.execute(select(candles.c.coin_id, candles.c.timestamp, candles.c.open, candles.c.high,
                                         candles.c.low, candles.c.close, candles.c.volume)).all()
    return {(ids[r[0]], r[1]): tuple(r[2:]) for r in rows}


def _rejects(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(
            select(candle_rejects.c.symbol, candle_rejects.c.timestamp, candle_rejects.c.reason)
            .where(candle_rejects.c.batch_key == BATCH_KEY))]


def _load(transaction: TransactionResource, coins: pl.DataFrame, frame: pl.DataFrame) -> dict[str, int]:
    return _load_window(transaction, BatchSource(frame), coins, DAY, END, [])


def _key(row: Row) -> tuple[str, datetime]:
    return row["symbol"], row["timestamp"]


def _values(row: Row) -> tuple[Any, ...]:
    return row["open"], row["high"], row["low"], row["close"], row["volume"]


# -- properties ------------------------------------------------------------------------------------------
def test_every_row_is_stored_or_quarantined_and_nothing_else_changes(
    transaction: TransactionResource, engine: Engine
) -> None:
    coins = _seed(transaction)
    ids = dict(zip(coins["coin_id"].to_list(), coins["symbol"].to_list(), strict=True))

    @PROPERTY
    @given(st.lists(raw_rows(), max_size=30))
    def check(rows: list[Row]) -> None:
        before = _stored(engine, ids)
        counters = _load(transaction, coins, _frame(rows))

        reasons = [expected_reason(row) for row in rows]
        valid = [row for row, reason in zip(rows, reasons, strict=True) if reason is None]
        expected = dict(before)
        for row in valid:  # duplicates within the batch: the last row wins
            expected[_key(row)] = _values(row)
        assert _stored(engine, ids) == expected
        quarantined = Counter((row["symbol"], row["timestamp"], reason)
                              for row, reason in zip(rows, reasons, strict=True) if reason is not None)
        assert Counter(_rejects(engine)) == quarantined
        distinct = len({_key(row) for row in valid})
        assert (counters["fetched"], counters["accepted"], counters["rejected"], counters["duplicates"]) == (
            len(rows), distinct, sum(quarantined.values()), len(valid) - distinct)

    check()


def _naive(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.col("timestamp").dt.replace_time_zone(None))


# Batch-level damage and the words the error must contain.
BROKEN_BATCHES: dict[str, tuple[Callable[[pl.DataFrame], pl.DataFrame], str]] = {
    "naive timestamps": (_naive, r"'timestamp' is naive"),
    "epoch numbers for timestamps": (lambda f: f.with_columns(pl.col("timestamp").dt.epoch("ms")),
                                     r"'timestamp' must be a timezone-aware datetime, got Int64"),
    "text timestamps": (lambda f: f.with_columns(pl.col("timestamp").dt.to_string()),
                        r"'timestamp' must be a timezone-aware datetime, got String"),
    "text prices": (lambda f: f.with_columns(pl.col("high").cast(pl.String)), r"'high' must be numeric, got String"),
    "boolean volume": (lambda f: f.with_columns(pl.col("volume").is_not_null()),
                       r"'volume' must be numeric, got Boolean"),
    "numeric symbols": (lambda f: f.with_columns(pl.col("symbol").str.len_bytes()), r"'symbol' must be text"),
    "a missing column": (lambda f: f.drop("close"), r"lacks columns: close"),
    "no columns at all": (lambda f: pl.DataFrame(), r"lacks columns: symbol, timestamp, open"),
}


def test_a_malformed_batch_fails_with_an_error_naming_it_and_writes_nothing(
    transaction: TransactionResource, engine: Engine
) -> None:
    coins = _seed(transaction)
    ids = dict(zip(coins["coin_id"].to_list(), coins["symbol"].to_list(), strict=True))

    @PROPERTY
    @given(st.lists(raw_rows(), max_size=12), st.sampled_from(sorted(BROKEN_BATCHES)))
    def check(rows: list[Row], damage: str) -> None:
        before, rejects_before = _stored(engine, ids), Counter(_rejects(engine))
        corrupt, message = BROKEN_BATCHES[damage]
        with pytest.raises(SourceError, match=message):
            _load(transaction, coins, corrupt(_frame(rows)))
        assert _stored(engine, ids) == before
        assert Counter(_rejects(engine)) == rejects_before

    check()


# Representations that mean the same candles: they must load exactly like the canonical frame.
EQUIVALENT_BATCHES: dict[str, Callable[[pl.DataFrame], pl.DataFrame]] = {
    "another time zone": lambda f: f.with_columns(pl.col("timestamp").dt.convert_time_zone("America/New_York")),
    "millisecond timestamps": lambda f: f.with_columns(pl.col("timestamp").dt.cast_time_unit("ms")),
    "categorical symbols": lambda f: f.with_columns(pl.col("symbol").cast(pl.Categorical)),
    "integer volume": lambda f: f.with_columns(pl.col("volume").round(0).cast(pl.Int64, strict=False)),
    "extra columns": lambda f: f.with_columns(pl.lit("x").alias("exchange")),
    "all-null volume": lambda f: f.with_columns(pl.lit(None).alias("volume")),
}


def test_lossless_variants_of_a_batch_store_the_same_rows(transaction: TransactionResource, engine: Engine) -> None:
    coins = _seed(transaction)
    ids = dict(zip(coins["coin_id"].to_list(), coins["symbol"].to_list(), strict=True))

    @PROPERTY
    @given(st.lists(raw_rows(), max_size=12), st.sampled_from(sorted(EQUIVALENT_BATCHES)))
    def check(rows: list[Row], variant: str) -> None:
        canonical = EQUIVALENT_BATCHES[variant](_frame(rows)).select(
            pl.col(name).cast(dtype) for name, dtype in CANDLE_SCHEMA.items())
        before = _stored(engine, ids)
        _load(transaction, coins, EQUIVALENT_BATCHES[variant](_frame(rows)))
        after = _stored(engine, ids)
        expected = dict(before)
        for row in canonical.to_dicts():
            if expected_reason(row) is None:
                expected[_key(row)] = _values(row)
        assert after == expected

    check()


@settings(max_examples=50, deadline=None)
@given(st.lists(st.fixed_dictionaries({
    "symbol": st.one_of(st.none(), st.sampled_from(KNOWN), st.text(max_size=6)),
    "timestamp": st.one_of(st.none(), st.datetimes(timezones=st.just(UTC))),
    **dict.fromkeys(("open", "high", "low", "close", "volume"), _ANY_FLOAT),
}), max_size=40))
def test_validation_accounts_for_every_row_of_any_batch(rows: list[Row]) -> None:
    coins = pl.DataFrame({"symbol": list(KNOWN), "coin_id": [1, 2], "timeframe": [15, 15]},
                         schema={"symbol": pl.String, "coin_id": pl.Int32, "timeframe": pl.Int16})
    result = validate_candles(_frame(rows), coins)
    assert result.accepted.height + result.duplicates + result.rejects.height == len(rows)
    assert result.rejects["reason"].null_count() == 0
    assert not result.accepted.select("coin_id", "timestamp").is_duplicated().any()
