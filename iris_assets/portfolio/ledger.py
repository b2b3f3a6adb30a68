"""The action ledger: one row per fill, and the replay that rebuilds the equity curve from it.

The reference logged one row per *evaluated decision* (HOLDs included) with only a USD size, so
the portfolio could not be reconstructed from it. Here a row is written only when units change,
and it carries everything needed to replay the run: signed units, fill price, fee, realized PnL,
and the position's units and entry after the fill. ``replay_ledger`` uses nothing else (plus mark
prices), and the simulation's own curve must equal it exactly (DECISIONS.md 24–26).

Accounting is on a cash basis: cost basis = units × entry (weighted average on buys, unchanged
on sells), realized PnL on a sell = units sold × (fill − entry) − fee, a buy realizes −fee.
``allocated`` is updated fill by fill as allocated − old cost + new cost, in ledger order, with the
same arithmetic in the simulation and in the replay.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from iris_assets.portfolio.equity import LedgerTrace, MarkBook, epoch_us, equity_curve
from iris_assets.portfolio.settings import PortfolioSettings

OPEN_POSITION = "OPEN_POSITION"
INCREASE_POSITION = "INCREASE_POSITION"
REDUCE_POSITION = "REDUCE_POSITION"
CLOSE_POSITION = "CLOSE_POSITION"

SIGNAL = "signal"  # the final signal asked for this fill (open, close, reduce to half)
REBALANCE = "rebalance"  # resizing an existing position toward its sizing target

LEDGER_SCHEMA: dict[str, pl.DataType] = {
    "sequence": pl.Int64(),
    "executed_at": pl.Datetime("us", "UTC"),
    "position_id": pl.Int64(),
    "coin_id": pl.Int32(),
    "timeframe": pl.Int16(),
    "action": pl.String(),
    "reason": pl.String(),
    "decision": pl.String(),
    "decision_timestamp": pl.Datetime("us", "UTC"),
    "confidence": pl.Float64(),
    "units": pl.Float64(),
    "price": pl.Float64(),
    "notional": pl.Float64(),
    "fee": pl.Float64(),
    "realized_pnl": pl.Float64(),
    "position_units_after": pl.Float64(),
    "position_entry_after": pl.Float64(),
    "stop_loss": pl.Float64(),
    "take_profit": pl.Float64(),
}


def ledger_frame(columns: dict[str, list[Any]]) -> pl.DataFrame:
    """Ledger frame from column lists; datetimes given as epoch microseconds."""
    raw = {name: pl.Series(name, columns[name]) for name in LEDGER_SCHEMA}
    for name in ("executed_at", "decision_timestamp"):
        raw[name] = raw[name].cast(pl.Int64).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    return pl.DataFrame(raw).cast(pl.Schema(LEDGER_SCHEMA))


class LedgerTracer:
    """Rebuilds the trace from ledger rows chunk by chunk (chunks in sequence order), carrying the
    running realized PnL, Σ cost basis and each position's cost from one chunk to the next."""

    def __init__(self) -> None:
        self.realized = 0.0
        self.allocated = 0.0
        self.costs: dict[int, float] = {}

    def extend(self, actions: pl.DataFrame) -> LedgerTrace:
        """The trace of the next ledger rows."""
        rows = actions.sort("sequence")
        pid = rows.get_column("position_id").to_numpy()
        units = rows.get_column("position_units_after").to_numpy()
        entry = rows.get_column("position_entry_after").to_numpy()
        realized_rows = rows.get_column("realized_pnl").to_list()
        realized_after = np.empty(rows.height)
        allocated_after = np.empty(rows.height)
        costs = self.costs
        realized, allocated = self.realized, self.allocated
        fills = zip(pid.tolist(), units.tolist(), entry.tolist(), realized_rows, strict=True)
        for i, (position, u, e, gain) in enumerate(fills):
            realized = realized + gain
            cost = u * e
            allocated = allocated - costs.get(position, 0.0) + cost
            costs[position] = cost
            realized_after[i], allocated_after[i] = realized, allocated
        self.realized, self.allocated = realized, allocated
        return LedgerTrace(
            times=rows.select(epoch_us("executed_at")).to_series().to_numpy(),
            realized=realized_after,
            allocated=allocated_after,
            position_id=pid,
            coin_id=rows.get_column("coin_id").to_numpy(),
            timeframe=rows.get_column("timeframe").to_numpy(),
            units=units,
            entry=entry,
        )


def trace_from_ledger(actions: pl.DataFrame) -> LedgerTrace:
    """Portfolio totals after each fill, recomputed from ledger rows alone."""
    return LedgerTracer().extend(actions)


def replay_ledger(
    actions: pl.DataFrame, prices: pl.DataFrame, starting_capital: float = PortfolioSettings.starting_capital
) -> pl.DataFrame:
    """Equity curve rebuilt from the ledger plus mark prices (coin_id, timeframe, timestamp, close).

    ``prices`` are candles keyed by open time, like the simulation's candles.
    """
    return equity_curve(starting_capital, trace_from_ledger(actions), MarkBook(prices))
