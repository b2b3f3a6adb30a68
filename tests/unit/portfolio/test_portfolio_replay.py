"""A seeded multi-coin random walk: the ledger replays to the simulation's equity curve exactly,
and the books reconcile after every fill."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import timedelta

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from iris_assets.portfolio.ledger import replay_ledger
from iris_assets.portfolio.settings import PortfolioSettings
from iris_assets.portfolio.simulation import simulate
from tests.unit.portfolio.portfolio_builders import CANDLE_SCHEMA, DECISION_SCHEMA, T0, sectors

LABELS = ["STRONG_BUY", "BUY", "ACCUMULATE", "HOLD", "REDUCE", "SELL", "STRONG_SELL"]
REGIMES = ["bull_trend", "bear_trend", "sideways_range", "high_volatility", "low_volatility", None]
SERIES = [(1, 60), (2, 60), (3, 60), (4, 60), (2, 240), (5, 240)]
SETTINGS = PortfolioSettings(fee_rate=0.001, max_positions=4, max_sector_exposure=0.08)
SECTORS = {1: 1, 2: 1, 3: 2, 5: 2}  # coin 4 has no sector


def _market(seed: int = 7, hours: int = 24 * 30) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    candle_frames, decision_rows = [], []
    for coin, timeframe in SERIES:
        count = hours * 60 // timeframe
        closes = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.012 * math.sqrt(timeframe / 60), count)))
        opens = np.r_[100.0, closes[:-1]]
        wick = np.abs(rng.normal(0.0, 0.006, (2, count)))
        times = [T0 + timedelta(minutes=timeframe * i) for i in range(count)]
        candle_frames.append(
            pl.DataFrame(
                {
                    "coin_id": coin,
                    "timeframe": timeframe,
                    "timestamp": times,
                    "open": opens,
                    "high": np.maximum(opens, closes) * (1 + wick[0]),
                    "low": np.minimum(opens, closes) * (1 - wick[1]),
                    "close": closes,
                },
                schema=CANDLE_SCHEMA,
            )
        )
        for bar in np.sort(rng.choice(count - 1, size=count // 12, replace=False)):
            atr = None if rng.random() < 0.15 else float(closes[bar] * rng.uniform(0.01, 0.04))
            decision_rows.append(
                {
                    "coin_id": coin,
                    "timeframe": timeframe,
                    "timestamp": times[bar],
                    "decision": str(rng.choice(LABELS, p=[0.12, 0.2, 0.16, 0.14, 0.14, 0.14, 0.1])),
                    "confidence": float(rng.uniform(0.2, 1.0)),
                    "regime": REGIMES[rng.integers(len(REGIMES))],
                    "atr": atr,
                    "price": float(closes[bar]),
                }
            )
    return pl.DataFrame(decision_rows, schema=DECISION_SCHEMA), pl.concat(candle_frames)


@pytest.fixture(scope="module")
def market() -> tuple[pl.DataFrame, pl.DataFrame]:
    return _market()


def test_the_ledger_replays_to_the_equity_curve_exactly(market: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    decisions, candles = market
    sim = simulate(decisions, candles, sectors(SECTORS), SETTINGS)
    assert decisions.height >= 50
    assert set(sim.actions.get_column("action")) == {
        "OPEN_POSITION",
        "INCREASE_POSITION",
        "REDUCE_POSITION",
        "CLOSE_POSITION",
    }
    assert {"stop_loss", "take_profit", "signal", "rebalance"} <= set(sim.actions.get_column("reason"))
    prices = candles.select("timestamp", "coin_id", "timeframe", "close")
    replayed = replay_ledger(sim.actions, prices, starting_capital=SETTINGS.starting_capital)
    assert_frame_equal(replayed, sim.equity, check_exact=True)
    last = sim.equity.row(-1, named=True)
    assert sim.state["equity"] == last["equity"] and sim.state["as_of"] == last["timestamp"]


def test_the_books_reconcile_and_the_limits_hold_after_every_fill(market: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    decisions, candles = market
    sim = simulate(decisions, candles, sectors(SECTORS), SETTINGS)
    capital = SETTINGS.starting_capital
    realized, costs = 0.0, {}
    curve_at = {row["timestamp"]: row for row in sim.equity.iter_rows(named=True)}
    last_fill_at = dict(sim.actions.group_by("executed_at").agg(pl.col("sequence").max()).rows())
    for row in sim.actions.iter_rows(named=True):
        realized += row["realized_pnl"]
        key = (row["coin_id"], row["timeframe"])
        costs[key] = row["position_units_after"] * row["position_entry_after"]
        allocated = math.fsum(costs.values())
        available = capital + realized - allocated
        assert available >= -1e-6  # never more than the capital on a cash basis
        assert sum(1 for cost in costs.values() if cost > 0) <= SETTINGS.max_positions
        by_sector: dict[int, float] = defaultdict(float)
        for (coin, _), cost in costs.items():
            if coin in SECTORS:
                by_sector[SECTORS[coin]] += cost
        if row["units"] > 0 and row["coin_id"] in SECTORS:  # a buy keeps its own sector under the cap
            sector_cost = by_sector[SECTORS[row["coin_id"]]]
            assert sector_cost <= SETTINGS.max_sector_exposure * (capital + realized) + 1e-6
        if row["sequence"] == last_fill_at[row["executed_at"]]:  # the curve shows the book after the last fill
            point = curve_at[row["executed_at"]]
            assert point["allocated"] == pytest.approx(allocated, abs=1e-6)
            assert point["cash"] + point["allocated"] == pytest.approx(capital + realized, abs=1e-6)
    state = sim.state
    assert state["allocated"] + state["available"] == pytest.approx(state["capital"] + state["realized_pnl"])
    assert state["open_positions"] == sim.positions.filter(pl.col("status") == "open").height
    assert state["unrealized_pnl"] == pytest.approx(sim.positions.get_column("unrealized_pnl").sum())


def test_the_curve_has_every_utc_day_end_and_a_non_positive_drawdown(market: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    decisions, candles = market
    curve = simulate(decisions, candles, sectors(SECTORS), SETTINGS).equity
    midnights = curve.filter(pl.col("timestamp").dt.time() == pl.time(0)).get_column("timestamp")
    assert midnights.to_list() == [T0 + timedelta(days=d) for d in range(1, 31)]
    assert curve.get_column("timestamp").is_sorted() and curve.get_column("timestamp").is_unique().all()
    assert (curve.get_column("drawdown") <= 0.0).all()


def test_the_run_is_deterministic_whatever_the_input_order(market: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    decisions, candles = market
    first = simulate(decisions, candles, sectors(SECTORS), SETTINGS)
    shuffled = simulate(
        decisions.sample(fraction=1.0, shuffle=True, seed=3),
        candles.sample(fraction=1.0, shuffle=True, seed=4),
        sectors(SECTORS),
        SETTINGS,
    )
    assert_frame_equal(first.actions, shuffled.actions, check_exact=True)
    assert_frame_equal(first.equity, shuffled.equity, check_exact=True)
