"""Paper trading from final signals: one long-only spot position per (coin, timeframe).

A final signal at a bar with open time t takes effect at that bar's close (t + timeframe) and is
filled at its close price. Decisions and stop checks form one event stream in time order; at the
same instant the stop checks of the candle closing then come first, then the decisions.

Between two decisions on the same (coin, timeframe) nothing but its own stops can touch that
position, so after each decision the next stop hit is searched (vectorised) only over the candles
up to the next decision on that series and queued as an event. Every candle is scanned at most
once, and the Python loop runs over decisions and fills, not over candles.

Rules (DECISIONS.md 24–27 on top of reference 4): sizing in ``sizing``, signal intents in
``rules``, limits after the trade for opens and resizes in ``limits``, ATR stops in ``stops``,
accounting and the ledger in ``ledger``, the equity curve in ``equity``, the positions and state
read models in ``positions``.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from iris_assets.portfolio.equity import (
    LedgerTrace,
    MarkBook,
    close_time_us,
    epoch_us,
    equity_curve,
)
from iris_assets.portfolio.ledger import (
    CLOSE_POSITION,
    INCREASE_POSITION,
    LEDGER_SCHEMA,
    OPEN_POSITION,
    REBALANCE,
    REDUCE_POSITION,
    SIGNAL,
    ledger_frame,
)
from iris_assets.portfolio.limits import buy_room
from iris_assets.portfolio.positions import Position, portfolio_state, positions_frame
from iris_assets.portfolio.rules import LABELS, Intent, intent_of, units_to_halve
from iris_assets.portfolio.settings import PortfolioSettings
from iris_assets.portfolio.sizing import target_notional
from iris_assets.portfolio.stops import StopCandles, StopHit, first_stop_hit, stop_levels

TRACE_FIELDS = ("times", "realized", "allocated", "position_id", "coin_id", "timeframe", "units", "entry")


@dataclass(frozen=True)
class Simulation:
    """Outcome of one run: the ledger, the positions, the final state and the equity curve."""

    actions: pl.DataFrame  # the ledger (``LEDGER_SCHEMA``)
    positions: pl.DataFrame  # one row per position lifecycle (``positions.POSITION_SCHEMA``)
    state: dict[str, Any]
    equity: pl.DataFrame  # ``equity.EQUITY_SCHEMA``


def _float_or_none(value: Any) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


class _Engine:
    def __init__(self, candles: StopCandles, sectors: dict[int, int | None], settings: PortfolioSettings) -> None:
        self.candles = candles
        self.sectors = sectors
        self.settings = settings
        self.open: dict[tuple[int, int], Position] = {}
        self.closed: list[Position] = []
        self.sector_cost: dict[int, float] = {}
        self.realized = 0.0
        self.allocated = 0.0
        self.next_position_id = 1
        self.stop_queue: list[tuple[int, int, int, int, StopHit]] = []
        self.rows: dict[str, list[Any]] = {name: [] for name in LEDGER_SCHEMA}
        self.trace: dict[str, list[Any]] = {name: [] for name in TRACE_FIELDS}

    # ---- events -------------------------------------------------------------------------------
    def stops_until(self, instant: float) -> None:
        """Fire every queued stop whose candle closed at or before ``instant``."""
        while self.stop_queue and self.stop_queue[0][0] <= instant:
            at, coin_id, timeframe, position_id, hit = heapq.heappop(self.stop_queue)
            position = self.open[(coin_id, timeframe)]
            assert position.position_id == position_id
            self._fill(position, -position.units, hit.price, at, CLOSE_POSITION, hit.reason, None)

    def decide(self, row: dict[str, Any], effective: int, next_effective: int | None) -> None:
        key = (row["coin_id"], row["timeframe"])
        position = self.open.get(key)
        confidence = _float_or_none(row["confidence"]) or 0.0
        intent = intent_of(row["decision"], confidence, self.settings)
        price = _float_or_none(row["price"])
        signal = (row["decision"], row["timestamp"], min(max(confidence, 0.0), 1.0))
        restart = False
        if price is not None and price > 0:
            if intent is Intent.TARGET:
                restart = self._to_target(key, position, row, confidence, price, effective, signal)
            elif position is not None and intent is Intent.CLOSE:
                self._fill(position, -position.units, price, effective, CLOSE_POSITION, SIGNAL, signal)
            elif position is not None and intent is Intent.HALVE:
                sell = units_to_halve(position.units, position.base_units, self.settings)
                if sell > 0:
                    self._fill(position, -sell, price, effective, REDUCE_POSITION, SIGNAL, signal)
        position = self.open.get(key)
        if position is not None:
            self._schedule_stop(position, effective, next_effective, restart)

    # ---- sizing -------------------------------------------------------------------------------
    def _to_target(
        self,
        key: tuple[int, int],
        position: Position | None,
        row: dict[str, Any],
        confidence: float,
        price: float,
        effective: int,
        signal: tuple[Any, ...],
    ) -> bool:
        """Open or resize toward the sizing target; True when the stop levels were (re)set."""
        settings = self.settings
        capital = settings.starting_capital + self.realized
        own_cost = position.units * position.entry if position is not None else 0.0
        atr = _float_or_none(row["atr"])
        target = target_notional(
            capital=capital,
            available=capital - self.allocated + own_cost,
            confidence=confidence,
            regime=row["regime"],
            price=price,
            atr=atr,
            settings=settings,
        )
        if target <= 0:
            return False
        if position is not None:
            value = position.units * price
            delta = target - value
            if abs(delta) <= settings.rebalance_band * value:
                return False
            if delta < 0:
                self._fill(position, delta / price, price, effective, REDUCE_POSITION, REBALANCE, signal)
                return False
        sector = self.sectors.get(key[0])
        room = buy_room(
            capital=capital,
            allocated=self.allocated,
            sector_cost=self.sector_cost.get(sector, 0.0) if sector is not None else None,
            opening=position is None,
            open_positions=len(self.open),
            settings=settings,
        )
        amount = min(target if position is None else target - position.units * price, room)
        if amount < settings.min_trade_value:
            return False
        if position is None:
            position = Position(self.next_position_id, key[0], key[1], sector, effective)
            self.next_position_id += 1
            self.open[key] = position
            action, reason = OPEN_POSITION, SIGNAL
        else:
            action, reason = INCREASE_POSITION, REBALANCE
        units = amount / price
        if position.units > 0:  # weighted average cost
            entry = (position.units * position.entry + units * price) / (position.units + units)
        else:
            entry = price
        levels = stop_levels(entry, atr, settings)
        position.levels = levels if levels is not None or action == OPEN_POSITION else position.levels
        self._fill(position, units, price, effective, action, reason, signal, entry_after=entry)
        position.base_units = position.units
        return levels is not None

    # ---- accounting ---------------------------------------------------------------------------
    def _fill(
        self,
        position: Position,
        units: float,
        price: float,
        at: int,
        action: str,
        reason: str,
        signal: tuple[Any, ...] | None,
        entry_after: float | None = None,
    ) -> None:
        notional = abs(units) * price
        fee = self.settings.fee_rate * notional
        old_cost = position.units * position.entry
        if units > 0:
            gain = 0.0 - fee  # a buy realizes only its fee (0.0, never -0.0, without fees)
            position.entry = entry_after if entry_after is not None else price
        else:
            gain = -units * (price - position.entry) - fee
        position.units = 0.0 if action == CLOSE_POSITION else position.units + units
        new_cost = position.units * position.entry
        self.realized = self.realized + gain
        self.allocated = self.allocated - old_cost + new_cost
        position.realized += gain
        position.last_fill = price
        if position.sector_id is not None:
            sector = position.sector_id
            self.sector_cost[sector] = self.sector_cost.get(sector, 0.0) - old_cost + new_cost
        key = (position.coin_id, position.timeframe)
        if action == CLOSE_POSITION:
            position.closed_at = at
            position.levels = None
            self.closed.append(self.open.pop(key))
        decision, decision_time, confidence = signal if signal is not None else (None, None, None)
        levels = position.levels
        values = {
            "sequence": len(self.rows["sequence"]) + 1,
            "executed_at": at,
            "position_id": position.position_id,
            "coin_id": position.coin_id,
            "timeframe": position.timeframe,
            "action": action,
            "reason": reason,
            "decision": decision,
            "decision_timestamp": decision_time,
            "confidence": confidence,
            "units": units,
            "price": price,
            "notional": notional,
            "fee": fee,
            "realized_pnl": gain,
            "position_units_after": position.units,
            "position_entry_after": position.entry,
            "stop_loss": levels[0] if levels else None,
            "take_profit": levels[1] if levels else None,
        }
        for name, value in values.items():
            self.rows[name].append(value)
        trace = (
            at,
            self.realized,
            self.allocated,
            position.position_id,
            position.coin_id,
            position.timeframe,
            position.units,
            position.entry,
        )
        for name, value in zip(self.trace, trace, strict=True):
            self.trace[name].append(value)

    # ---- stops --------------------------------------------------------------------------------
    def _schedule_stop(self, position: Position, effective: int, next_effective: int | None, restart: bool) -> None:
        """Queue the first stop hit among the candles up to the series' next decision."""
        key = (position.coin_id, position.timeframe)
        series = self.candles.series(key)
        if position.levels is None or series is None:
            return
        start = int(np.searchsorted(series.open_time, effective, side="left")) if restart else position.scan_from
        end = series.open_time.size
        if next_effective is not None:
            end = int(np.searchsorted(series.close_time, next_effective, side="right"))
        hit = first_stop_hit(series.open, series.high, series.low, position.levels, start, end)
        if hit is None:
            position.scan_from = max(start, end)
            return
        at = int(series.close_time[hit.candle])
        heapq.heappush(self.stop_queue, (at, key[0], key[1], position.position_id, hit))


def _prepared(decisions: pl.DataFrame) -> pl.DataFrame:
    unknown = set(decisions.get_column("decision").drop_nulls().unique().to_list()) - LABELS
    if unknown or decisions.get_column("decision").null_count():
        raise ValueError(f"unknown final signals {sorted(unknown)} (or null); expected one of {sorted(LABELS)}")
    return (
        decisions.select(
            pl.col("coin_id").cast(pl.Int64),
            pl.col("timeframe").cast(pl.Int64),
            epoch_us("timestamp").alias("timestamp"),
            close_time_us().alias("effective"),
            pl.col("decision").cast(pl.String),
            pl.col("confidence").cast(pl.Float64),
            pl.col("regime").cast(pl.String),
            pl.col("atr").cast(pl.Float64),
            pl.col("price").cast(pl.Float64),
        )
        .with_row_index("row")
        .sort("effective", "coin_id", "timeframe", "timestamp", "row")
        .with_columns(pl.col("effective").shift(-1).over("coin_id", "timeframe").alias("next_effective"))
    )


def _sector_map(sectors: pl.DataFrame) -> dict[int, int | None]:
    rows = sectors.select(pl.col("coin_id").cast(pl.Int64), pl.col("sector_id").cast(pl.Int64)).rows()
    return {int(coin): (None if sector is None else int(sector)) for coin, sector in rows}


def simulate(
    decisions: pl.DataFrame,
    candles: pl.DataFrame,
    sectors: pl.DataFrame,
    settings: PortfolioSettings | None = None,
) -> Simulation:
    """Run the paper portfolio over ``decisions`` with stops enforced on ``candles``.

    decisions: coin_id, timeframe, timestamp (bar open, UTC), decision (final-signal label),
    confidence, regime, atr, price (that bar's close). candles: coin_id, timeframe, timestamp
    (open), open, high, low, close — closed candles only. sectors: coin_id, sector_id.
    """
    settings = settings or PortfolioSettings()
    engine = _Engine(StopCandles(candles), _sector_map(sectors), settings)
    prepared = _prepared(decisions)
    effective = prepared.get_column("effective").to_list()
    following = prepared.get_column("next_effective").to_list()
    for row, at, next_at in zip(prepared.iter_rows(named=True), effective, following, strict=True):
        engine.stops_until(at)
        engine.decide(row, at, next_at)
    engine.stops_until(math.inf)

    actions = ledger_frame(engine.rows)
    trace = LedgerTrace(
        **{
            name: np.array(
                values, dtype=np.int64 if name in ("times", "position_id", "coin_id", "timeframe") else float
            )
            for name, values in engine.trace.items()
        }
    )
    book = MarkBook(candles)
    equity = equity_curve(settings.starting_capital, trace, book)
    as_of_us = int(equity.select(epoch_us("timestamp")).to_series()[-1]) if equity.height else None
    return Simulation(
        actions,
        positions_frame([*engine.closed, *engine.open.values()], book, as_of_us),
        portfolio_state(list(engine.open.values()), equity, settings),
        equity,
    )
