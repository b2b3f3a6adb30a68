"""Every decision → action path of the simulation, hand-computed (reference 4.7–4.8, DECISIONS 24–26)."""

from __future__ import annotations

import polars as pl
import pytest

from iris_assets.portfolio.settings import PortfolioSettings
from iris_assets.portfolio.simulation import Simulation, simulate
from tests.unit.portfolio.portfolio_builders import (
    bar_time,
    close_time,
    decision,
    decisions,
    flat_candles,
    no_candles,
    sectors,
)


def _run(
    *rows: dict,
    candles: pl.DataFrame | None = None,
    settings: PortfolioSettings | None = None,
    sector_map: dict[int, int] | None = None,
) -> Simulation:
    return simulate(decisions(*rows), no_candles() if candles is None else candles, sectors(sector_map), settings)


def _actions(sim: Simulation) -> list[str]:
    return sim.actions.get_column("action").to_list()


def test_a_buy_opens_a_position_sized_to_target_with_atr_stops_at_the_bar_close() -> None:
    sim = _run(
        decision(0, "BUY", 100.0, 0.8, regime="bull_trend", atr=2.0), candles=flat_candles(100.0, 10), sector_map={1: 7}
    )
    row = sim.actions.row(0, named=True)
    assert sim.actions.height == 1
    assert row["action"] == "OPEN_POSITION" and row["reason"] == "signal" and row["decision"] == "BUY"
    assert row["executed_at"] == close_time(0) and row["decision_timestamp"] == bar_time(0)
    assert row["sequence"] == 1 and row["confidence"] == 0.8
    assert row["notional"] == pytest.approx(4508.0) and row["units"] == pytest.approx(45.08)
    assert row["price"] == 100.0 and row["fee"] == 0.0 and row["realized_pnl"] == 0.0
    assert (row["position_units_after"], row["position_entry_after"]) == (pytest.approx(45.08), 100.0)
    assert (row["stop_loss"], row["take_profit"]) == (96.0, 106.0)
    position = sim.positions.row(0, named=True)
    assert position["status"] == "open" and position["cost_basis"] == pytest.approx(4508.0)
    assert position["opened_at"] == close_time(0) and position["closed_at"] is None
    assert sim.state["open_positions"] == 1
    assert sim.state["allocated"] == pytest.approx(4508.0) and sim.state["available"] == pytest.approx(95_492.0)
    assert sim.state["exposure_by_sector"] == {7: pytest.approx(0.04508)}


def test_a_stronger_buy_increases_at_the_weighted_average_entry_and_moves_the_stops() -> None:
    sim = _run(
        decision(0, "BUY", 100.0, 0.45, regime="bear_trend"),  # 5000 × 0.45 × 0.75 = 1687.5
        decision(2, "STRONG_BUY", 110.0, 0.95, regime="bull_trend", atr=2.0),
    )  # capped at 5000
    assert _actions(sim) == ["OPEN_POSITION", "INCREASE_POSITION"]
    increase = sim.actions.row(1, named=True)
    assert increase["reason"] == "rebalance"
    assert increase["notional"] == pytest.approx(5000.0 - 16.875 * 110.0)
    units = 16.875 + increase["notional"] / 110.0
    entry = (1687.5 + increase["notional"]) / units
    assert increase["position_units_after"] == pytest.approx(units)
    assert increase["position_entry_after"] == pytest.approx(entry)
    assert (increase["stop_loss"], increase["take_profit"]) == (pytest.approx(entry - 4.0), pytest.approx(entry + 6.0))


def test_a_weaker_buy_rebalances_down_and_realizes_the_sold_part() -> None:
    sim = _run(decision(0, "BUY", 100.0, 1.0), decision(1, "BUY", 120.0, 0.5))  # 5000 → target 2500
    assert _actions(sim) == ["OPEN_POSITION", "REDUCE_POSITION"]
    reduce = sim.actions.row(1, named=True)
    sold = (6000.0 - 2500.0) / 120.0
    assert reduce["reason"] == "rebalance" and reduce["units"] == pytest.approx(-sold)
    assert reduce["realized_pnl"] == pytest.approx(sold * 20.0)
    assert reduce["position_entry_after"] == 100.0  # the entry survives a reduction
    assert sim.state["realized_pnl"] == pytest.approx(sold * 20.0)


def test_a_target_inside_the_rebalance_band_changes_nothing() -> None:
    sim = _run(decision(0, "BUY", 100.0, 0.8), decision(1, "BUY", 105.0, 0.8))  # value 4200 vs 4000: |δ| ≤ 420
    assert _actions(sim) == ["OPEN_POSITION"]


def test_reduce_halves_the_position_once_and_a_repeat_does_nothing() -> None:
    sim = _run(
        decision(0, "BUY", 100.0, 1.0),
        decision(1, "REDUCE", 100.0, 0.7),
        decision(2, "REDUCE", 100.0, 0.7),
        decision(3, "SELL", 100.0, 0.3),
    )
    assert _actions(sim) == ["OPEN_POSITION", "REDUCE_POSITION"]
    reduce = sim.actions.row(1, named=True)
    assert reduce["reason"] == "signal" and reduce["decision"] == "REDUCE"
    assert reduce["units"] == -25.0 and reduce["position_units_after"] == 25.0


def test_a_weak_sell_halves_once_only() -> None:
    sim = _run(
        decision(0, "BUY", 100.0, 1.0),
        decision(1, "SELL", 100.0, 0.4),
        decision(2, "SELL", 100.0, 0.4),
        decision(3, "SELL", 100.0, 0.54),
    )
    assert _actions(sim) == ["OPEN_POSITION", "REDUCE_POSITION"]


@pytest.mark.parametrize(("label", "confidence"), [("SELL", 0.55), ("SELL", 0.9), ("STRONG_SELL", 0.1)])
def test_a_confident_sell_or_a_strong_sell_closes(label: str, confidence: float) -> None:
    sim = _run(decision(0, "BUY", 100.0, 1.0), decision(3, label, 90.0, confidence))
    assert _actions(sim) == ["OPEN_POSITION", "CLOSE_POSITION"]
    close = sim.actions.row(1, named=True)
    assert close["units"] == -50.0 and close["position_units_after"] == 0.0 and close["reason"] == "signal"
    assert close["realized_pnl"] == pytest.approx(-500.0) and close["stop_loss"] is None
    position = sim.positions.row(0, named=True)
    assert position["status"] == "closed" and position["closed_at"] == close_time(3)
    assert position["units"] == 0.0 and position["realized_pnl"] == pytest.approx(-500.0)
    assert sim.state["allocated"] == 0.0 and sim.state["open_positions"] == 0
    assert sim.state["available"] == pytest.approx(99_500.0)


def test_sells_without_a_position_and_holds_write_nothing() -> None:
    assert _run(
        decision(0, "SELL", 100.0, 0.9),
        decision(1, "REDUCE", 100.0, 0.9),
        decision(2, "STRONG_SELL", 100.0, 0.9),
        decision(3, "HOLD", 100.0, 0.9),
    ).actions.is_empty()
    sim = _run(decision(0, "BUY", 100.0, 1.0), decision(1, "HOLD", 150.0, 1.0), decision(2, "HOLD", 50.0, 1.0))
    assert _actions(sim) == ["OPEN_POSITION"]


def test_reapplying_the_same_decision_is_idempotent() -> None:
    buy = decision(0, "BUY", 100.0, 0.8, regime="bull_trend", atr=2.0)
    assert _actions(_run(buy, buy)) == ["OPEN_POSITION"]
    assert _actions(_run(buy, decision(1, "BUY", 100.0, 0.8, regime="bull_trend", atr=2.0))) == ["OPEN_POSITION"]


def test_a_buy_with_nothing_to_buy_writes_nothing() -> None:
    assert _run(decision(0, "BUY", 100.0, 0.0)).actions.is_empty()
    assert _run(decision(0, "BUY", 100.0, 0.001)).actions.is_empty()  # 5 USD < min_trade_value
    assert _run(decision(0, "BUY", None, 1.0)).actions.is_empty()  # no price: no fill


def test_realized_pnl_on_reduce_and_close_includes_fees() -> None:
    sim = _run(
        decision(0, "BUY", 100.0, 1.0),
        decision(1, "REDUCE", 110.0, 1.0),
        decision(2, "STRONG_SELL", 90.0),
        settings=PortfolioSettings(fee_rate=0.001),
    )
    assert _actions(sim) == ["OPEN_POSITION", "REDUCE_POSITION", "CLOSE_POSITION"]
    assert sim.actions.get_column("fee").to_list() == pytest.approx([5.0, 2.75, 2.25])
    assert sim.actions.get_column("realized_pnl").to_list() == pytest.approx([-5.0, 247.25, -252.25])
    assert sim.state["realized_pnl"] == pytest.approx(-10.0)
    assert sim.state["available"] == pytest.approx(99_990.0) and sim.state["equity"] == pytest.approx(99_990.0)
    assert sim.positions.row(0, named=True)["realized_pnl"] == pytest.approx(-10.0)


def test_unrealized_pnl_is_marked_to_the_latest_close_and_state_reconciles() -> None:
    candles = flat_candles(100.0, 3).vstack(flat_candles(120.0, 6).slice(3, 3))
    sim = _run(decision(0, "BUY", 100.0, 1.0), candles=candles)
    position = sim.positions.row(0, named=True)
    assert position["last_price"] == 120.0 and position["market_value"] == pytest.approx(6000.0)
    assert position["unrealized_pnl"] == pytest.approx(1000.0)
    state = sim.state
    assert state["unrealized_pnl"] == pytest.approx(1000.0) and state["equity"] == pytest.approx(101_000.0)
    assert state["allocated"] + state["available"] == pytest.approx(state["capital"] + state["realized_pnl"])
    assert state["as_of"] == close_time(5)


def test_an_unknown_label_is_rejected_before_anything_runs() -> None:
    with pytest.raises(ValueError, match="WATCH"):
        _run(decision(0, "BUY", 100.0, 1.0), decision(1, "WATCH", 100.0, 1.0))


def test_without_decisions_the_curve_stays_at_the_starting_capital() -> None:
    sim = simulate(decisions(), flat_candles(100.0, 30), sectors(), None)
    assert sim.actions.is_empty() and sim.positions.is_empty()
    assert sim.equity.get_column("equity").unique().to_list() == [100_000.0]
    assert sim.equity.get_column("timestamp").to_list() == [bar_time(24), bar_time(30)]  # midnight, as of
    assert sim.state["equity"] == 100_000.0 and sim.state["open_positions"] == 0
