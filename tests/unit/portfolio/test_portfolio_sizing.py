"""Sizing, stop levels, limits and the halving rule, by hand (reference 4.4–4.6, DECISIONS 25–27)."""

from __future__ import annotations

import numpy as np
import pytest

from iris_assets.portfolio.limits import buy_room
from iris_assets.portfolio.rules import Intent, intent_of, units_to_halve
from iris_assets.portfolio.settings import PortfolioSettings
from iris_assets.portfolio.sizing import regime_factor, target_notional, volatility_adjustment
from iris_assets.portfolio.stops import STOP_LOSS, TAKE_PROFIT, first_stop_hit, stop_levels

SETTINGS = PortfolioSettings()


def _target(
    confidence: float = 0.8,
    regime: str | None = None,
    price: float = 100.0,
    atr: float | None = 2.0,
    capital: float = 100_000.0,
    available: float = 100_000.0,
) -> float:
    return target_notional(
        capital=capital,
        available=available,
        confidence=confidence,
        regime=regime,
        price=price,
        atr=atr,
        settings=SETTINGS,
    )


def test_the_reference_example_gives_4508_in_a_bull_trend_and_2940_in_a_bear_trend() -> None:
    assert _target(regime="bull_trend") == pytest.approx(4508.0)  # 5000 × 0.8 × 1.15 × 0.98
    assert _target(regime="bear_trend") == pytest.approx(2940.0)  # 5000 × 0.8 × 0.75 × 0.98


def test_regime_factors_cover_the_vocabulary_and_default_to_one() -> None:
    assert regime_factor("sideways_range") == 0.85
    assert regime_factor("high_volatility") == 0.95
    assert regime_factor("low_volatility") == 1.0
    assert regime_factor(None) == 1.0
    assert regime_factor("bull_market") == 1.0  # legacy label: no special meaning


def test_volatility_adjustment_is_clamped_and_neutral_without_inputs() -> None:
    assert volatility_adjustment(100.0, 2.0) == pytest.approx(0.98)
    assert volatility_adjustment(100.0, 80.0) == 0.55
    assert volatility_adjustment(100.0, -20.0) == 1.05
    assert volatility_adjustment(100.0, None) == 1.0
    assert volatility_adjustment(0.0, 2.0) == 1.0


def test_the_position_cap_also_caps_the_bull_boost() -> None:
    assert _target(confidence=1.0, regime="bull_trend", atr=None) == 5000.0  # raw 5750
    assert _target(confidence=3.0, atr=None) == 5000.0  # confidence clamped to 1


def test_the_target_is_capped_by_available_capital_and_never_negative() -> None:
    assert _target(confidence=1.0, atr=None, available=1200.0) == 1200.0
    assert _target(confidence=1.0, atr=None, available=-50.0) == 0.0
    assert _target(confidence=-0.5, atr=None) == 0.0


def test_capital_includes_realized_pnl() -> None:
    assert _target(confidence=1.0, atr=None, capital=120_000.0, available=120_000.0) == 6000.0


def test_stop_levels_follow_the_atr_multiples_and_need_entry_and_atr() -> None:
    assert stop_levels(100.0, 2.5, SETTINGS) == (95.0, 107.5)
    assert stop_levels(1.0, 1.0, SETTINGS) == (0.0, 4.0)  # the stop is floored at 0
    assert stop_levels(0.0, 2.5, SETTINGS) is None
    assert stop_levels(100.0, None, SETTINGS) is None
    assert stop_levels(100.0, 0.0, SETTINGS) is None


def test_first_stop_hit_fills_at_the_level_or_at_a_gapping_open_and_prefers_the_stop() -> None:
    opens = np.array([100.0, 99.0, 94.0, 101.0, 108.0, 100.0])
    highs = np.array([101.0, 100.0, 95.0, 107.0, 109.0, 107.0])
    lows = np.array([99.0, 95.0, 93.0, 100.0, 107.0, 95.0])
    levels = (96.0, 106.0)
    assert first_stop_hit(opens, highs, lows, levels, 0, 6) == (1, STOP_LOSS, 96.0)
    assert first_stop_hit(opens, highs, lows, levels, 2, 6) == (2, STOP_LOSS, 94.0)  # gap down: the open
    assert first_stop_hit(opens, highs, lows, levels, 3, 6) == (3, TAKE_PROFIT, 106.0)
    assert first_stop_hit(opens, highs, lows, levels, 4, 6) == (4, TAKE_PROFIT, 108.0)  # gap up: the open
    assert first_stop_hit(opens, highs, lows, levels, 5, 6) == (5, STOP_LOSS, 96.0)  # both inside: the stop
    assert first_stop_hit(opens, highs, lows, levels, 0, 1) is None
    assert first_stop_hit(opens, highs, lows, levels, 3, 3) is None


def test_buy_room_is_measured_after_the_trade() -> None:
    room = buy_room(
        capital=100_000.0, allocated=30_000.0, sector_cost=24_000.0, opening=True, open_positions=3, settings=SETTINGS
    )
    assert room == pytest.approx(1000.0)  # sector: 25 000 − 24 000
    assert buy_room(
        capital=100_000.0, allocated=99_500.0, sector_cost=None, opening=False, open_positions=20, settings=SETTINGS
    ) == pytest.approx(500.0)  # an increase at max positions is allowed
    assert (
        buy_room(capital=100_000.0, allocated=0.0, sector_cost=0.0, opening=True, open_positions=20, settings=SETTINGS)
        == 0.0
    )
    assert (
        buy_room(
            capital=100_000.0, allocated=0.0, sector_cost=26_000.0, opening=True, open_positions=0, settings=SETTINGS
        )
        == 0.0
    )


def test_buy_room_leaves_space_for_the_fee() -> None:
    settings = PortfolioSettings(fee_rate=0.01)
    room = buy_room(
        capital=1000.0, allocated=899.0, sector_cost=None, opening=False, open_positions=1, settings=settings
    )
    fee = 0.01 * room
    assert 899.0 + room == pytest.approx(1.0 * (1000.0 - fee))  # exactly at the exposure cap after the fee


def test_signal_intents() -> None:
    assert intent_of("STRONG_BUY", 0.1, SETTINGS) is Intent.TARGET
    assert intent_of("ACCUMULATE", 0.1, SETTINGS) is Intent.TARGET
    assert intent_of("HOLD", 0.9, SETTINGS) is Intent.NOTHING
    assert intent_of("SELL", 0.55, SETTINGS) is Intent.CLOSE
    assert intent_of("SELL", 0.54, SETTINGS) is Intent.HALVE
    assert intent_of("REDUCE", 0.99, SETTINGS) is Intent.HALVE
    assert intent_of("STRONG_SELL", 0.0, SETTINGS) is Intent.CLOSE
    with pytest.raises(ValueError, match="WATCH"):
        intent_of("WATCH", 0.5, SETTINGS)


def test_halving_targets_half_of_the_base_units_and_is_idempotent() -> None:
    assert units_to_halve(100.0, 100.0, SETTINGS) == 50.0
    assert units_to_halve(50.0, 100.0, SETTINGS) == 0.0
    assert units_to_halve(55.0, 100.0, SETTINGS) == 0.0  # within 10 % of the half: nothing
    assert units_to_halve(80.0, 100.0, SETTINGS) == 30.0  # after a rebalance trim: still down to 50
