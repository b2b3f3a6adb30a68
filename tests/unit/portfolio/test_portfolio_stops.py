"""Stop-loss and take-profit enforcement on closed candles (DECISIONS 25)."""

from __future__ import annotations

import pytest

from iris_assets.portfolio.simulation import Simulation, simulate
from tests.unit.portfolio.portfolio_builders import candles, close_time, decision, decisions, sectors

OPEN_BAR = (100.0, 100.0, 90.0, 100.0)  # the open bar's own low is below the stop: it must not count
QUIET = (100.0, 101.0, 99.0, 100.0)


def _open_then(*bars: tuple[float, float, float, float], extra: tuple[dict, ...] = ()) -> Simulation:
    # BUY 1.0, price 100, ATR 2: 4900 USD = 49 units, stop 96, take profit 106
    rows = decisions(decision(0, "BUY", 100.0, 1.0, atr=2.0), *extra)
    return simulate(rows, candles([OPEN_BAR, *bars, QUIET]), sectors())


def _exit(sim: Simulation) -> dict:
    assert sim.actions.get_column("action").to_list()[:2] == ["OPEN_POSITION", "CLOSE_POSITION"]
    return sim.actions.row(1, named=True)


def test_a_stop_touched_inside_a_candle_closes_at_the_stop_when_that_candle_closes() -> None:
    row = _exit(_open_then(QUIET, (99.0, 100.0, 95.0, 97.0)))
    assert row["reason"] == "stop_loss" and row["price"] == 96.0 and row["executed_at"] == close_time(2)
    assert row["decision"] is None and row["decision_timestamp"] is None and row["confidence"] is None
    assert row["units"] == pytest.approx(-49.0) and row["realized_pnl"] == pytest.approx(49.0 * -4.0)


def test_a_gap_through_the_stop_fills_at_the_open() -> None:
    row = _exit(_open_then((94.0, 95.0, 93.0, 94.0)))
    assert row["reason"] == "stop_loss" and row["price"] == 94.0
    assert row["realized_pnl"] == pytest.approx(49.0 * -6.0)


def test_take_profit_fills_at_the_level_or_at_a_gapping_open() -> None:
    row = _exit(_open_then((101.0, 107.0, 100.0, 106.0)))
    assert row["reason"] == "take_profit" and row["price"] == 106.0
    assert row["realized_pnl"] == pytest.approx(49.0 * 6.0)
    assert _exit(_open_then((108.0, 109.0, 107.0, 108.0)))["price"] == 108.0


def test_both_levels_inside_one_candle_assume_the_stop() -> None:
    row = _exit(_open_then((100.0, 107.0, 95.0, 100.0)))
    assert row["reason"] == "stop_loss" and row["price"] == 96.0


def test_stops_of_a_candle_come_before_decisions_taking_effect_at_its_close() -> None:
    hit = (99.0, 100.0, 95.0, 97.0)
    sim = _open_then(hit, extra=(decision(1, "BUY", 97.0, 1.0, atr=2.0),))
    assert sim.actions.get_column("action").to_list() == ["OPEN_POSITION", "CLOSE_POSITION", "OPEN_POSITION"]
    assert sim.actions.get_column("reason").to_list() == ["signal", "stop_loss", "signal"]
    assert sim.actions.get_column("executed_at").to_list()[1:] == [close_time(1), close_time(1)]
    assert sim.actions.get_column("position_id").to_list() == [1, 1, 2]
    assert sim.positions.get_column("status").to_list() == ["closed", "open"]
    sell_after_stop = _open_then(hit, extra=(decision(1, "SELL", 97.0, 0.9),))
    assert sell_after_stop.actions.get_column("reason").to_list() == ["signal", "stop_loss"]


def test_an_increase_moves_the_levels_and_the_new_levels_apply_from_the_next_candle() -> None:
    rows = decisions(
        decision(0, "BUY", 100.0, 0.5, atr=2.0),  # 2450 USD, stop 96
        decision(2, "BUY", 100.0, 1.0, atr=10.0),
    )  # 4500 USD, stop 80, take profit 130
    bars = [
        OPEN_BAR,
        (100.0, 101.0, 97.0, 100.0),
        (100.0, 101.0, 99.0, 100.0),
        (100.0, 101.0, 95.0, 100.0),  # would have hit the old stop
        (90.0, 91.0, 79.0, 85.0),
        QUIET,
    ]
    sim = simulate(rows, candles(bars), sectors())
    assert sim.actions.get_column("action").to_list() == ["OPEN_POSITION", "INCREASE_POSITION", "CLOSE_POSITION"]
    close = sim.actions.row(2, named=True)
    assert (close["reason"], close["price"], close["executed_at"]) == ("stop_loss", 80.0, close_time(4))
    assert sim.actions.row(1, named=True)["stop_loss"] == 80.0


def test_without_atr_there_are_no_levels_and_nothing_is_enforced() -> None:
    sim = simulate(decisions(decision(0, "BUY", 100.0, 1.0)), candles([OPEN_BAR, (50.0, 200.0, 10.0, 60.0)]), sectors())
    assert sim.actions.get_column("action").to_list() == ["OPEN_POSITION"]
    assert sim.positions.row(0, named=True)["stop_loss"] is None
    assert sim.positions.row(0, named=True)["unrealized_pnl"] == pytest.approx(50.0 * -40.0)


def test_a_stop_after_the_last_decision_still_fires() -> None:
    sim = _open_then(*[QUIET] * 20, (99.0, 100.0, 95.0, 97.0))
    assert _exit(sim)["executed_at"] == close_time(21)
