"""Market data repositories and queries against a real PostgreSQL."""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import Engine, text

from iris_resources.db.resources import TransactionResource
from iris_resources.market_data.queries import MarketDataQueries
from iris_resources.market_data.validation import validate_candles
from iris_resources.sources.base import CoinSpec, SectorSpec
from tests.builders import T0, candle_frame


def _seed_universe(transaction: TransactionResource) -> pl.DataFrame:
    with transaction.begin() as uow:
        sector_ids = uow.coins.upsert_sectors([SectorSpec("layer1", "Layer 1"), SectorSpec("defi", "DeFi")])
        uow.coins.upsert_coins(
            [CoinSpec("AAAUSD", "Aaa", "layer1"), CoinSpec("BBBUSD", "Bbb", "defi", sort_order=1)],
            sector_ids, source="test",
        )
        coins = MarketDataQueries(uow.connection).coin_frame()
        uow.commit()
    return coins


def _store(transaction: TransactionResource, coins: pl.DataFrame, raw: pl.DataFrame) -> int:
    accepted = validate_candles(raw, coins).accepted
    with transaction.begin() as uow:
        written = uow.candles.upsert_candles(accepted)
        uow.commit()
    return written


def _stored(transaction: TransactionResource, coins: pl.DataFrame) -> pl.DataFrame:
    with transaction.begin() as uow:
        return MarketDataQueries(uow.connection).candles_frame(
            coins.get_column("coin_id").to_list(), None, T0 - timedelta(days=1), T0 + timedelta(days=10)
        )


def test_coins_are_listed_with_their_sector_in_sort_order(transaction: TransactionResource) -> None:
    _seed_universe(transaction)
    with transaction.begin() as uow:
        listed = MarketDataQueries(uow.connection).list_coins()
    assert [(c.symbol, c.sector_code) for c in listed] == [("AAAUSD", "layer1"), ("BBBUSD", "defi")]
    with pytest.raises(dataclasses.FrozenInstanceError):
        listed[0].symbol = "X"  # type: ignore[misc]


def test_coins_referencing_an_unknown_sector_are_refused(transaction: TransactionResource) -> None:
    with transaction.begin() as uow, pytest.raises(ValueError, match="unknown sectors: nope"):
        uow.coins.upsert_coins([CoinSpec("AAAUSD", "Aaa", "nope")], {}, source="test")


def test_first_load_copies_and_reads_back_identically(transaction: TransactionResource,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="iris.persistence")
    coins = _seed_universe(transaction)
    raw = pl.concat([candle_frame("AAAUSD", 50), candle_frame("BBBUSD", 50, price=5.0)])
    assert _store(transaction, coins, raw) == 100
    upsert = next(r for r in caplog.records if getattr(r, "event", "") == "repo.upsert_candles")
    assert upsert.persistence["path"] == "copy"  # type: ignore[attr-defined]
    stored = _stored(transaction, coins)
    expected = validate_candles(raw, coins).accepted
    assert_frame_equal(stored.drop("is_partial"), expected)


def test_reloading_the_same_rows_changes_nothing(transaction: TransactionResource) -> None:
    coins = _seed_universe(transaction)
    raw = candle_frame("AAAUSD", 30)
    _store(transaction, coins, raw)
    before = _stored(transaction, coins)
    assert _store(transaction, coins, raw) == 0  # staged path: only changed rows are written
    assert_frame_equal(_stored(transaction, coins), before)


def test_corrected_rows_overwrite_and_new_rows_are_added(transaction: TransactionResource) -> None:
    coins = _seed_universe(transaction)
    _store(transaction, coins, candle_frame("AAAUSD", 10))
    corrected = candle_frame("AAAUSD", 12, price=200.0)  # overlaps 10 rows, adds 2
    assert _store(transaction, coins, corrected) == 12
    stored = _stored(transaction, coins)
    assert stored.height == 12
    assert stored.get_column("open").to_list()[:2] == [200.0, 201.0]


def test_null_volume_round_trips_as_null(transaction: TransactionResource) -> None:
    coins = _seed_universe(transaction)
    raw = candle_frame("AAAUSD", 3).with_columns(pl.Series("volume", [1.0, None, 3.0]))
    _store(transaction, coins, raw)
    assert _stored(transaction, coins).get_column("volume").to_list() == [1.0, None, 3.0]


def test_the_database_refuses_invalid_ohlc_even_past_validation(transaction: TransactionResource,
                                                                 engine: Engine) -> None:
    coins = _seed_universe(transaction)
    bad = validate_candles(candle_frame("AAAUSD", 2), coins).accepted.with_columns(pl.lit(-1.0).alias("low"))
    with pytest.raises(Exception, match="ohlc_valid"), transaction.begin() as uow:
        uow.candles.upsert_candles(bad)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM candles")).scalar_one() == 0


def test_rejects_of_a_batch_are_replaced_not_duplicated(transaction: TransactionResource, engine: Engine) -> None:
    coins = _seed_universe(transaction)
    raw = candle_frame("AAAUSD", 4).with_columns(pl.Series("volume", [1.0, -1.0, 1.0, -2.0]))
    rejects = validate_candles(raw, coins).rejects
    for _ in range(2):
        with transaction.begin() as uow:
            uow.candles.replace_rejects("candles:test:2024-03-01:all", "test", rejects)
            uow.commit()
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT reason, symbol FROM candle_rejects ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [("negative_volume", "AAAUSD")] * 2


def test_gaps_are_replaced_per_window_and_updated_when_a_late_bar_splits_them(
    transaction: TransactionResource,
) -> None:
    coins = _seed_universe(transaction)
    schema = {"coin_id": pl.Int32, "timeframe": pl.Int16, "gap_start": pl.Datetime("us", "UTC"),
              "gap_end": pl.Datetime("us", "UTC"), "missing_bars": pl.Int32}
    coin_id = int(coins.get_column("coin_id")[0])
    gap = pl.DataFrame([(coin_id, 15, T0, T0 + timedelta(hours=1), 4)], schema=schema, orient="row")
    window = (T0, T0 + timedelta(days=1))
    for _ in range(2):
        with transaction.begin() as uow:
            uow.candles.replace_gaps([coin_id], *window, gap)
            uow.commit()
    split = pl.DataFrame([(coin_id, 15, T0, T0 + timedelta(minutes=30), 2)], schema=schema, orient="row")
    with transaction.begin() as uow:
        uow.candles.replace_gaps([coin_id], T0, T0 + timedelta(minutes=45), split)
        uow.commit()
    with transaction.begin() as uow:
        gaps = MarketDataQueries(uow.connection).gaps(*window)
    assert [(g.gap_start, g.gap_end, g.missing_bars) for g in gaps] == [(T0, T0 + timedelta(minutes=30), 2)]


def test_last_bars_before_finds_each_coins_previous_bar(transaction: TransactionResource) -> None:
    coins = _seed_universe(transaction)
    _store(transaction, coins, pl.concat([candle_frame("AAAUSD", 8), candle_frame("BBBUSD", 2)]))
    with transaction.begin() as uow:
        previous = MarketDataQueries(uow.connection).last_bars_before(coins, T0 + timedelta(hours=1))
    assert sorted(previous.rows()) == [(1, T0 + timedelta(minutes=45)), (2, T0 + timedelta(minutes=15))]


def test_candles_for_unknown_coins_are_refused(transaction: TransactionResource) -> None:
    coins = _seed_universe(transaction)
    orphan = validate_candles(candle_frame("AAAUSD", 2), coins).accepted.with_columns(
        pl.lit(999, dtype=pl.Int32).alias("coin_id")
    )
    with pytest.raises(ValueError, match=r"unknown coin ids: \[999\]"), transaction.begin() as uow:
        uow.candles.upsert_candles(orphan)


def _seed_bases(transaction: TransactionResource) -> pl.DataFrame:
    """Coins whose base candles are 1m, 5m and 15m (``coin_id``, ``symbol``, ``timeframe`` = base)."""
    with transaction.begin() as uow:
        sector_ids = uow.coins.upsert_sectors([SectorSpec("layer1", "Layer 1")])
        uow.coins.upsert_coins([CoinSpec(symbol, symbol.title(), "layer1", base_timeframe=base, sort_order=i)
                                for i, (symbol, base) in enumerate((("ONEUSD", 1), ("FIVEUSD", 5), ("QTRUSD", 15)))],
                               sector_ids, source="test")
        coins = MarketDataQueries(uow.connection).coin_frame()
        uow.commit()
    return coins


def test_base_reads_and_overlap_checks_cover_every_base_timeframe(transaction: TransactionResource) -> None:
    coins = _seed_bases(transaction)
    minutes = dict(zip(coins.get_column("symbol").to_list(), coins.get_column("timeframe").to_list(), strict=True))
    raw = pl.concat([candle_frame(symbol, 12, minutes=minutes[symbol]) for symbol in ("ONEUSD", "FIVEUSD", "QTRUSD")])
    assert _store(transaction, coins, raw) == 36
    stored = _stored(transaction, coins)
    # Each coin's own base: the read spells out the stored timeframes, so none may be missing.
    assert stored.group_by("timeframe").len().sort("timeframe").rows() == [(1, 12), (5, 12), (15, 12)]
    # A window inside the series: its bounds hold for every base timeframe.
    with transaction.begin() as uow:
        inside = MarketDataQueries(uow.connection).candles_frame(
            coins.get_column("coin_id").to_list(), None, T0 + timedelta(minutes=5), T0 + timedelta(minutes=15))
    assert sorted(inside.select("timeframe", "timestamp").rows()) == [
        (1, T0 + timedelta(minutes=m)) for m in range(5, 12)] + [(5, T0 + timedelta(minutes=5)),
                                                                  (5, T0 + timedelta(minutes=10))]
    # Reloading overlapping 1m and 5m candles must take the staged upsert (a plain COPY would hit the key).
    corrected = pl.concat([candle_frame("ONEUSD", 12, price=300.0, minutes=1),
                           candle_frame("FIVEUSD", 12, minutes=5)])
    assert _store(transaction, coins, corrected) == 12
    assert _stored(transaction, coins).filter(pl.col("timeframe") == 1).get_column("open").to_list()[:2] == [
        300.0, 301.0]
