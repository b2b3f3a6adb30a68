"""The history-bounded reads of the research assets give what the full reads and the pure engines give.

* ``OutcomeQueries.recent_pattern_outcomes``: statistics over the SQL-ranked newest outcomes per scope
  equal statistics over every outcome;
* backtests read slice by slice (``ResearchQueries.evaluated_outcomes``) and folded into per-group
  states equal ``backtest_summaries`` over every outcome at once;
* ``ResearchQueries.strategy_stacks``: each signal with its bar's regime and cycle, as the asset joined them.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import Engine, insert

from iris_assets.patterns.statistics import pattern_statistics
from iris_assets.signals.assets import research
from iris_assets.signals.backtests import backtest_summaries
from iris_resources.indicators.tables import indicators, signals
from iris_resources.patterns.outcome_queries import OutcomeQueries
from iris_resources.patterns.tables import market_cycles, signal_outcomes
from iris_resources.signals.queries import DecisionQueries
from iris_resources.signals.research_queries import ResearchQueries

T0 = datetime(2024, 3, 1, tzinfo=UTC)
NOW = T0 + timedelta(days=12)
TYPES = ("pattern_bull_flag", "pattern_double_top", "pattern_cluster_bull_flag", "pattern_hierarchy_x", "rsi_cross")
REGIMES = ("bull_trend", "bear_trend", "all", None)


def _outcome_rows(seed: int) -> list[dict[str, object]]:
    generator = random.Random(seed)
    rows: list[dict[str, object]] = []
    for coin_id in range(1, 7):
        for timeframe in (15, 60):
            # a coarse grid: many outcomes share a candle time across coins, so the window cuts through ties
            for step in range(0, 12 * 24 * 4, 3):
                for signal_type in TYPES:
                    if generator.random() < 0.5:
                        continue
                    result = generator.choice((None, -0.01, 0.0, 0.02, 0.03, generator.uniform(-0.05, 0.05)))
                    rows.append({
                        "coin_id": coin_id, "timeframe": timeframe,
                        "candle_timestamp": T0 + timedelta(minutes=15 * step), "signal_type": signal_type,
                        "direction": "bullish", "market_regime": generator.choice(REGIMES),
                        "result_return": result,
                        "result_drawdown": generator.choice((None, -generator.uniform(0, 0.05))),
                        "evaluated_at": NOW,
                    })
    return rows


def _signal_rows(outcomes: list[dict[str, object]], seed: int) -> list[dict[str, object]]:
    generator = random.Random(seed)
    return [{"coin_id": r["coin_id"], "timeframe": r["timeframe"], "signal_type": r["signal_type"],
             "source": "pattern" if str(r["signal_type"]).startswith("pattern_") else "indicator",
             "direction": "bullish", "confidence": generator.uniform(0.3, 0.95),
             "priority_score": generator.choice((0.0, generator.uniform(0.1, 2.0))),
             "market_regime": "sideways_range", "candle_timestamp": r["candle_timestamp"], "created_at": NOW}
            for r in outcomes]


def _insert(engine: Engine, seed: int) -> list[dict[str, object]]:
    rows = _outcome_rows(seed)
    with engine.begin() as connection:
        connection.execute(insert(signal_outcomes), rows)
        connection.execute(insert(signals), _signal_rows(rows, seed))
    return rows


def test_statistics_over_the_ranked_newest_outcomes_equal_statistics_over_all(engine: Engine) -> None:
    _insert(engine, 11)
    since = T0 + timedelta(days=1)
    with engine.connect() as connection:
        query = OutcomeQueries(connection)
        full = query.pattern_outcomes(since)
        for window in (1, 7, 40, 200):
            bounded = query.recent_pattern_outcomes(since, window)
            assert bounded.schema == full.schema
            # 2 slugs × 2 timeframes × (2 regime scopes + the pooled one), each at most `window` rows
            assert bounded.height <= 2 * 2 * 3 * window
            assert window == 200 or bounded.height < full.height
            expected = pattern_statistics(full, NOW, window)
            assert expected.get_column("total_signals").max() == window
            assert_frame_equal(pattern_statistics(bounded, NOW, window), expected)
            # the database's row order never changes which tied outcomes are in a window
            assert_frame_equal(pattern_statistics(full.sample(fraction=1.0, shuffle=True, seed=3), NOW, window),
                               expected)


@pytest.mark.parametrize("slice_days", [1, 15])
def test_backtests_folded_slice_by_slice_equal_the_engine(engine: Engine, slice_days: int,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    _insert(engine, 5)
    monkeypatch.setattr(research, "BACKTEST_SLICE_DAYS", slice_days)
    with engine.connect() as connection:
        query = ResearchQueries(connection)
        outcomes = DecisionQueries(connection).outcomes_for_backtests(T0)
        coins, timeframes = query.outcome_series()
        assert (coins, timeframes) == (list(range(1, 7)), [15, 60])
        packed = query.evaluated_outcomes(coins, timeframes, T0, None)
        assert_frame_equal(packed.sort("coin_id", "timeframe", "candle_timestamp", "signal_type"),
                           outcomes.select(packed.columns).sort("coin_id", "timeframe", "candle_timestamp",
                                                                "signal_type"), check_dtypes=False)
        lookbacks = [3, 7, 30]
        frames = research._backtest_frames(query, NOW, lookbacks)
    for days, got in zip(lookbacks, frames, strict=True):
        expected = backtest_summaries(outcomes, NOW, days).with_columns(pl.lit(NOW).alias("as_of"))
        assert expected.height > 0
        assert_frame_equal(got, expected, check_exact=False, rel_tol=1e-12, abs_tol=1e-12)


def test_backtests_of_an_empty_history_are_empty(engine: Engine) -> None:
    with engine.connect() as connection:
        frames = research._backtest_frames(ResearchQueries(connection), NOW, [30, 90])
    assert all(frame.is_empty() for frame in frames)


def test_strategy_stacks_carry_their_bars_regime_and_cycle(engine: Engine) -> None:
    rows = _insert(engine, 3)
    stamp = rows[0]["candle_timestamp"]
    bar = {"coin_id": rows[0]["coin_id"], "timeframe": rows[0]["timeframe"], "timestamp": stamp}
    with engine.begin() as connection:
        connection.execute(insert(indicators), [{**bar, "close": 1.0,
                                                 "market_regime": "bull_trend"}])
        connection.execute(insert(market_cycles), [{**bar, "cycle_phase": "markup", "confidence": 0.7}])
    with engine.connect() as connection:
        stacks = ResearchQueries(connection).strategy_stacks(list(range(1, 7)), 15, T0, NOW)
    expected = [r for r in rows if r["timeframe"] == 15 and str(r["signal_type"]).startswith("pattern_")]
    assert stacks.height == len(expected)
    assert stacks.schema["coin_id"] == pl.Int32 and stacks.schema["timeframe"] == pl.Int16
    known = stacks.filter(pl.col("regime").is_not_null())
    assert bar["timeframe"] == 15 and str(rows[0]["signal_type"]).startswith("pattern_")
    assert known.height == sum(1 for r in expected if r["coin_id"] == bar["coin_id"]
                               and r["candle_timestamp"] == stamp) > 0
    assert set(known.get_column("regime")) == {"bull_trend"} and set(known.get_column("cycle")) == {"markup"}
