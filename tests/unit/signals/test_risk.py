"""Risk metrics and risk-adjusted final signals (reference 5.2), by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import pytest

from iris_assets.signals.bands import keep_changes
from iris_assets.signals.risk import final_signals, risk_metrics

T0 = datetime(2024, 6, 1, tzinfo=UTC)
KEY_SCHEMA: dict[str, pl.DataType] = {
    "coin_id": pl.Int32(), "timeframe": pl.Int16(), "timestamp": pl.Datetime("us", "UTC")}


def _inputs(volume: float | None, cap: float | None, atr: float | None, price: float | None) -> dict[str, Any]:
    frame = pl.DataFrame({"volume_24h": [volume], "market_cap": [cap], "atr": [atr], "price": [price]},
                         schema={"volume_24h": pl.Float64, "market_cap": pl.Float64, "atr": pl.Float64,
                                 "price": pl.Float64})
    return risk_metrics(frame).row(0, named=True)


def test_risk_formulas_by_hand() -> None:
    row = _inputs(1e8, 1e10, 3.0, 100.0)
    # (1e8)^0.18 = 10^1.44 ; (1e10)^0.12 = 10^1.2
    assert row["liquidity_score"] == pytest.approx(0.65 * (10**1.44 / 40) + 0.35 * (10**1.2 / 20))
    assert row["liquidity_score"] == pytest.approx(0.724919, abs=1e-6)
    # 1 - 4 * 1e8 / (0.1 * 1e10 + 1e8) = 1 - 4/11
    assert row["slippage_risk"] == pytest.approx(1 - 4 / 11)
    # (3 / 100) / 0.12
    assert row["volatility_risk"] == pytest.approx(0.25)


def test_risk_clamps_and_no_data_values() -> None:
    empty = _inputs(None, None, None, None)
    assert (empty["liquidity_score"], empty["slippage_risk"], empty["volatility_risk"]) == (0.1, 0.98, 0.5)
    huge = _inputs(1e12, 1e15, 50.0, 100.0)
    # 1e12^0.18 / 40 = 10^2.16 / 40 > 1 and 1e15^0.12 / 20 = 10^1.8 / 20 > 1 -> both clamp to 1
    assert huge["liquidity_score"] == pytest.approx(1.0)
    # 1 - 4 * 1e12 / (1e14 + 1e12) = 0.9604 ; ATR/price = 0.5 -> 4.17 -> 0.98
    assert huge["slippage_risk"] == pytest.approx(1 - 4e12 / 1.01e14)
    assert huge["volatility_risk"] == pytest.approx(0.98)
    active = _inputs(1e9, 1e9, 0.001, 100.0)
    # volume / (0.1 cap + volume) = 1/1.1 -> 1 - 3.64 -> 0.02 ; 0.00001 / 0.12 -> 0.01
    assert active["slippage_risk"] == pytest.approx(0.02)
    assert active["volatility_risk"] == pytest.approx(0.01)
    # only a market cap: volume term uses max(0, 1)^0.18 = 1 -> 0.65/40 + 0.35 * 10^(9*0.12)/20
    cap_only = _inputs(0.0, 1e9, 0.0, 100.0)
    assert cap_only["liquidity_score"] == pytest.approx(max(0.65 / 40 + 0.35 * 10**1.08 / 20, 0.1))
    assert cap_only["slippage_risk"] == pytest.approx(0.98)  # 1 - 0 -> clamp
    assert cap_only["volatility_risk"] == 0.5  # ATR 0


def _decisions(rows: list[tuple[str, float, float]], coin_id: int = 1) -> pl.DataFrame:
    return pl.DataFrame(
        [{"coin_id": coin_id, "timeframe": 60, "timestamp": T0 + timedelta(hours=i), "decision": decision,
          "confidence": confidence, "score": score} for i, (decision, score, confidence) in enumerate(rows)],
        schema={**KEY_SCHEMA, "decision": pl.String, "confidence": pl.Float64, "score": pl.Float64})


def _risk(count: int, liquidity: float = 1.0, slippage: float = 0.0, volatility: float = 0.0,
          coin_id: int = 1) -> pl.DataFrame:
    return pl.DataFrame(
        [{"coin_id": coin_id, "timeframe": 60, "timestamp": T0 + timedelta(hours=i), "liquidity_score": liquidity,
          "slippage_risk": slippage, "volatility_risk": volatility} for i in range(count)],
        schema={**KEY_SCHEMA, "liquidity_score": pl.Float64, "slippage_risk": pl.Float64,
                "volatility_risk": pl.Float64})


@pytest.mark.parametrize(("base", "score", "expected"), [
    ("STRONG_BUY", 0.31, "HOLD"),         # < 0.32 -> HOLD
    ("STRONG_BUY", 0.32, "ACCUMULATE"),   # level 1
    ("STRONG_BUY", 0.79, "ACCUMULATE"),
    ("STRONG_BUY", 0.8, "BUY"),           # level 2 at >= 0.8
    ("STRONG_BUY", 1.34, "BUY"),
    ("STRONG_BUY", 1.35, "STRONG_BUY"),   # level 3 kept at >= 1.35
    ("BUY", 5.0, "BUY"),                  # never upgrades
    ("BUY", 0.79, "ACCUMULATE"),
    ("BUY", 0.2, "HOLD"),
    ("ACCUMULATE", 5.0, "ACCUMULATE"),
    ("ACCUMULATE", 0.31, "HOLD"),
    ("HOLD", 5.0, "HOLD"),
    ("STRONG_SELL", 0.31, "HOLD"),
    ("STRONG_SELL", 0.5, "REDUCE"),
    ("STRONG_SELL", 0.8, "SELL"),
    ("STRONG_SELL", 1.35, "STRONG_SELL"),
    ("SELL", 5.0, "SELL"),
    ("SELL", 0.5, "REDUCE"),
    ("REDUCE", 5.0, "REDUCE"),
    ("REDUCE", 0.1, "HOLD"),
])
def test_downgrade_table(base: str, score: float, expected: str) -> None:
    # liquidity 1, slippage 0, volatility 0 -> risk_adjusted_score = decision score
    row = final_signals(_decisions([(base, score, 0.6)]), _risk(1)).row(0, named=True)
    assert row["risk_adjusted_score"] == pytest.approx(score)
    assert row["base_decision"] == base
    assert row["decision"] == expected


def test_risk_adjusted_score_confidence_and_reason_by_hand() -> None:
    row = final_signals(_decisions([("STRONG_BUY", 2.0, 0.8)]),
                        _risk(1, liquidity=0.9, slippage=0.1, volatility=0.25)).row(0, named=True)
    factor = 0.9 * (1 - 0.1) * (1 - 0.25)  # 0.6075
    assert row["risk_adjusted_score"] == pytest.approx(2.0 * factor)  # 1.215 -> BUY (< 1.35, >= 0.8)
    assert row["confidence"] == pytest.approx(0.8 * (0.55 + 0.45 * factor))
    assert row["decision"] == "BUY"
    assert row["reason"] == ("BUY: base_decision=STRONG_BUY; decision_score=2.000; liquidity_score=0.900; "
                             "slippage_risk=0.100; volatility_risk=0.250; risk_adjusted_score=1.215")


def test_raw_risk_inputs_are_scored_and_a_missing_risk_row_gets_the_no_data_scores() -> None:
    raw = pl.DataFrame([{"coin_id": 1, "timeframe": 60, "timestamp": T0, "volume_24h": 1e8, "market_cap": 1e10,
                         "atr": 3.0, "price": 100.0}], schema_overrides=KEY_SCHEMA)
    decisions = pl.concat([_decisions([("BUY", 1.5, 0.7)]), _decisions([("BUY", 1.5, 0.7)], coin_id=2)])
    result = final_signals(decisions, raw)
    first, second = result.row(0, named=True), result.row(1, named=True)
    assert first["slippage_risk"] == pytest.approx(1 - 4 / 11)
    assert first["volatility_risk"] == pytest.approx(0.25)
    assert (second["liquidity_score"], second["slippage_risk"], second["volatility_risk"]) == (0.1, 0.98, 0.5)
    # 1.5 * 0.1 * 0.02 * 0.5 = 0.0015 -> HOLD ; confidence floor-free: 0.7 * (0.55 + 0.45 * 0.001)
    assert second["risk_adjusted_score"] == pytest.approx(0.0015)
    assert second["decision"] == "HOLD"
    assert second["confidence"] == pytest.approx(0.7 * (0.55 + 0.45 * 0.001))
    assert result.schema["confidence"] == pl.Float64


def test_confidence_is_clamped() -> None:
    low = final_signals(_decisions([("BUY", 1.0, 0.01)]), _risk(1)).row(0, named=True)
    high = final_signals(_decisions([("BUY", 1.0, 1.5)]), _risk(1)).row(0, named=True)
    assert (low["confidence"], high["confidence"]) == pytest.approx((0.05, 0.99))


def test_keep_changes_on_final_signals_keeps_only_decision_or_band_changes() -> None:
    # confidence = base (risk factor 1) -> bands: 0.60 high, 0.62 high, 0.62 high, 0.80 very_high, 0.81 very_high
    evaluated = final_signals(
        _decisions([("BUY", 1.0, 0.60), ("BUY", 1.05, 0.62), ("STRONG_BUY", 1.0, 0.62),  # -> BUY, BUY, BUY
                    ("BUY", 1.0, 0.80), ("BUY", 0.9, 0.81), ("BUY", 0.5, 0.81)]),         # ..., ACCUMULATE
        _risk(6))
    assert evaluated["decision"].to_list() == ["BUY", "BUY", "BUY", "BUY", "BUY", "ACCUMULATE"]
    kept = keep_changes(evaluated)
    hours = [int((ts - T0).total_seconds() // 3600) for ts in kept["timestamp"].to_list()]
    assert hours == [0, 3, 5]  # first row, band high -> very_high, BUY -> ACCUMULATE
    assert kept["decision"].to_list() == ["BUY", "BUY", "ACCUMULATE"]
    previous = evaluated.slice(0, 1).select("coin_id", "timeframe", "decision", "confidence")
    assert keep_changes(evaluated.slice(1), previous)["decision"].to_list() == ["BUY", "ACCUMULATE"]
