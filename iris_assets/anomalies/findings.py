"""What a detector sees (``DetectionContext``) and what it reports (``Finding``), as frozen dataclasses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np

from iris_assets.anomalies.constants import SCOPE_ASSET
from iris_assets.anomalies.series import CandleSeries, PriceSeries, VenueSeries, as_time, to_datetime


@dataclass(frozen=True, slots=True)
class DetectionContext:
    """Everything one evaluation of one coin at one closed candle may look at.

    ``candles`` is the lookback window ending at ``timestamp`` (build it with ``CandleSeries.until``);
    detectors never read a candle opened after ``timestamp``. Benchmark and peers are joined to the
    coin on candle open time, so their own lengths do not matter.
    """

    symbol: str
    timeframe: int
    timestamp: datetime
    candles: CandleSeries
    market_regime: str | None = None
    sector: str | None = None
    portfolio_relevant: bool = False
    benchmark: PriceSeries | None = None
    benchmark_symbol: str = "BTCUSD"
    sector_peers: Mapping[str, PriceSeries] = field(default_factory=dict)
    related_peers: Mapping[str, PriceSeries] = field(default_factory=dict)
    venues: Mapping[str, VenueSeries] = field(default_factory=dict)

    @property
    def window_start(self) -> datetime | None:
        """Open time of the first candle in the window (the row's ``window_start``)."""
        return to_datetime(self.candles.timestamps[0]) if len(self.candles) else None

    @property
    def subject(self) -> Subject:
        """The naming facts the explainability texts need."""
        return Subject(self.symbol, self.timeframe, self.sector, self.benchmark_symbol, bool(self.sector_peers))

    def bounded(self) -> DetectionContext:
        """The same context with every series cut at ``timestamp`` (the guard against look-ahead)."""
        cut = as_time(self.timestamp)
        series: list[CandleSeries | PriceSeries | VenueSeries] = [
            self.candles,
            *self.sector_peers.values(),
            *self.related_peers.values(),
            *self.venues.values(),
        ]
        if self.benchmark is not None:
            series.append(self.benchmark)
        if not any(item.timestamps.shape[0] and item.timestamps[-1] > cut for item in series):
            return self
        benchmark = None if self.benchmark is None else self.benchmark.until(cut, len(self.benchmark.timestamps))
        return replace(
            self,
            candles=self.candles.until(cut, len(self.candles)),
            benchmark=benchmark,
            sector_peers={name: peer.until(cut, len(peer.timestamps)) for name, peer in self.sector_peers.items()},
            related_peers={name: peer.until(cut, len(peer.timestamps)) for name, peer in self.related_peers.items()},
            venues={name: venue.until(cut, len(venue.timestamps)) for name, venue in self.venues.items()},
        )


@dataclass(frozen=True, slots=True)
class Subject:
    """Names used in summaries: the coin, its timeframe, sector and benchmark."""

    symbol: str
    timeframe: int
    sector: str | None = None
    benchmark_symbol: str = "BTCUSD"
    has_sector_peers: bool = False


@dataclass(frozen=True, slots=True)
class Explainability:
    """Human-readable reasons stored under ``payload_json.explainability`` (reference §4.4, §4.7)."""

    what_happened: str
    unusualness: str
    relative_to: str
    relative_to_btc: str | None = None
    market_wide: bool = False


@dataclass(frozen=True, slots=True)
class Finding:
    """One detector's verdict at one bar: component scores in [0, 1], raw metrics and texts.

    ``confirmation_hits < confirmation_target`` keeps the lifecycle waiting (``awaiting_confirmation``).
    """

    anomaly_type: str
    summary: str
    component_scores: Mapping[str, float]
    metrics: Mapping[str, float]
    confidence: float
    explainability: Explainability
    confirmation_hits: int = 1
    confirmation_target: int = 1
    scope: str = SCOPE_ASSET
    isolated: bool = True
    affected_symbols: tuple[str, ...] = ()

    @property
    def requires_confirmation(self) -> bool:
        """Whether this detector gates on repeated evidence (target above one)."""
        return self.confirmation_target > 1


@dataclass(frozen=True, slots=True)
class ScoredFinding:
    """A finding with its weighted score, severity band and final confidence (reference §4.5)."""

    finding: Finding
    score: float
    severity: str
    confidence: float

    @property
    def anomaly_type(self) -> str:
        """The finding's anomaly type."""
        return self.finding.anomaly_type

    @property
    def confirmation_hits(self) -> int:
        """The finding's confirmation hits (read by the lifecycle)."""
        return self.finding.confirmation_hits

    @property
    def confirmation_target(self) -> int:
        """The finding's confirmation target (read by the lifecycle)."""
        return self.finding.confirmation_target


@dataclass(frozen=True, slots=True)
class CoinHistory:
    """A coin's candle history plus the descriptive facts the scans copy into rows.

    ``regimes`` optionally gives the market regime per candle (it overrides ``market_regime``), so a
    backfill can apply the regime that was current at each bar.
    """

    symbol: str
    timeframe: int
    candles: CandleSeries
    sector: str | None = None
    market_regime: str | None = None
    regimes: tuple[str | None, ...] | None = None
    portfolio_relevant: bool = False
    sort_order: int = 0

    def __post_init__(self) -> None:
        if self.regimes is not None and len(self.regimes) != len(self.candles):
            raise ValueError("regimes must give one label per candle")

    def regime_at(self, position: int) -> str | None:
        """The regime in force at candle ``position``."""
        if self.regimes is None or position < 0:
            return self.market_regime
        return self.regimes[position]

    def position_at(self, timestamp: datetime) -> int:
        """Position of the last candle opened at or before ``timestamp`` (−1 if none)."""
        return int(np.searchsorted(self.candles.timestamps, as_time(timestamp), side="right")) - 1
