"""Strategy discovery and alignment (reference 5.7, DECISIONS 16 and 17), hand-computed."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from iris_assets.signals.strategies import (
    MINUTES_PER_YEAR,
    PARTIAL_SCHEMA,
    alignment_expression,
    candidate_partials,
    discover_strategies,
    enabled_expression,
    merge_partials,
    rank_strategies,
    strategy_alignment,
)

T0 = datetime(2024, 3, 1, tzinfo=UTC)
NOW = T0 + timedelta(days=30)
H60 = 12  # horizon bars on 1h candles
NAME_ALL = "SESE 60m | bull flag | regime * | sector * | cycle * | conf ≥ 0.80"


def _path(
    coin_id: int,
    ret: float,
    low: float = 100.0,
    high: float = 100.0,
    bars: int = H60 + 1,
    step: int = 60,
    start: float = 100.0,
) -> pl.DataFrame:
    """Bar 0 closes at ``start`` (the entry); bars 1..h−1 close at ``start`` with the given low/high;
    the horizon bar closes at start·(1 + ret)."""
    exit_price = start * (1 + ret)
    closes = [start] * (bars - 1) + [exit_price]
    lows = [start] + [low] * (bars - 2) + [exit_price]
    highs = [start] + [high] * (bars - 2) + [exit_price]
    return pl.DataFrame(
        {
            "coin_id": [coin_id] * bars,
            "timeframe": [step] * bars,
            "timestamp": [T0 + timedelta(minutes=step * i) for i in range(bars)],
            "high": highs,
            "low": lows,
            "close": closes,
        },
        schema_overrides={"coin_id": pl.Int32, "timeframe": pl.Int16, "timestamp": pl.Datetime("us", "UTC")},
    )


def _signals(
    coin_id: int,
    items: Sequence[tuple[str, str, float, float | None]],
    regime: str | None = "bull_trend",
    sector: str | None = "defi",
    cycle: str | None = "MARKUP",
    step: int = 60,
) -> pl.DataFrame:
    """items: (signal_type, direction, confidence, priority_score) at the first bar."""
    n = len(items)
    return pl.DataFrame(
        {
            "coin_id": [coin_id] * n,
            "timeframe": [step] * n,
            "timestamp": [T0] * n,
            "signal_type": [i[0] for i in items],
            "direction": [i[1] for i in items],
            "confidence": [i[2] for i in items],
            "priority_score": [i[3] for i in items],
            "regime": [regime] * n,
            "cycle": [cycle] * n,
            "sector": [sector] * n,
        },
        schema_overrides={
            "coin_id": pl.Int32,
            "timeframe": pl.Int16,
            "timestamp": pl.Datetime("us", "UTC"),
            "priority_score": pl.Float64,
            "regime": pl.String,
            "cycle": pl.String,
            "sector": pl.String,
        },
    )


BULL_FLAG = [("pattern_bull_flag", "bullish", 0.8, 0.8)]


def _dataset(
    returns: list[float],
    lows: list[float] | None = None,
    items: Sequence[tuple[str, str, float, float | None]] = BULL_FLAG,
    **context: str | None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    lows = lows or [min(100.0, 100.0 * (1 + r)) for r in returns]
    candles = pl.concat([_path(c, r, low=lo) for c, (r, lo) in enumerate(zip(returns, lows, strict=True))])
    stacks = pl.concat([_signals(c, items, **context) for c in range(len(returns))])  # type: ignore[arg-type]
    return stacks, candles


def _strategy(discovery_strategies: pl.DataFrame, name: str) -> dict:
    rows = discovery_strategies.filter(pl.col("name") == name)
    assert rows.height == 1, discovery_strategies["name"].to_list()
    return rows.row(0, named=True)


# ---------------------------------------------------------------- discovery


def test_seven_observations_give_no_candidate_and_eight_do() -> None:
    stacks, candles = _dataset([0.01] * 7)
    assert discover_strategies(stacks, candles, NOW, NOW).strategies.is_empty()
    stacks, candles = _dataset([0.01] * 8)
    discovery = discover_strategies(stacks, candles, NOW, NOW)
    assert sorted(discovery.strategies["name"].to_list()) == sorted(
        [
            NAME_ALL,
            "SESE 60m | bull flag | regime bull_trend | sector * | cycle * | conf ≥ 0.80",
            "SESE 60m | bull flag | regime bull_trend | sector * | cycle MARKUP | conf ≥ 0.80",
            "SESE 60m | bull flag | regime bull_trend | sector defi | cycle MARKUP | conf ≥ 0.80",
        ]
    )
    row = _strategy(discovery.strategies, NAME_ALL)
    assert row["sample_size"] == 8 and row["timeframe"] == 60
    assert row["win_rate"] == 1.0 and row["avg_return"] == pytest.approx(0.01)
    assert row["sharpe_ratio"] == 0.0  # identical returns: zero variance
    assert row["enabled"] is False  # Sharpe 0 < 0.4
    assert discovery.rules.filter(pl.col("name") == NAME_ALL).rows() == [(NAME_ALL, "bull_flag", "*", "*", "*", 0.8)]
    assert discovery.strategies["rank"].to_list() == [1, 2, 3, 4]


def test_metrics_and_annualized_sharpe_by_hand() -> None:
    # returns 0.02 ×4 and 0.04 ×4: mean 0.03, population std 0.01 → Sharpe 3.0
    returns = [0.02, 0.04] * 4
    lows = [99.0] * 7 + [95.0]  # drawdowns −0.01 ×7 and −0.05
    stacks, candles = _dataset(returns, lows)
    row = _strategy(discover_strategies(stacks, candles, NOW, NOW).strategies, NAME_ALL)
    assert row["sample_size"] == 8
    assert row["avg_return"] == pytest.approx(0.03)
    assert row["sharpe_ratio"] == pytest.approx(3.0)
    # one 1h trade lasts 12 bars = 720 min; 525 960 min per year / 720 = 730.5 trades; √730.5 = 27.0278
    assert row["sharpe_annualized"] == pytest.approx(3.0 * math.sqrt(730.5))
    assert pytest.approx(730.5) == MINUTES_PER_YEAR / 720
    assert row["max_drawdown"] == pytest.approx(-0.05)
    assert row["enabled"] is True


def _enabled(**values: float) -> bool:
    base = {"sample_size": 8, "win_rate": 0.45, "avg_return": 0.01, "sharpe_ratio": 0.4, "max_drawdown": -0.18}
    base.update(values)
    frame = pl.DataFrame([base], schema_overrides={"sample_size": pl.Int64})
    return bool(frame.select(enabled_expression()).item())


def test_enable_thresholds_are_inclusive_at_their_exact_boundaries() -> None:
    assert _enabled()
    assert not _enabled(win_rate=0.4499)
    assert not _enabled(sharpe_ratio=0.3999)
    assert not _enabled(max_drawdown=-0.1801)
    assert not _enabled(avg_return=0.0)
    assert _enabled(avg_return=1e-9)
    assert not _enabled(sample_size=7)


def test_win_rate_of_exactly_045_is_enabled_end_to_end() -> None:
    # 9 wins of +0.10 and 11 losses of −0.001: win rate 9/20 = 0.45, mean 0.04445,
    # std 0.101·√(0.45·0.55) = 0.050247 → Sharpe 0.885
    stacks, candles = _dataset([0.10] * 9 + [-0.001] * 11)
    row = _strategy(discover_strategies(stacks, candles, NOW, NOW).strategies, NAME_ALL)
    assert row["win_rate"] == 0.45
    assert row["sharpe_ratio"] == pytest.approx(0.04445 / (0.101 * math.sqrt(0.45 * 0.55)))
    assert row["enabled"] is True
    stacks, candles = _dataset([0.10] * 8 + [-0.001] * 12)  # 8/20 = 0.40
    assert _strategy(discover_strategies(stacks, candles, NOW, NOW).strategies, NAME_ALL)["enabled"] is False


def test_max_drawdown_of_exactly_minus_018_is_enabled_end_to_end() -> None:
    returns = [0.02, 0.04] * 4
    stacks, candles = _dataset(returns, [99.0] * 7 + [82.0])  # (82 − 100) / 100 = −0.18
    row = _strategy(discover_strategies(stacks, candles, NOW, NOW).strategies, NAME_ALL)
    assert row["max_drawdown"] == -0.18 and row["enabled"] is True
    stacks, candles = _dataset(returns, [99.0] * 7 + [81.99])  # −0.1801
    row = _strategy(discover_strategies(stacks, candles, NOW, NOW).strategies, NAME_ALL)
    assert row["max_drawdown"] == pytest.approx(-0.1801) and row["enabled"] is False


def test_a_stack_whose_horizon_closes_after_known_before_is_excluded() -> None:
    stacks, candles = _dataset([0.01] * 8)
    horizon_close = T0 + timedelta(hours=H60 + 1)  # bar 12 opens at T0 + 12 h and closes an hour later
    assert not discover_strategies(stacks, candles, horizon_close, NOW).strategies.is_empty()
    late = discover_strategies(stacks, candles, horizon_close - timedelta(seconds=1), NOW)
    assert late.strategies.is_empty() and late.rules.is_empty()
    # the horizon bar is missing altogether for one coin → only 7 usable stacks
    short = candles.filter(~((pl.col("coin_id") == 0) & (pl.col("timestamp") == T0 + timedelta(hours=H60))))
    assert discover_strategies(stacks, short, NOW, NOW).strategies.is_empty()


def test_stacks_older_than_a_year_are_ignored() -> None:
    stacks, candles = _dataset([0.01] * 8)
    assert discover_strategies(stacks, candles, NOW, T0 + timedelta(days=365)).strategies.height == 4
    assert discover_strategies(stacks, candles, NOW, T0 + timedelta(days=366)).strategies.is_empty()


def test_a_bearish_stack_is_scored_short() -> None:
    items = [("pattern_bear_flag", "bearish", 0.7, 0.7)]
    # price falls 3 %; highs reach 101 against the short
    candles = pl.concat([_path(c, -0.03, low=97.0, high=101.0) for c in range(8)])
    stacks = pl.concat([_signals(c, items) for c in range(8)])
    row = _strategy(
        discover_strategies(stacks, candles, NOW, NOW).strategies,
        "SESE 60m | bear flag | regime * | sector * | cycle * | conf ≥ 0.70",
    )
    assert row["avg_return"] == pytest.approx(0.03)
    assert row["max_drawdown"] == pytest.approx(-0.01)  # (100 − 101) / 100


def test_stack_direction_is_the_weighted_bias_and_ties_go_long() -> None:
    # bullish 0.6 vs bearish 0.6 → tie → long; the price rises 2 % so the long earns +0.02
    tie = [("pattern_bull_flag", "bullish", 0.8, 0.6), ("pattern_bear_flag", "bearish", 0.8, 0.6)]
    stacks, candles = _dataset([0.02] * 8, items=tie)
    rows = discover_strategies(stacks, candles, NOW, NOW).strategies
    assert (rows["avg_return"] - 0.02).abs().max() == pytest.approx(0.0)
    # bearish weight 0.7 > bullish 0.6 → short → −0.02; priority 0 falls back to confidence 0.7
    short = [("pattern_bull_flag", "bullish", 0.8, 0.6), ("pattern_bear_flag", "bearish", 0.7, 0.0)]
    stacks, candles = _dataset([0.02] * 8, items=short)
    rows = discover_strategies(stacks, candles, NOW, NOW).strategies
    assert (rows["avg_return"] + 0.02).abs().max() == pytest.approx(0.0)


def test_combo_candidates_use_the_top_two_tokens_sorted_with_their_min_confidence() -> None:
    items = [
        ("pattern_bull_flag", "bullish", 0.8, 0.9),
        ("pattern_breakout_retest", "bullish", 0.62, 0.5),
        ("pattern_volume_spike", "neutral", 0.99, 0.1),  # ranked third: not in any candidate
    ]
    stacks, candles = _dataset([0.01] * 8, items=items)
    discovery = discover_strategies(stacks, candles, NOW, NOW)
    combo = "breakout retest + bull flag"
    # floor(20 · min(0.8, 0.62)) / 20 = floor(12.4) / 20 = 0.60
    assert sorted(discovery.strategies["name"].to_list()) == sorted(
        [
            NAME_ALL,
            "SESE 60m | bull flag | regime bull_trend | sector * | cycle * | conf ≥ 0.80",
            "SESE 60m | bull flag | regime bull_trend | sector * | cycle MARKUP | conf ≥ 0.80",
            "SESE 60m | bull flag | regime bull_trend | sector defi | cycle MARKUP | conf ≥ 0.80",
            f"SESE 60m | {combo} | regime * | sector * | cycle * | conf ≥ 0.60",
            f"SESE 60m | {combo} | regime bull_trend | sector * | cycle MARKUP | conf ≥ 0.60",
            f"SESE 60m | {combo} | regime bull_trend | sector defi | cycle MARKUP | conf ≥ 0.60",
        ]
    )
    name = f"SESE 60m | {combo} | regime bull_trend | sector defi | cycle MARKUP | conf ≥ 0.60"
    assert discovery.rules.filter(pl.col("name") == name).sort("pattern_slug").rows() == [
        (name, "breakout_retest", "bull_trend", "defi", "MARKUP", 0.6),
        (name, "bull_flag", "bull_trend", "defi", "MARKUP", 0.6),
    ]
    description = _strategy(discovery.strategies, name)["description"]
    assert "breakout_retest, bull_flag" in description and "min_confidence>=0.60" in description


def test_missing_context_becomes_a_wildcard_and_duplicate_candidates_collapse() -> None:
    stacks, candles = _dataset([0.01] * 8, regime=None, sector=None)
    names = sorted(discover_strategies(stacks, candles, NOW, NOW).strategies["name"].to_list())
    assert names == sorted([NAME_ALL, "SESE 60m | bull flag | regime * | sector * | cycle MARKUP | conf ≥ 0.80"])


def test_candidates_differing_only_by_min_confidence_get_distinct_names() -> None:
    low = pl.concat(
        [
            _signals(c, [("pattern_bull_flag", "bullish", 0.8, None)], regime=None, sector=None, cycle=None)
            for c in range(8)
        ]
    )
    high = pl.concat(
        [
            _signals(c, [("pattern_bull_flag", "bullish", 0.93, None)], regime=None, sector=None, cycle=None)
            for c in range(8, 16)
        ]
    )
    candles = pl.concat([_path(c, 0.01) for c in range(16)])
    discovery = discover_strategies(pl.concat([low, high]), candles, NOW, NOW)
    assert sorted(discovery.strategies["name"].to_list()) == [
        NAME_ALL,
        "SESE 60m | bull flag | regime * | sector * | cycle * | conf ≥ 0.90",
    ]
    assert sorted(discovery.rules["min_confidence"].to_list()) == [0.8, 0.9]


def test_each_timeframe_discovers_its_own_strategies() -> None:
    # 15m horizon = 16 bars
    candles = pl.concat([_path(c, 0.01, bars=17, step=15) for c in range(8)])
    stacks = pl.concat([_signals(c, BULL_FLAG, regime=None, sector=None, cycle=None, step=15) for c in range(8)])
    row = discover_strategies(stacks, candles, NOW, NOW).strategies.row(0, named=True)
    assert row["name"] == "SESE 15m | bull flag | regime * | sector * | cycle * | conf ≥ 0.80"
    assert row["timeframe"] == 15
    # 16 bars instead of the 17 needed: no outcome
    assert discover_strategies(
        stacks, candles.filter(pl.col("timestamp") < T0 + timedelta(minutes=15 * 16)), NOW, NOW
    ).strategies.is_empty()


def test_no_signals_give_empty_frames_with_the_columns() -> None:
    stacks, candles = _dataset([0.01])
    discovery = discover_strategies(stacks.clear(), candles, NOW, NOW)
    assert discovery.strategies.columns == [
        "name",
        "timeframe",
        "description",
        "enabled",
        "sample_size",
        "win_rate",
        "avg_return",
        "sharpe_ratio",
        "sharpe_annualized",
        "max_drawdown",
        "rank",
    ]
    assert discovery.rules.columns == ["name", "pattern_slug", "regime", "sector", "cycle", "min_confidence"]


# ---------------------------------------------------------------- alignment


def _strategies(rows: list[tuple[str, int, bool, int, float, float, float, float]]) -> pl.DataFrame:
    """rows: (name, timeframe, enabled, sample_size, win_rate, avg_return, sharpe, max_drawdown)."""
    return pl.DataFrame(
        {
            "name": [r[0] for r in rows],
            "timeframe": [r[1] for r in rows],
            "enabled": [r[2] for r in rows],
            "sample_size": [r[3] for r in rows],
            "win_rate": [r[4] for r in rows],
            "avg_return": [r[5] for r in rows],
            "sharpe_ratio": [r[6] for r in rows],
            "max_drawdown": [r[7] for r in rows],
            "rank": list(range(1, len(rows) + 1)),
        },
        schema_overrides={"timeframe": pl.Int16},
    )


def _rules(rows: list[tuple[str, str, str, str, str, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema=["name", "pattern_slug", "regime", "sector", "cycle", "min_confidence"], orient="row"
    )


def _decision_stacks(rows: list[tuple[int, int, list[str], list[float], str | None]]) -> pl.DataFrame:
    """rows: (coin_id, timeframe, tokens, confidences, regime); sector defi, cycle MARKUP."""
    return pl.DataFrame(
        {
            "coin_id": [r[0] for r in rows],
            "timeframe": [r[1] for r in rows],
            "timestamp": [T0] * len(rows),
            "tokens": [r[2] for r in rows],
            "token_confidence": [r[3] for r in rows],
            "regime": [r[4] for r in rows],
            "sector": ["defi"] * len(rows),
            "cycle": ["MARKUP"] * len(rows),
        },
        schema_overrides={
            "coin_id": pl.Int32,
            "timeframe": pl.Int16,
            "timestamp": pl.Datetime("us", "UTC"),
            "tokens": pl.List(pl.String),
            "token_confidence": pl.List(pl.Float64),
            "regime": pl.String,
        },
    )


def test_alignment_formula_by_hand() -> None:
    frame = _strategies(
        [
            ("a", 60, True, 20, 0.7, 0.01, 1.0, -0.1),
            ("capped", 60, True, 20, 0.95, 0.05, 3.0, 0.0),
            ("floor", 60, True, 20, 0.3, -0.01, -1.0, -0.5),
        ]
    )
    values = frame.select(alignment_expression()).to_series().to_list()
    # a: 1 + 0.6·0.2 + 0.05·1.0 + 4·0.01 − 0.15·0.1 = 1 + 0.12 + 0.05 + 0.04 − 0.015 = 1.195
    # capped: 1 + 0.18 + 0.12 + 0.08 − 0 = 1.38 → 1.3; floor: 1 + 0 + 0 + 0 − 0.05 → 1.0
    assert values == pytest.approx([1.195, 1.3, 1.0])


def test_alignment_matches_only_strategies_of_the_stack_timeframe() -> None:
    strategies = _strategies(
        [
            ("flag 1h", 60, True, 20, 0.7, 0.01, 1.0, -0.1),  # 1.195
            ("flag 15m", 15, True, 20, 0.95, 0.05, 3.0, 0.0),  # 1.3, but another timeframe
        ]
    )
    rules = _rules(
        [("flag 1h", "bull_flag", "bull_trend", "*", "*", 0.6), ("flag 15m", "bull_flag", "*", "*", "*", 0.0)]
    )
    stacks = _decision_stacks([(1, 60, ["bull_flag"], [0.7], "bull_trend"), (2, 240, ["bull_flag"], [0.9], None)])
    result = strategy_alignment(stacks, strategies, rules).sort("coin_id")
    assert result.columns == ["coin_id", "timeframe", "timestamp", "strategy_alignment", "strategy_names"]
    assert result.rows() == [
        (1, 60, T0, pytest.approx(1.195), "flag 1h"),
        (2, 240, T0, 1.0, None),
    ]


def test_every_rule_must_match() -> None:
    strategies = _strategies(
        [
            ("combo", 60, True, 20, 0.7, 0.01, 1.0, -0.1),
            ("disabled", 60, False, 20, 0.95, 0.05, 3.0, 0.0),
            ("small", 60, True, 7, 0.95, 0.05, 3.0, 0.0),
        ]
    )
    rules = _rules(
        [
            ("combo", "bull_flag", "bull_trend", "defi", "MARKUP", 0.6),
            ("combo", "breakout_retest", "bull_trend", "defi", "MARKUP", 0.6),
            ("disabled", "bull_flag", "*", "*", "*", 0.0),
            ("small", "bull_flag", "*", "*", "*", 0.0),
        ]
    )
    stacks = _decision_stacks(
        [
            (1, 60, ["bull_flag", "breakout_retest"], [0.7, 0.6], "bull_trend"),  # matches
            (2, 60, ["bull_flag"], [0.7], "bull_trend"),  # second token missing
            (3, 60, ["bull_flag", "breakout_retest"], [0.7, 0.59], "bull_trend"),  # confidence below 0.6
            (4, 60, ["bull_flag", "breakout_retest"], [0.7, 0.6], "bear_trend"),  # regime differs
            (5, 60, ["bull_flag", "breakout_retest"], [0.7, 0.6], None),  # unknown regime ≠ bull_trend
            (6, 60, [], [], "bull_trend"),
        ]
    )
    result = strategy_alignment(stacks, strategies, rules).sort("coin_id")
    assert result["strategy_alignment"].to_list() == pytest.approx([1.195, 1.0, 1.0, 1.0, 1.0, 1.0])
    assert result["strategy_names"].to_list() == ["combo", None, None, None, None, None]


def test_alignment_takes_the_best_and_names_at_most_two_cut_to_48_characters() -> None:
    long_name = "SESE 60m | bull flag | regime bull_trend | sector defi | cycle MARKUP | conf ≥ 0.60"
    strategies = _strategies(
        [
            ("weak", 60, True, 20, 0.55, 0.0, 0.0, 0.0),  # 1 + 0.03 = 1.03
            (long_name, 60, True, 20, 0.7, 0.01, 1.0, -0.1),  # 1.195
            ("middle", 60, True, 20, 0.6, 0.0, 0.0, 0.0),  # 1 + 0.06 = 1.06
        ]
    )
    rules = _rules([(name, "bull_flag", "*", "*", "*", 0.5) for name in ("weak", long_name, "middle")])
    result = strategy_alignment(_decision_stacks([(1, 60, ["bull_flag"], [0.9], "bull_trend")]), strategies, rules)
    assert result["strategy_alignment"].item() == pytest.approx(1.195)
    assert result["strategy_names"].item() == f"{long_name[:48]}, middle"


def test_discovered_strategies_feed_alignment() -> None:
    returns = [0.02, 0.04] * 4
    stacks, candles = _dataset(returns, [99.0] * 8)
    discovery = discover_strategies(stacks, candles, NOW, NOW)
    assert discovery.strategies["enabled"].all()
    decision = _decision_stacks(
        [(1, 60, ["bull_flag"], [0.85], "bull_trend"), (2, 60, ["bull_flag"], [0.75], "bull_trend")]
    )
    result = strategy_alignment(decision, discovery.strategies, discovery.rules).sort("coin_id")
    # win 1.0 → +0.18; Sharpe 3 → +0.12 (cap); avg 0.03 → +0.08 (cap); drawdown 0.01 → −0.0015 → 1.3
    assert result["strategy_alignment"].to_list() == pytest.approx([1.3, 1.0])  # 0.75 < min_confidence 0.80


# ---------------------------------------------------------------- discovery slice by slice


def _random_market(seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Random-walk candles of 6 coins on 1h and 4h bars for 20 days and random pattern stacks on them."""
    generator = random.Random(seed)
    candles: list[tuple[object, ...]] = []
    stacks: list[tuple[object, ...]] = []
    slugs = ("bull_flag", "double_top", "cup_handle", "cluster_breakout")
    for coin_id in range(6):
        for step in (60, 240):
            close = 100.0
            for i in range(20 * 24 * 60 // step):
                stamp = T0 + timedelta(minutes=step * i)
                move = close * generator.gauss(0, 0.01)
                candles.append((coin_id, step, stamp, close + abs(move), close - abs(move), close + move))
                close += move
                fired = [slug for slug in slugs if generator.random() < 0.15]
                stacks.extend((coin_id, step, stamp, f"pattern_{slug}",
                               generator.choice(("bullish", "bearish", "neutral")),
                               round(generator.uniform(0.3, 0.95), 3), generator.choice((0.0, 0.7, 1.2)),
                               generator.choice(("bull_trend", "bear_trend", None)),
                               generator.choice(("MARKUP", "MARKDOWN")), ("defi", "l1", None)[coin_id % 3])
                              for slug in fired)
    candle_frame = pl.DataFrame(candles, schema={
        "coin_id": pl.Int32, "timeframe": pl.Int16, "timestamp": pl.Datetime("us", "UTC"), "high": pl.Float64,
        "low": pl.Float64, "close": pl.Float64}, orient="row")
    stack_frame = pl.DataFrame(stacks, schema={
        "coin_id": pl.Int32, "timeframe": pl.Int16, "timestamp": pl.Datetime("us", "UTC"), "signal_type": pl.String,
        "direction": pl.String, "confidence": pl.Float64, "priority_score": pl.Float64, "regime": pl.String,
        "cycle": pl.String, "sector": pl.String}, orient="row")
    return stack_frame, candle_frame


@pytest.mark.parametrize("seed", [1, 2])
def test_discovery_merged_from_slices_equals_discovery_at_once(seed: int) -> None:
    stacks, candles = _random_market(seed)
    now = T0 + timedelta(days=20)
    whole = discover_strategies(stacks, candles, now, now)
    assert whole.strategies.height > 20 and whole.strategies.get_column("enabled").any()
    partials = []
    for step in (60, 240):
        merged = pl.DataFrame(schema=PARTIAL_SCHEMA)
        for day in range(0, 20, 3):
            start, end = T0 + timedelta(days=day), T0 + timedelta(days=day + 3)
            for coins in ([0, 1, 2], [3, 4, 5]):
                sliced = stacks.filter(pl.col("timeframe") == step, pl.col("coin_id").is_in(coins),
                                       pl.col("timestamp") >= start, pl.col("timestamp") < end)
                # the slice's candles from its start on (the horizon reaches past its end)
                bars = candles.filter(pl.col("timeframe") == step, pl.col("coin_id").is_in(coins),
                                      pl.col("timestamp") >= start)
                merged = merge_partials(pl.concat([merged, candidate_partials(sliced, bars, now, now)]))
        partials.append(merged)
    sliced_discovery = rank_strategies(pl.concat(partials))
    assert_frame_equal(sliced_discovery.strategies, whole.strategies, check_exact=False, rel_tol=1e-12,
                       abs_tol=1e-12)
    assert_frame_equal(sliced_discovery.rules, whole.rules)
