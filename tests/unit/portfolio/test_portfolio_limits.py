"""Risk limits checked after the trade, for opens and increases alike (DECISIONS 27)."""

from __future__ import annotations

from typing import Any

import pytest

from iris_assets.portfolio.settings import PortfolioSettings
from iris_assets.portfolio.simulation import Simulation, simulate
from tests.unit.portfolio.portfolio_builders import decision, decisions, no_candles, sectors


def _run(*rows: dict, sector_map: dict[int, int] | None = None, **limits: Any) -> Simulation:
    return simulate(decisions(*rows), no_candles(), sectors(sector_map), PortfolioSettings(**limits))


def _fills(sim: Simulation) -> list[tuple[int, str, float]]:
    return [
        (coin, action, round(notional, 6))
        for coin, action, notional in sim.actions.select("coin_id", "action", "notional").rows()
    ]


def test_max_positions_refuses_an_open_but_not_an_increase() -> None:
    sim = _run(
        *(decision(0, "BUY", 100.0, 0.5, coin=c) for c in (1, 2, 3)),
        decision(1, "BUY", 100.0, 1.0, coin=1),
        max_positions=2,
    )
    assert _fills(sim) == [(1, "OPEN_POSITION", 2500.0), (2, "OPEN_POSITION", 2500.0), (1, "INCREASE_POSITION", 2500.0)]
    assert sim.state["open_positions"] == 2


def test_a_closed_position_frees_its_slot() -> None:
    sim = _run(
        decision(0, "BUY", 100.0, 1.0, coin=1),
        decision(1, "STRONG_SELL", 100.0, coin=1),
        decision(1, "BUY", 100.0, 1.0, coin=2),
        max_positions=1,
    )
    assert [row[1] for row in _fills(sim)] == ["OPEN_POSITION", "CLOSE_POSITION", "OPEN_POSITION"]


def test_the_sector_cap_trims_an_open_then_refuses_the_next() -> None:
    sim = _run(
        *(decision(0, "BUY", 100.0, 1.0, coin=c) for c in (1, 2, 3, 4)),
        sector_map={1: 7, 2: 7, 3: 7, 4: 8},
        max_sector_exposure=0.06,
    )
    assert _fills(sim) == [(1, "OPEN_POSITION", 5000.0), (2, "OPEN_POSITION", 1000.0), (4, "OPEN_POSITION", 5000.0)]
    assert sim.state["exposure_by_sector"] == {7: pytest.approx(0.06), 8: pytest.approx(0.05)}


def test_the_sector_cap_trims_an_increase_then_refuses_the_next() -> None:
    sim = _run(
        decision(0, "BUY", 100.0, 0.5, coin=1),
        decision(0, "BUY", 100.0, 0.5, coin=2),
        decision(1, "BUY", 100.0, 1.0, coin=1),
        decision(2, "BUY", 100.0, 1.0, coin=2),
        sector_map={1: 7, 2: 7},
        max_sector_exposure=0.06,
    )
    assert _fills(sim) == [(1, "OPEN_POSITION", 2500.0), (2, "OPEN_POSITION", 2500.0), (1, "INCREASE_POSITION", 1000.0)]
    assert sim.state["exposure_by_sector"] == {7: pytest.approx(0.06)}


def test_a_trim_below_the_minimum_trade_value_is_dropped() -> None:
    rows = (decision(0, "BUY", 100.0, 1.0, coin=1), decision(0, "BUY", 100.0, 1.0, coin=2))
    assert _fills(_run(*rows, sector_map={1: 7, 2: 7}, max_sector_exposure=0.0505))[1] == (2, "OPEN_POSITION", 50.0)
    assert len(_fills(_run(*rows, sector_map={1: 7, 2: 7}, max_sector_exposure=0.05005))) == 1


def test_total_exposure_is_capped_whatever_the_sector() -> None:
    sim = _run(
        decision(0, "BUY", 100.0, 1.0, coin=1),
        decision(0, "BUY", 100.0, 1.0, coin=2),
        decision(0, "BUY", 100.0, 1.0, coin=3),
        sector_map={1: 7},
        max_exposure=0.07,
    )
    assert _fills(sim) == [(1, "OPEN_POSITION", 5000.0), (2, "OPEN_POSITION", 2000.0)]
    assert sim.state["available"] == pytest.approx(93_000.0)


def test_reductions_are_never_blocked_by_limits() -> None:
    sim = _run(
        decision(0, "BUY", 100.0, 1.0, coin=1),
        decision(0, "BUY", 100.0, 1.0, coin=2),
        decision(1, "REDUCE", 100.0, coin=1),
        sector_map={1: 7, 2: 7},
        max_sector_exposure=0.06,
    )
    assert [row[1] for row in _fills(sim)] == ["OPEN_POSITION", "OPEN_POSITION", "REDUCE_POSITION"]
