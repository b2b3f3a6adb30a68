"""Escalation scans (reference §4.1 steps 2–4): the sector scan and the market-structure scan.

Both evaluate given trigger timestamps (in time order), each on contexts cut at the trigger: the
trigger coin's last 72 candles opened at or before it, its sector peers' last 72, and each venue's
last 72 snapshots. (The reference loaded the newest candles regardless of the trigger time.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from iris_assets.anomalies.constants import (
    CROSS_ASSET_SYNCHRONOUS_MOVE,
    CROSS_EXCHANGE_DISLOCATION,
    FUNDING_OPEN_INTEREST_ANOMALY,
    LIQUIDATION_CASCADE,
    MARKET_STRUCTURE_LOOKBACK,
    SECTOR_SCAN_LOOKBACK,
    SOURCE_FAST_PATH,
    SOURCE_MARKET_STRUCTURE_SCAN,
    SOURCE_SECTOR_SCAN,
)
from iris_assets.anomalies.detectors_market_structure import (
    detect_cross_exchange_dislocation,
    detect_funding_open_interest,
    detect_liquidation_cascade,
)
from iris_assets.anomalies.findings import CoinHistory, DetectionContext, Finding
from iris_assets.anomalies.ledger import AnomalyLedger
from iris_assets.anomalies.lifecycle import DEFAULT_POLICY, LifecyclePolicy, OpenAnomaly
from iris_assets.anomalies.rows import Detection, EventKind, ScanResult
from iris_assets.anomalies.scoring import score_finding
from iris_assets.anomalies.sector_evaluations import ScanBar, sector_evaluations, sector_peers
from iris_assets.anomalies.series import VenueSeries

CONTEXT_UNAVAILABLE = "context_unavailable"
MARKET_STRUCTURE_UNAVAILABLE = "market_structure_unavailable"
ESCALATING_SEVERITIES = ("high", "critical")
__all__ = ["Trigger", "escalation_triggers", "scan_market_structure", "scan_sector", "sector_peers"]
MARKET_STRUCTURE_DETECTORS: tuple[tuple[str, Callable[[DetectionContext], Finding | None]], ...] = (
    (FUNDING_OPEN_INTEREST_ANOMALY, detect_funding_open_interest),
    (CROSS_EXCHANGE_DISLOCATION, detect_cross_exchange_dislocation),
    (LIQUIDATION_CASCADE, detect_liquidation_cascade),
)


@dataclass(frozen=True, slots=True)
class Trigger:
    """A scan request: a coin and the (bar open) time of the anomaly that escalated it."""

    symbol: str
    timestamp: datetime
    trigger_anomaly_id: int | None = None


def escalation_triggers(result: ScanResult) -> list[Trigger]:
    """Fast-path creations that escalate (high/critical, not a sector move), as scan triggers.

    ``trigger_anomaly_id`` is left None: the stored row's id exists only after persistence.
    """
    return [
        Trigger(event.symbol, event.at)
        for event in result.events
        if event.kind is EventKind.CREATED
        and event.anomaly_type != CROSS_ASSET_SYNCHRONOUS_MOVE
        and event.severity in ESCALATING_SEVERITIES
        and event.changes.get("payload_json", {}).get("source_pipeline") == SOURCE_FAST_PATH
    ]


def _context(coin: CoinHistory, at: datetime, lookback: int, **extra: Any) -> DetectionContext | None:
    candles = coin.candles.until(at, lookback)
    if len(candles) == 0:
        return None
    return DetectionContext(
        symbol=coin.symbol,
        timeframe=coin.timeframe,
        timestamp=at,
        candles=candles,
        market_regime=coin.regime_at(coin.position_at(at)),
        sector=coin.sector,
        portfolio_relevant=coin.portfolio_relevant,
        **extra,
    )


def _observe(
    ledger: AnomalyLedger,
    bar: ScanBar,
    anomaly_type: str,
    finding: Finding | None,
    source: str,
    trigger: Trigger,
) -> None:
    scored = score_finding(finding) if finding is not None else None

    def detection() -> Detection:
        """The full detection, built only if the lifecycle writes it."""
        assert scored is not None
        return Detection(
            scored=scored,
            symbol=bar.symbol,
            timeframe=bar.timeframe,
            timestamp=bar.timestamp,
            window_start=bar.window_start,
            market_regime=bar.market_regime,
            sector=bar.sector,
            portfolio_relevant=bar.portfolio_relevant,
            source_pipeline=source,
            extra_payload={"trigger_anomaly_id": trigger.trigger_anomaly_id},
        )

    key = (bar.symbol, bar.timeframe, anomaly_type)
    ledger.observe(key, bar.timestamp, bar.market_regime, scored, detection)


def scan_sector(
    coins: Sequence[CoinHistory],
    triggers: Sequence[Trigger],
    *,
    open_anomalies: Sequence[OpenAnomaly] = (),
    policy: LifecyclePolicy = DEFAULT_POLICY,
    lookback: int = SECTOR_SCAN_LOOKBACK,
) -> ScanResult:
    """``cross_asset_synchronous_move`` for each trigger coin against its sector peers among ``coins``.

    The detector runs for all of a coin's triggers at once (each on its own cut contexts); the
    lifecycle then walks every trigger in time order.
    """
    by_symbol = {coin.symbol: coin for coin in coins}
    ordered = sorted(triggers, key=lambda t: t.timestamp)
    per_coin: dict[str, list[int]] = {}
    for index, trigger in enumerate(ordered):
        if trigger.symbol in by_symbol:
            per_coin.setdefault(trigger.symbol, []).append(index)
    evaluations: list[tuple[ScanBar, Finding | None] | None] = [None] * len(ordered)
    for symbol, indices in per_coin.items():
        found = sector_evaluations(coins, by_symbol[symbol], [ordered[i].timestamp for i in indices], lookback)
        for index, evaluation in zip(indices, found, strict=True):
            evaluations[index] = evaluation
    ledger = AnomalyLedger(policy, open_anomalies)
    skipped: list[tuple[datetime, str]] = []
    for trigger, evaluation in zip(ordered, evaluations, strict=True):
        if evaluation is None:
            skipped.append((trigger.timestamp, CONTEXT_UNAVAILABLE))
            continue
        bar, finding = evaluation
        _observe(ledger, bar, CROSS_ASSET_SYNCHRONOUS_MOVE, finding, SOURCE_SECTOR_SCAN, trigger)
    return ledger.result(skipped, evaluations=len(triggers) - len(skipped))


def scan_market_structure(
    coin: CoinHistory,
    venues: Mapping[str, VenueSeries],
    triggers: Sequence[Trigger],
    *,
    open_anomalies: Sequence[OpenAnomaly] = (),
    policy: LifecyclePolicy = DEFAULT_POLICY,
    lookback: int = MARKET_STRUCTURE_LOOKBACK,
) -> ScanResult:
    """Funding/OI, dislocation and liquidation detectors for each trigger, on the venues' snapshots."""
    ledger = AnomalyLedger(policy, open_anomalies)
    skipped: list[tuple[datetime, str]] = []
    for trigger in sorted(triggers, key=lambda t: t.timestamp):
        windows = {name: series.until(trigger.timestamp, lookback) for name, series in venues.items()}
        present = {name: series for name, series in windows.items() if series.timestamps.shape[0] > 0}
        context = _context(coin, trigger.timestamp, lookback, venues=present) if trigger.symbol == coin.symbol else None
        if context is None:
            skipped.append((trigger.timestamp, CONTEXT_UNAVAILABLE))
            continue
        if not present:
            skipped.append((trigger.timestamp, MARKET_STRUCTURE_UNAVAILABLE))
            continue
        bar = ScanBar.of(context)
        for anomaly_type, detector in MARKET_STRUCTURE_DETECTORS:
            _observe(ledger, bar, anomaly_type, detector(context), SOURCE_MARKET_STRUCTURE_SCAN, trigger)
    return ledger.result(skipped, evaluations=len(triggers) - len(skipped))
