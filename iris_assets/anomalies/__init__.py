"""Pure anomaly engine (reference §4): twelve detectors, scoring, lifecycle and history scans.

No I/O here: inputs are NumPy arrays in small frozen dataclasses, outputs are rows and events for
the persistence layer to store in ``market_anomalies``.
"""

from iris_assets.anomalies.detectors_market_structure import (
    detect_cross_exchange_dislocation,
    detect_funding_open_interest,
    detect_liquidation_cascade,
)
from iris_assets.anomalies.detectors_sector import detect_synchronous_move
from iris_assets.anomalies.fast_path import (
    detect_compression_expansion,
    detect_correlation_breakdown,
    detect_failed_breakout,
    detect_fast_path,
    detect_price_spike,
    detect_price_volume_divergence,
    detect_relative_divergence,
    detect_volatility_regime_break,
    detect_volume_spike,
)
from iris_assets.anomalies.findings import (
    CoinHistory,
    DetectionContext,
    Explainability,
    Finding,
    ScoredFinding,
    Subject,
)
from iris_assets.anomalies.lifecycle import (
    DEFAULT_POLICY,
    Action,
    LifecycleDecision,
    LifecyclePolicy,
    OpenAnomaly,
    Reason,
    expire_stale,
)
from iris_assets.anomalies.rows import AnomalyRow, Detection, EventKind, LifecycleEvent, ScanResult, build_payload
from iris_assets.anomalies.runner import evaluate_fast_path, scan_history
from iris_assets.anomalies.scans import Trigger, escalation_triggers, scan_market_structure, scan_sector
from iris_assets.anomalies.scoring import score_finding, severity_for
from iris_assets.anomalies.series import CandleSeries, CloseSeries, VenueSeries

__all__ = [
    "DEFAULT_POLICY",
    "Action",
    "AnomalyRow",
    "CandleSeries",
    "CloseSeries",
    "CoinHistory",
    "Detection",
    "DetectionContext",
    "EventKind",
    "Explainability",
    "Finding",
    "LifecycleDecision",
    "LifecycleEvent",
    "LifecyclePolicy",
    "OpenAnomaly",
    "Reason",
    "ScanResult",
    "ScoredFinding",
    "Subject",
    "Trigger",
    "VenueSeries",
    "build_payload",
    "detect_compression_expansion",
    "detect_correlation_breakdown",
    "detect_cross_exchange_dislocation",
    "detect_failed_breakout",
    "detect_fast_path",
    "detect_funding_open_interest",
    "detect_liquidation_cascade",
    "detect_price_spike",
    "detect_price_volume_divergence",
    "detect_relative_divergence",
    "detect_synchronous_move",
    "detect_volatility_regime_break",
    "detect_volume_spike",
    "escalation_triggers",
    "evaluate_fast_path",
    "expire_stale",
    "scan_history",
    "scan_market_structure",
    "scan_sector",
    "score_finding",
    "severity_for",
]
