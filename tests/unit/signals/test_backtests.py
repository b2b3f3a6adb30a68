"""Backtest summaries (reference 5.6, DECISIONS 17), hand-computed."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from iris_assets.signals.backtests import ANNUALIZATION, backtest_summaries, sort_summaries, top_summaries

T0 = datetime(2024, 3, 1, tzinfo=UTC)
NOW = T0 + timedelta(days=10)


def _outcomes(
    rows: list[tuple[int, int, float, float | None, float | None]],
    signal_type: str = "pattern_bull_flag",
    timeframe: int = 60,
) -> pl.DataFrame:
    """rows: (coin_id, hours after T0, confidence, result_return, result_drawdown)."""
    return pl.DataFrame(
        {
            "coin_id": [r[0] for r in rows],
            "timeframe": [timeframe] * len(rows),
            "signal_type": [signal_type] * len(rows),
            "candle_timestamp": [T0 + timedelta(hours=r[1]) for r in rows],
            "confidence": [r[2] for r in rows],
            "result_return": [r[3] for r in rows],
            "result_drawdown": [r[4] for r in rows],
        },
        schema_overrides={
            "coin_id": pl.Int32,
            "timeframe": pl.Int16,
            "candle_timestamp": pl.Datetime("us", "UTC"),
            "result_return": pl.Float64,
            "result_drawdown": pl.Float64,
        },
    )


def _all_scope(frame: pl.DataFrame) -> dict:
    rows = frame.filter(pl.col("coin_id").is_null())
    assert rows.height == 1
    return rows.row(0, named=True)


def _coin_scope(frame: pl.DataFrame, coin_id: int) -> dict:
    rows = frame.filter(pl.col("coin_id") == coin_id)
    assert rows.height == 1
    return rows.row(0, named=True)


def test_reference_example_two_winning_bull_flags() -> None:
    outcomes = _outcomes([(1, 0, 0.8, 0.03, -0.02), (1, 1, 0.8, 0.05, -0.01)])
    row = _all_scope(backtest_summaries(outcomes, NOW, 30))
    assert row["signal_type"] == "pattern_bull_flag" and row["timeframe"] == 60
    assert row["lookback_days"] == 30
    assert row["sample_size"] == 2 and row["coin_count"] == 1
    assert row["win_rate"] == pytest.approx(1.0)
    assert row["roi"] == pytest.approx(0.08)
    assert row["avg_return"] == pytest.approx(0.04)
    assert row["sharpe_ratio"] == pytest.approx(4.0)  # 0.04 / pstdev(0.03, 0.05) = 0.04 / 0.01
    assert row["max_drawdown"] == pytest.approx(-0.02)
    assert row["equity_drawdown"] == 0.0  # equity 0.03 → 0.08 never falls
    assert row["avg_confidence"] == pytest.approx(0.8)
    assert row["first_signal_at"] == T0 and row["last_signal_at"] == T0 + timedelta(hours=1)


def test_four_trades_with_a_loss_hand_computed() -> None:
    # In candle-time order: +0.04 (coin 1), −0.06 (coin 2), +0.02 (coin 1), +0.04 (coin 2);
    # given out of order so the equity curve must sort by candle time.
    outcomes = _outcomes(
        [
            (2, 3, 0.7, 0.04, -0.01),
            (1, 0, 0.9, 0.04, -0.005),
            (1, 2, 0.5, 0.02, -0.03),
            (2, 1, 0.6, -0.06, -0.08),
        ]
    )
    frame = backtest_summaries(outcomes, NOW, 30)
    row = _all_scope(frame)
    assert row["sample_size"] == 4 and row["coin_count"] == 2
    assert row["win_rate"] == pytest.approx(0.75)  # 3 of 4 returns > 0
    assert row["roi"] == pytest.approx(0.04)  # 0.04 − 0.06 + 0.02 + 0.04
    assert row["avg_return"] == pytest.approx(0.01)
    # deviations from 0.01: 0.03, −0.07, 0.01, 0.03 → squares sum 0.0068 → population variance 0.0017
    # std = √0.0017 = 0.0412311; Sharpe = 0.01 / 0.0412311 = 0.2425356
    assert row["sharpe_ratio"] == pytest.approx(0.01 / math.sqrt(0.0017))
    assert row["sharpe_ratio"] == pytest.approx(0.2425356, abs=1e-7)
    # trades per year with a 72 h holding period: 365.25 · 24 / 72 = 121.75; √121.75 = 11.0340382
    # annualised = 0.2425356 · 11.0340382 = 2.6761474
    assert row["sharpe_annualized"] == pytest.approx(0.01 / math.sqrt(0.0017) * math.sqrt(121.75))
    assert row["sharpe_annualized"] == pytest.approx(2.6761474, abs=1e-6)
    assert row["max_drawdown"] == pytest.approx(-0.08)  # worst single-trade excursion
    # equity 0 → 0.04 → −0.02 → 0.00 → 0.04; running peak 0.04 from the first trade;
    # deepest point −0.02 is 0.06 below the peak
    assert row["equity_drawdown"] == pytest.approx(-0.06)
    assert row["avg_confidence"] == pytest.approx(0.675)  # (0.9 + 0.6 + 0.5 + 0.7) / 4

    coin_2 = _coin_scope(frame, 2)
    # coin 2 alone: −0.06 then +0.04; the curve starts at 0, so the first loss is the drawdown
    assert coin_2["sample_size"] == 2 and coin_2["coin_count"] == 1
    assert coin_2["equity_drawdown"] == pytest.approx(-0.06)
    assert coin_2["sharpe_ratio"] == pytest.approx(-0.2)  # mean −0.01 / pstdev 0.05
    coin_1 = _coin_scope(frame, 1)
    assert coin_1["equity_drawdown"] == 0.0 and coin_1["roi"] == pytest.approx(0.06)


def test_lookback_keeps_rows_from_the_boundary_on() -> None:
    since_hours = -24 * 20  # relative to NOW - 30 days = T0 - 20 days
    outcomes = _outcomes(
        [
            (1, since_hours, 0.8, 0.01, -0.01),  # exactly at now − 30 d: kept
            (1, since_hours - 1, 0.8, 0.50, -0.01),  # one hour older: dropped
            (1, 0, 0.8, 0.03, -0.02),
        ]
    )
    row = _all_scope(backtest_summaries(outcomes, NOW, 30))
    assert row["sample_size"] == 2
    assert row["roi"] == pytest.approx(0.04)
    assert row["first_signal_at"] == NOW - timedelta(days=30)


def test_rows_without_a_result_are_ignored() -> None:
    outcomes = _outcomes([(1, 0, 0.8, 0.03, -0.02), (1, 1, 0.8, None, -0.01), (1, 2, 0.8, 0.05, None)])
    row = _all_scope(backtest_summaries(outcomes, NOW, 30))
    assert row["sample_size"] == 1


def test_sharpe_is_zero_for_a_single_trade_or_identical_returns() -> None:
    single = _all_scope(backtest_summaries(_outcomes([(1, 0, 0.8, 0.03, -0.02)]), NOW, 30))
    assert single["sharpe_ratio"] == 0.0 and single["sharpe_annualized"] == 0.0
    flat = _outcomes([(1, 0, 0.8, 0.1, 0.0), (1, 1, 0.8, 0.1, 0.0), (1, 2, 0.8, 0.1, 0.0)])
    assert _all_scope(backtest_summaries(flat, NOW, 30))["sharpe_ratio"] == 0.0


def test_all_coin_and_per_coin_scopes_per_signal_type_and_timeframe() -> None:
    outcomes = pl.concat(
        [
            _outcomes(
                [(1, 0, 0.8, 0.01, 0.0), (1, 1, 0.8, 0.02, 0.0), (2, 2, 0.8, -0.01, -0.02), (3, 3, 0.8, 0.03, 0.0)]
            ),
            _outcomes([(1, 0, 0.8, 0.01, 0.0)], timeframe=240),
            _outcomes([(2, 0, 0.8, 0.01, 0.0)], signal_type="golden_cross"),
        ]
    )
    frame = backtest_summaries(outcomes, NOW, 30)
    assert frame.height == 2 + 2 + 4  # two single-coin groups at both scopes; three coins + all
    bull_60 = frame.filter((pl.col("signal_type") == "pattern_bull_flag") & (pl.col("timeframe") == 60))
    sizes = dict(zip(bull_60["coin_id"].to_list(), bull_60["sample_size"].to_list(), strict=True))
    assert sizes == {None: 4, 1: 2, 2: 1, 3: 1}
    counts = dict(zip(bull_60["coin_id"].to_list(), bull_60["coin_count"].to_list(), strict=True))
    assert counts == {None: 3, 1: 1, 2: 1, 3: 1}
    assert bull_60["coin_id"].to_list()[0] is None  # all-coin row first
    assert frame.schema["coin_id"] == pl.Int32


def test_empty_input_gives_an_empty_frame_with_the_columns() -> None:
    frame = backtest_summaries(_outcomes([]), NOW, 30)
    assert frame.is_empty()
    assert "equity_drawdown" in frame.columns and "sharpe_annualized" in frame.columns


def test_annualization_constant() -> None:
    assert pytest.approx(math.sqrt(365.25 * 24 / 72)) == ANNUALIZATION


def _summaries(rows: list[tuple[str, int, float, float, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "coin_id": [None] * len(rows),
            "signal_type": [r[0] for r in rows],
            "timeframe": [60] * len(rows),
            "sample_size": [r[1] for r in rows],
            "sharpe_ratio": [r[2] for r in rows],
            "roi": [r[3] for r in rows],
            "win_rate": [r[4] for r in rows],
        },
        schema_overrides={"coin_id": pl.Int32},
    )


def test_sort_order_is_sample_size_then_sharpe_roi_win_rate() -> None:
    frame = _summaries(
        [("a", 10, 1.0, 0.1, 0.5), ("b", 20, 0.1, 0.1, 0.5), ("c", 10, 2.0, 0.1, 0.5), ("d", 10, 2.0, 0.2, 0.5)]
    )
    assert sort_summaries(frame)["signal_type"].to_list() == ["b", "d", "c", "a"]


def test_top_pulls_a_pool_of_max_4_limit_50_then_ranks_by_sharpe() -> None:
    # 60 groups: sample_size i, sharpe −i; the best Sharpe groups (small samples) fall outside the pool
    frame = _summaries([(f"s{i:02d}", i, -float(i), 0.0, 0.5) for i in range(1, 61)])
    top = top_summaries(frame, 2)
    # pool = the 50 largest samples (11..60); best Sharpe inside it: 11, then 12
    assert top["sample_size"].to_list() == [11, 12]
    # with limit 20 the pool is 80 ≥ 60 rows, so everything competes
    assert top_summaries(frame, 20)["sample_size"].to_list()[:2] == [1, 2]
