"""Paper trading from final signals: one long-only spot position per (coin, timeframe).

A final signal at a bar with open time t takes effect at that bar's close (t + timeframe) and is
filled at its close price. Decisions and stop checks form one event stream in time order; at the
same instant the stop checks of the candle closing then come first, then the decisions.

Between two decisions on the same (coin, timeframe) nothing but its own stops can touch that
position, so after each decision the next stop hit is searched (vectorised) only over the candles
up to the next decision on that series and queued as an event. Every candle is scanned at most
once, and the Python loop runs over decisions and fills, not over candles.

The run goes through time windows (``Replay.window``): decisions taking effect in [lo, hi) and
the candles closing then. A search that reaches the window end without a hit resumes at the next
window's start from where it stopped (the position remembers the close time it reached), stops
closing before ``hi`` fire at the window end, and the window's fills are final from then on, so
the equity curve (``equity_windows``) and the ledger chunk are produced per window. Splitting a
search into consecutive pieces finds the same first hit, so any window size gives the same run;
memory holds one window. A decision that changes nothing in any state (HOLD, or no usable price)
only continues the series' stop search, so leaving it out changes nothing either.

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
    MINUTE_US,
    LedgerTrace,
    MarkBook,
    close_time_us,
    epoch_us,
)
from iris_assets.portfolio.equity_windows import EquityWindows
from iris_assets.portfolio.ledger import (
    CLOSE_POSITION,
    INCREASE_POSITION,
    LEDGER_SCHEMA,
    OPEN_POSITION,
    REBALANCE,
    REDUCE_POSITION,
    SIGNAL,
    LedgerTracer,
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
    replayed: pl.DataFrame | None = None  # the curve rebuilt from the ledger rows alone, same schema


def _float_or_none(value: Any) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


class _Engine:
    def __init__(self, sectors: dict[int, int | None], settings: PortfolioSettings) -> None:
        self.candles = StopCandles(pl.DataFrame(schema=_CANDLE_SCHEMA))
        self.window_hi = 0  # candles of the current window close before this (epoch µs)
        self.sectors = sectors
        self.settings = settings
        self.open: dict[tuple[int, int], Position] = {}
        self.closed: list[Position] = []
        self.sector_cost: dict[int, float] = {}
        self.realized = 0.0
        self.allocated = 0.0
        self.next_position_id = 1
        self.sequence = 0
        self.stop_queue: list[tuple[int, int, int, int, StopHit]] = []
        self.rows: dict[str, list[Any]] = {name: [] for name in LEDGER_SCHEMA}
        self.trace: dict[str, list[Any]] = {name: [] for name in TRACE_FIELDS}

    # ---- windows ------------------------------------------------------------------------------
    def begin_window(self, candles: StopCandles, hi: int, first_effective: dict[tuple[int, int], int]) -> None:
        """Continue the stop search of every open position over the new window's candles, up to the
        first decision of its series in the window (the queue orders hits, so the order is free)."""
        self.candles, self.window_hi = candles, hi
        for key in sorted(self.open):
            self._search(self.open[key], first_effective.get(key))

    def take_fills(self) -> tuple[pl.DataFrame, LedgerTrace]:
        """Ledger rows and trace of the fills since the last call."""
        actions = ledger_frame(self.rows)
        trace = LedgerTrace(
            **{
                name: np.array(
                    values, dtype=np.int64 if name in ("times", "position_id", "coin_id", "timeframe") else float
                )
                for name, values in self.trace.items()
            }
        )
        self.rows = {name: [] for name in LEDGER_SCHEMA}
        self.trace = {name: [] for name in TRACE_FIELDS}
        return actions, trace

    # ---- events -------------------------------------------------------------------------------
    def stops_until(self, instant: float) -> None:
        """Fire every queued stop whose candle closed at or before ``instant``."""
        while self.stop_queue and self.stop_queue[0][0] <= instant:
            at, coin_id, timeframe, position_id, hit = heapq.heappop(self.stop_queue)
            position = self.open[(coin_id, timeframe)]
            assert position.position_id == position_id
            self._fill(position, -position.units, hit.price, at, CLOSE_POSITION, hit.reason, None)

    def decide(self, key: tuple[int, int], timestamp: int, decision: str, raw_confidence: float | None,
               regime: str | None, atr: float | None, raw_price: float | None, effective: int,
               next_effective: int | None) -> None:
        """Apply one final signal (taking effect at ``effective``) to the position of its series."""
        position = self.open.get(key)
        confidence = _float_or_none(raw_confidence) or 0.0
        intent = intent_of(decision, confidence, self.settings)
        price = _float_or_none(raw_price)
        signal = (decision, timestamp, min(max(confidence, 0.0), 1.0))
        restart = False
        if price is not None and price > 0:
            if intent is Intent.TARGET:
                restart = self._to_target(key, position, confidence, regime, _float_or_none(atr), price, effective,
                                          signal)
            elif position is not None and intent is Intent.CLOSE:
                self._fill(position, -position.units, price, effective, CLOSE_POSITION, SIGNAL, signal)
            elif position is not None and intent is Intent.HALVE:
                sell = units_to_halve(position.units, position.base_units, self.settings)
                if sell > 0:
                    self._fill(position, -sell, price, effective, REDUCE_POSITION, SIGNAL, signal)
        position = self.open.get(key)
        if position is not None:
            if restart:  # new levels: search from the candle opening at the fill (closing tf later)
                position.scan_lo = effective + position.timeframe * MINUTE_US
            self._search(position, next_effective)

    # ---- sizing -------------------------------------------------------------------------------
    def _to_target(
        self,
        key: tuple[int, int],
        position: Position | None,
        confidence: float,
        regime: str | None,
        atr: float | None,
        price: float,
        effective: int,
        signal: tuple[Any, ...],
    ) -> bool:
        """Open or resize toward the sizing target; True when the stop levels were (re)set."""
        settings = self.settings
        capital = settings.starting_capital + self.realized
        own_cost = position.units * position.entry if position is not None else 0.0
        target = target_notional(
            capital=capital,
            available=capital - self.allocated + own_cost,
            confidence=confidence,
            regime=regime,
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
        self.sequence += 1
        values = (
            self.sequence, at, position.position_id, position.coin_id, position.timeframe, action, reason,
            decision, decision_time, confidence, units, price, notional, fee, gain, position.units,
            position.entry, levels[0] if levels else None, levels[1] if levels else None,
        )
        for column, value in zip(self.rows.values(), values, strict=True):
            column.append(value)
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
        for column, value in zip(self.trace.values(), trace, strict=True):
            column.append(value)

    # ---- stops --------------------------------------------------------------------------------
    def _search(self, position: Position, until: int | None) -> None:
        """Queue the first stop hit among the window's candles closing from ``position.scan_lo`` up to
        ``until`` (the series' next decision; None: the window end), else remember how far it got."""
        if position.levels is None:
            return
        series = self.candles.series((position.coin_id, position.timeframe))
        if series is not None:
            closes = series.close_time
            start = int(np.searchsorted(closes, position.scan_lo, side="left"))
            end = closes.size if until is None else int(np.searchsorted(closes, until, side="right"))
            hit = first_stop_hit(series.open, series.high, series.low, position.levels, start, end)
            if hit is not None:
                at = int(closes[hit.candle])
                heapq.heappush(self.stop_queue, (at, position.coin_id, position.timeframe, position.position_id, hit))
                return
        position.scan_lo = max(position.scan_lo, self.window_hi if until is None else until + 1)


_CANDLE_SCHEMA: dict[str, pl.DataType] = {
    "coin_id": pl.Int32(), "timeframe": pl.Int16(), "timestamp": pl.Datetime("us", "UTC"), "open": pl.Float64(),
    "high": pl.Float64(), "low": pl.Float64(), "close": pl.Float64(),
}
_NO_DECISION = "HOLD"


def _prepared(decisions: pl.DataFrame) -> pl.DataFrame:
    unknown = set(decisions.get_column("decision").drop_nulls().unique().to_list()) - LABELS
    if unknown or decisions.get_column("decision").null_count():
        raise ValueError(f"unknown final signals {sorted(unknown)} (or null); expected one of {sorted(LABELS)}")
    price = pl.col("price").cast(pl.Float64)
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
            price,
        )
        # Rows that can change nothing only continue their series' stop search (module docstring).
        .filter((pl.col("decision") != _NO_DECISION) & (price > 0) & price.is_not_nan())
        .sort("effective", "coin_id", "timeframe", "timestamp")
        .with_columns(pl.col("effective").shift(-1).over("coin_id", "timeframe").alias("next_effective"))
    )


def _sector_map(sectors: pl.DataFrame) -> dict[int, int | None]:
    rows = sectors.select(pl.col("coin_id").cast(pl.Int64), pl.col("sector_id").cast(pl.Int64)).rows()
    return {int(coin): (None if sector is None else int(sector)) for coin, sector in rows}


class Replay:
    """The simulation run window by window, in time order (see the module docstring).

    ``window(lo, hi, decisions, candles)`` takes the final signals whose effect time (bar open +
    timeframe) is in [lo, hi) and the closed candles whose close time is in [lo, hi); ``finish``
    returns the ``Simulation``, its ``replayed`` curve rebuilt from the ledger rows alone.
    """

    def __init__(self, sectors: pl.DataFrame, settings: PortfolioSettings | None = None) -> None:
        self.settings = settings or PortfolioSettings()
        self._engine = _Engine(_sector_map(sectors), self.settings)
        self._equity = EquityWindows(self.settings.starting_capital)
        self._replayed = EquityWindows(self.settings.starting_capital)
        self._tracer = LedgerTracer()
        self._ledger: list[pl.DataFrame] = []
        self._marks: dict[tuple[int, int], tuple[int, float]] = {}  # latest close of each series so far
        self.decisions = 0  # decisions that could act (HOLD and rows without a price excluded)

    def window(self, lo: int, hi: int, decisions: pl.DataFrame, candles: pl.DataFrame | StopCandles) -> None:
        """Run one window (epoch µs bounds); windows must come in time order without gaps."""
        stop_candles = candles if isinstance(candles, StopCandles) else StopCandles(candles)
        prepared = _prepared(decisions)
        self.decisions += prepared.height
        engine = self._engine
        firsts = prepared.group_by("coin_id", "timeframe").agg(pl.col("effective").min())
        engine.begin_window(stop_candles, hi, {(c, t): e for c, t, e in firsts.iter_rows()})
        columns = [prepared.get_column(c).to_list() for c in (
            "coin_id", "timeframe", "timestamp", "decision", "confidence", "regime", "atr", "price", "effective",
            "next_effective")]
        for coin, timeframe, timestamp, decision, confidence, regime, atr, price, at, next_at in zip(
                *columns, strict=True):
            engine.stops_until(at)
            engine.decide((coin, timeframe), timestamp, decision, confidence, regime, atr, price, at, next_at)
        engine.stops_until(hi - 1)  # what closes before hi comes before every later decision
        actions, trace = engine.take_fills()
        if actions.height:
            self._ledger.append(actions)
        book = MarkBook.from_series(stop_candles.closes(), self._marks)
        first, last = stop_candles.first_close, stop_candles.last_close
        self._equity.add(lo, hi, trace, book, first, last)
        self._replayed.add(lo, hi, self._tracer.extend(actions), book, first, last)
        self._marks = {**self._marks, **stop_candles.last_closes()}  # the window's newest close wins

    def finish(self) -> Simulation:
        """The run's ledger, positions, state and equity curve (plus the curve replayed from the ledger)."""
        engine = self._engine
        book = MarkBook.from_series({}, self._marks)
        equity = self._equity.finish(book)
        replayed = self._replayed.finish(book)
        actions = pl.concat(self._ledger) if self._ledger else ledger_frame({name: [] for name in LEDGER_SCHEMA})
        as_of_us = int(equity.select(epoch_us("timestamp")).to_series()[-1]) if equity.height else None
        return Simulation(
            actions,
            positions_frame([*engine.closed, *engine.open.values()], book, as_of_us),
            portfolio_state(list(engine.open.values()), equity, self.settings),
            equity,
            replayed,
        )


def simulate(
    decisions: pl.DataFrame,
    candles: pl.DataFrame,
    sectors: pl.DataFrame,
    settings: PortfolioSettings | None = None,
) -> Simulation:
    """Run the paper portfolio over ``decisions`` with stops enforced on ``candles`` (one window).

    decisions: coin_id, timeframe, timestamp (bar open, UTC), decision (final-signal label),
    confidence, regime, atr, price (that bar's close). candles: coin_id, timeframe, timestamp
    (open), open, high, low, close — closed candles only. sectors: coin_id, sector_id.
    """
    bounds = [
        frame.select(close_time_us().min().alias("lo"), close_time_us().max().alias("hi")).row(0)
        for frame in (decisions, candles) if frame.height
    ]
    lo = min((b[0] for b in bounds), default=0)
    hi = max((b[1] for b in bounds), default=0) + 1
    replay = Replay(sectors, settings)
    replay.window(lo, hi, decisions, candles)
    return replay.finish()
