"""The newest decision-log row per (coin, timeframe) before a run: index descents, same rows as a scan."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
from sqlalchemy import Engine, insert, text

from iris_resources.signals.queries import DecisionQueries
from iris_resources.signals.tables import investment_decisions

START = datetime(2024, 5, 1, tzinfo=UTC)
FILLER = dict.fromkeys(("score", "bias_ratio", "signal_priority", "regime_factor", "sector_factor",
                        "cycle_factor", "historical_success", "strategy_alignment"), 0.5)


def _seed(engine: Engine) -> None:
    rng = random.Random(11)
    rows: list[dict[str, Any]] = []
    for coin_id in (1, 2, 3, 4):
        for timeframe in (15, 60, 240, 1440):
            if coin_id == 2 and timeframe == 60:
                continue  # a pair with no rows at all
            # coin 3's 4h rows all start at the run: nothing before it for that pair
            first = START if (coin_id, timeframe) == (3, 240) else START - timedelta(days=rng.randint(1, 40))
            at = first
            while at < START + timedelta(days=3):
                if rng.random() < 0.4:
                    rows.append({"coin_id": coin_id, "timeframe": timeframe, "timestamp": at,
                                 "decision": rng.choice(("BUY", "HOLD", "SELL")), "confidence": rng.random(),
                                 "confidence_band": "medium", **FILLER, "pattern_count": 1, "cluster_count": 0,
                                 "hierarchy_count": 0, "reason": "seeded", "created_at": START})
                at += timedelta(minutes=timeframe)
    with engine.begin() as connection:
        connection.execute(insert(investment_decisions), rows)


def _scanned(engine: Engine, coin_ids: list[int]) -> set[tuple[Any, ...]]:
    """The reference answer: DISTINCT ON over every earlier row."""
    with engine.connect() as connection:
        return {tuple(r) for r in connection.execute(text(
            "SELECT DISTINCT ON (coin_id, timeframe) coin_id, timeframe, timestamp, decision, confidence "
            "FROM investment_decisions WHERE coin_id = ANY(:ids) AND timestamp < :start "
            "ORDER BY coin_id, timeframe, timestamp DESC"), {"ids": coin_ids, "start": START})}


def test_latest_rows_before_the_run_equal_a_full_scan(engine: Engine) -> None:
    _seed(engine)
    for coin_ids in ([1, 2, 3, 4], [3], [2, 4, 9]):
        with engine.connect() as connection:
            frame = DecisionQueries(connection).latest_before(investment_decisions, coin_ids, START)
        expected = _scanned(engine, coin_ids)
        assert expected, coin_ids
        assert {(r["coin_id"], r["timeframe"], r["timestamp"], r["decision"], r["confidence"])
                for r in frame.iter_rows(named=True)} == expected
        assert frame.schema["timestamp"] == pl.Datetime("us", "UTC")
    # coin 3 has no 4h row before the run, coin 2 no 1h row at all
    with engine.connect() as connection:
        frame = DecisionQueries(connection).latest_before(investment_decisions, [2, 3], START)
    assert (3, 240) not in set(frame.select("coin_id", "timeframe").iter_rows())
    assert (2, 60) not in set(frame.select("coin_id", "timeframe").iter_rows())


def test_no_coins_read_nothing(engine: Engine) -> None:
    _seed(engine)
    with engine.connect() as connection:
        assert DecisionQueries(connection).latest_before(investment_decisions, [], START).is_empty()
