"""Positions of the paper portfolio: their live state, and the positions / state read models.

A position lives from its open to its close on one (coin, timeframe); ``base_units`` are its units
right after the last open or increase (what REDUCE halves). Open positions are reported at the
latest close of their timeframe (the entry when no candle has closed yet); closed ones at their
exit fill. Sector exposure is cost basis over cash-basis capital (starting + realized), the same
measure the sector cap uses.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from iris_assets.portfolio.equity import MarkBook, to_datetime
from iris_assets.portfolio.settings import PortfolioSettings

POSITION_SCHEMA: dict[str, pl.DataType] = {
    "position_id": pl.Int64(),
    "coin_id": pl.Int32(),
    "timeframe": pl.Int16(),
    "sector_id": pl.Int64(),
    "status": pl.String(),
    "units": pl.Float64(),
    "entry_price": pl.Float64(),
    "cost_basis": pl.Float64(),
    "stop_loss": pl.Float64(),
    "take_profit": pl.Float64(),
    "opened_at": pl.Datetime("us", "UTC"),
    "closed_at": pl.Datetime("us", "UTC"),
    "realized_pnl": pl.Float64(),
    "last_price": pl.Float64(),
    "market_value": pl.Float64(),
    "unrealized_pnl": pl.Float64(),
}


@dataclass(slots=True)
class Position:
    """Mutable state of one position while the simulation runs."""

    position_id: int
    coin_id: int
    timeframe: int
    sector_id: int | None
    opened_at: int
    units: float = 0.0
    entry: float = 0.0
    base_units: float = 0.0
    levels: tuple[float, float] | None = None
    scan_lo: int = 0  # stop search: the next candle to check closes at or after this (epoch µs)
    realized: float = 0.0
    closed_at: int | None = None
    last_fill: float = 0.0


def positions_frame(positions: Iterable[Position], book: MarkBook, as_of: int | None) -> pl.DataFrame:
    """One row per position (``POSITION_SCHEMA``), open ones marked as of ``as_of``."""
    rows = []
    for position in sorted(positions, key=lambda p: p.position_id):
        is_open = position.closed_at is None
        last = position.last_fill
        if is_open and as_of is not None:
            mark = float(book.marks(position.coin_id, position.timeframe, np.array([as_of]))[0])
            last = position.entry if math.isnan(mark) else mark
        levels = position.levels
        rows.append(
            {
                "position_id": position.position_id,
                "coin_id": position.coin_id,
                "timeframe": position.timeframe,
                "sector_id": position.sector_id,
                "status": "open" if is_open else "closed",
                "units": position.units,
                "entry_price": position.entry,
                "cost_basis": position.units * position.entry,
                "stop_loss": levels[0] if levels else None,
                "take_profit": levels[1] if levels else None,
                "opened_at": position.opened_at,
                "closed_at": position.closed_at,
                "realized_pnl": position.realized,
                "last_price": last,
                "market_value": position.units * last,
                "unrealized_pnl": position.units * (last - position.entry),
            }
        )
    frame = pl.DataFrame(rows, schema={**POSITION_SCHEMA, "opened_at": pl.Int64(), "closed_at": pl.Int64()})
    return frame.with_columns(
        to_datetime(frame.get_column("opened_at")).alias("opened_at"),
        to_datetime(frame.get_column("closed_at")).alias("closed_at"),
    ).cast(pl.Schema(POSITION_SCHEMA))


def portfolio_state(
    open_positions: list[Position], equity: pl.DataFrame, settings: PortfolioSettings
) -> dict[str, Any]:
    """Totals as of the last equity point (the books after the last fill, marked then)."""
    last = equity.row(-1, named=True) if equity.height else None
    realized = last["realized_pnl"] if last else 0.0
    allocated = last["allocated"] if last else 0.0
    unrealized = last["unrealized_pnl"] if last else 0.0
    capital = settings.starting_capital
    exposure: dict[int, float] = {}
    for position in open_positions:
        if position.sector_id is not None:
            share = position.units * position.entry / (capital + realized)
            exposure[position.sector_id] = exposure.get(position.sector_id, 0.0) + share
    return {
        "capital": capital,
        "realized_pnl": realized,
        "unrealized_pnl": unrealized,
        "allocated": allocated,
        "available": capital + realized - allocated,
        "equity": capital + realized + unrealized,
        "open_positions": len(open_positions),
        "exposure_by_sector": dict(sorted(exposure.items())),
        "as_of": last["timestamp"] if last else None,
    }
