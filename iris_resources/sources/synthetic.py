"""A deterministic synthetic crypto market with planted, known structure (the demo's default source).

Each coin's path is generated from ``origin`` with seeded NumPy generators, vectorised, and cached;
a candle depends only on (seed, n_coins, base_timeframe, origin, symbol, timestamp), never on the
window asked for. Planted structure (lead/lag pairs, regime phases, chart formations) is reported
by :meth:`SyntheticMarket.ground_truth` so tests can check what the analytics recover.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

from iris_resources.sources.base import CANDLE_SCHEMA, CoinSpec, SectorSpec, SourceBatch, empty_candles
from iris_resources.sources.catalog import sectors_for
from iris_resources.sources.symbols import as_utc
from iris_resources.sources.synthetic_ground_truth import SCHEDULE_MARGIN_HOURS, build_truth
from iris_resources.sources.synthetic_paths import (
    FOLLOWER_NOISE,
    CoinPath,
    Grid,
    build_candles,
    follower_returns,
    leader_returns,
    market_factor,
)
from iris_resources.sources.synthetic_schedule import formation_slots, regime_phases
from iris_resources.sources.synthetic_truth import SyntheticTruth
from iris_resources.sources.synthetic_universe import PairPlan, active_pairs, coin_profiles

DEFAULT_ORIGIN = datetime(2024, 1, 1, tzinfo=UTC)
TRUTH_HORIZON = timedelta(days=365)  # ground_truth() without an explicit end covers the first year
_BLOCK_DAYS = 30  # noise blocks and cache growth step
_MINUTE_US = 60_000_000


class SyntheticMarket:
    """A seeded market of ``n_coins`` coins on a ``base_timeframe``-minute grid starting at ``origin``.

    ``base_timeframe`` must divide 60 so that planted lags and formations sit on whole 1h candles;
    ``origin`` must be an hour boundary. Timestamps before ``origin`` have no candles.
    """

    name = "synthetic"

    def __init__(
        self, seed: int = 7, n_coins: int = 20, base_timeframe: int = 15, origin: datetime = DEFAULT_ORIGIN
    ) -> None:
        if seed < 0:
            raise ValueError(f"seed must be >= 0, got {seed}")
        if not 1 <= n_coins <= 999:
            raise ValueError(f"n_coins must be between 1 and 999, got {n_coins}")
        if base_timeframe <= 0 or 60 % base_timeframe != 0:
            raise ValueError(f"base_timeframe must divide 60 (1, 5, 15, 30 or 60), got {base_timeframe}")
        origin = as_utc(origin, "origin")
        if origin.minute or origin.second or origin.microsecond:
            raise ValueError(f"origin must be on an hour boundary, got {origin.isoformat()}")
        self.seed, self.n_coins, self.base_timeframe, self.origin = seed, n_coins, base_timeframe, origin
        hour_bars = 60 // base_timeframe
        origin_minute = int(origin.timestamp()) // 60
        self._grid = Grid(seed, base_timeframe, hour_bars, _BLOCK_DAYS * 24 * hour_bars, origin_minute)
        self._profiles = coin_profiles(seed, n_coins)
        self._index = {profile.symbol: i for i, profile in enumerate(self._profiles)}
        self._pairs = active_pairs(n_coins)
        self._pair_of_follower: dict[int, PairPlan] = {plan.follower: plan for plan in self._pairs}
        self._leaders = {plan.leader for plan in self._pairs}
        self._paths: dict[int, CoinPath] = {}
        self._market = np.empty(0)  # the common factor, generated once for the longest horizon so far
        self._lock = threading.RLock()  # fetches from several threads share one cache

    # -- CandleSource -------------------------------------------------------------------------------
    def sectors(self) -> tuple[SectorSpec, ...]:
        """The sectors the universe's coins belong to (catalogue order)."""
        return sectors_for([profile.sector for profile in self._profiles])

    def universe(self) -> tuple[CoinSpec, ...]:
        """Every coin, in catalogue order."""
        return tuple(
            CoinSpec(p.symbol, p.name, p.sector, base_timeframe=self.base_timeframe, sort_order=i)
            for i, p in enumerate(self._profiles)
        )

    def fetch(self, symbols: Sequence[str], start: datetime, end: datetime) -> SourceBatch:
        """Candles with ``start <= timestamp < end``, by symbol then time; unknown symbols give none."""
        first = self._bar_at_or_after(as_utc(start, "start"))
        stop = self._bar_at_or_after(as_utc(end, "end"))
        wanted = sorted({s for s in symbols if s in self._index})
        if stop <= first or not wanted:
            return SourceBatch(empty_candles())
        step_us = self.base_timeframe * _MINUTE_US
        origin_us = int(self.origin.timestamp()) * 1_000_000
        stamps = pl.Series("timestamp", origin_us + np.arange(first, stop, dtype=np.int64) * step_us)
        stamps = stamps.cast(CANDLE_SCHEMA["timestamp"])
        frames = []
        for symbol in wanted:
            path = self._path(self._index[symbol], stop)
            window = slice(first, stop)
            frames.append(
                pl.DataFrame(
                    {
                        "timestamp": stamps,
                        "open": path.open[window],
                        "high": path.high[window],
                        "low": path.low[window],
                        "close": path.close[window],
                        "volume": path.volume[window],
                    }
                ).with_columns(pl.lit(symbol, dtype=pl.String).alias("symbol"))
            )
        return SourceBatch(pl.concat(frames).select(list(CANDLE_SCHEMA)))

    # -- live helper and ground truth ---------------------------------------------------------------
    def latest_closed(self, now: datetime) -> datetime:
        """Open time of the newest base bar that has closed by ``now`` (may precede ``origin``)."""
        now = as_utc(now, "now")
        step = timedelta(minutes=self.base_timeframe)
        elapsed = (now - self.origin) // step  # floor division: whole bars since the origin
        return self.origin + (elapsed - 1) * step

    def ground_truth(self, until: datetime | None = None) -> SyntheticTruth:
        """Relations, regime phases (clipped to ``until``) and formations completed before ``until``.

        ``until`` defaults to one year after the origin (:data:`TRUTH_HORIZON`).
        """
        until = self.origin + TRUTH_HORIZON if until is None else as_utc(until, "until")
        return build_truth(self.seed, self.origin, self._grid.hour_bars, self._profiles, self._pairs, until)

    # -- internals ----------------------------------------------------------------------------------
    def _bar_at_or_after(self, moment: datetime) -> int:
        step_us = self.base_timeframe * _MINUTE_US
        delta_us = (moment - self.origin) // timedelta(microseconds=1)
        return max(0, -(-delta_us // step_us))

    def _path(self, index: int, needed: int) -> CoinPath:
        """The coin's path covering at least ``needed`` bars, generated or extended as required."""
        with self._lock:
            cached = self._paths.get(index)
            if cached is not None and cached.close.size >= needed:
                return cached
            grid = self._grid
            target = -(-max(needed, 1) // grid.block_bars) * grid.block_bars  # grow by whole blocks
            plan = self._pair_of_follower.get(index)
            source = index if plan is None else plan.leader
            lag = 0 if plan is None else plan.lag_hours * grid.hour_bars
            target_hours = -(-target // grid.hour_bars)
            phases = regime_phases(self.seed, source, target_hours + SCHEDULE_MARGIN_HOURS)
            # Net moves are enforced per phase, so generate up to a phase boundary (shifted by the lag).
            ends = (phase.end_hour * grid.hour_bars + lag for phase in phases)
            n_bars = next(end for end in ends if end >= target)
            profile = self._profiles[index]
            sigma_bar = profile.daily_vol * np.sqrt(grid.base_minutes / 1440.0)
            if plan is None:
                slots = formation_slots(self.seed, index, phases, n_bars // grid.hour_bars)
                if self._market.size < n_bars:
                    self._market = market_factor(grid, n_bars)
                market = self._market[:n_bars]
                returns, vol, mask = leader_returns(grid, index, profile, phases, slots, market)
                baseline = sigma_bar
            else:
                leader = self._path(plan.leader, n_bars - lag)
                returns, vol = follower_returns(grid, index, leader, phases, plan.beta, lag, n_bars)
                mask = np.zeros(n_bars, dtype=bool)
                leader_sigma = self._profiles[plan.leader].daily_vol * np.sqrt(grid.base_minutes / 1440.0)
                baseline = abs(plan.beta) * np.sqrt(1 + FOLLOWER_NOISE**2) * leader_sigma
            path = build_candles(grid, index, profile, returns, vol, mask, float(baseline))
            if index not in self._leaders:  # only followers read a path's returns: save the memory
                path = replace(path, returns=np.empty(0), vol=np.empty(0))
            self._paths[index] = path
            return path
