"""The anomaly lifecycle (reference §4.6) as a pure state machine over one (coin, timeframe, type) key.

Given the key's open anomaly (or None) and the detector's scored output at a bar (or None: the
detector did not fire), ``LifecyclePolicy.decide`` returns what to do: ``skip`` (with a reason),
``create``, ``refresh``, ``transition`` (to ``cooling`` or ``resolved``) or ``keep``. Entry and exit
thresholds are scaled by the regime (``bear_trend`` 1.05, ``high_volatility`` 1.18, else 1.0).

Deliberate improvements over the reference (its quirks, §4.6 and §7.8):

a. **Time-based expiry.** An open anomaly whose ``last_confirmed_at`` (else ``detected_at``) is older
   than the type's expiry horizon (default 4 × cooldown, configurable per type) is resolved with
   reason ``expired``, whether or not its detector still fires: ``expire_stale`` returns those
   transitions and ``LifecyclePolicy.advance`` applies them before deciding.
b. **A silent detector counts as score 0.** When the detector returns None while an anomaly is open,
   the anomaly cools, then resolves (reason ``detector_silent``). The reference ignored None, so
   anomalies of gated detectors stayed open forever.
c. **One open anomaly per key.** A ``create`` after the cooldown carries ``supersedes``: the previous
   open anomaly is resolved (reason ``superseded``) instead of being left open beside the new one.

Unchanged on purpose: confirmation gating still applies even when an anomaly is open, a refresh does
not extend ``cooldown_until``, and severity is fixed at creation (refreshes update score/confidence).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from iris_assets.anomalies.constants import (
    COOLDOWN_MINUTES,
    ENTRY_THRESHOLDS,
    EXIT_THRESHOLDS,
    REGIME_THRESHOLD_FACTORS,
    STATUS_COOLING,
    STATUS_NEW,
    STATUS_RESOLVED,
)

EXPIRY_COOLDOWNS = 4


class Action(StrEnum):
    """What the lifecycle does with a bar's detector output."""

    SKIP = "skip"
    CREATE = "create"
    REFRESH = "refresh"
    TRANSITION = "transition"
    KEEP = "keep"


class Reason(StrEnum):
    """Why a bar was skipped or an anomaly changed status."""

    NO_FINDING = "no_finding"
    AWAITING_CONFIRMATION = "awaiting_confirmation"
    BELOW_ENTRY = "below_entry_threshold"
    BELOW_EXIT = "below_exit_threshold"
    DETECTOR_SILENT = "detector_silent"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"


@dataclass(frozen=True, slots=True)
class OpenAnomaly:
    """The lifecycle-relevant state of one open (``new``/``active``/``cooling``) anomaly."""

    symbol: str
    timeframe: int
    anomaly_type: str
    status: str
    detected_at: datetime
    cooldown_until: datetime | None
    last_confirmed_at: datetime | None = None
    anomaly_id: int | None = None  # the stored row's id, when it came from the database


class Scored(Protocol):
    """The part of a scored finding the lifecycle reads."""

    @property
    def score(self) -> float:
        """Weighted score in [0, 1]."""
        ...

    @property
    def confirmation_hits(self) -> int:
        """How much confirming evidence the detector saw."""
        ...

    @property
    def confirmation_target(self) -> int:
        """How much confirming evidence the detector requires."""
        ...


@dataclass(frozen=True, slots=True)
class LifecycleDecision:
    """The outcome for one key at one bar; ``status`` is the anomaly's status after the decision."""

    action: Action
    status: str | None = None
    reason: Reason | None = None
    cooldown_until: datetime | None = None
    resolved_at: datetime | None = None
    supersedes: OpenAnomaly | None = None
    anomaly: OpenAnomaly | None = None  # the open anomaly a refresh/transition/keep applies to


def regime_factor(market_regime: str | None) -> float:
    """Threshold multiplier of a regime label (1.0 for unknown labels and None)."""
    return REGIME_THRESHOLD_FACTORS.get(market_regime or "", 1.0)


@dataclass(frozen=True, slots=True)
class LifecyclePolicy:
    """Thresholds, cooldowns and expiry horizons per anomaly type (defaults: the reference's table)."""

    entry: Mapping[str, float] = field(default_factory=lambda: dict(ENTRY_THRESHOLDS))
    exit: Mapping[str, float] = field(default_factory=lambda: dict(EXIT_THRESHOLDS))
    cooldown_minutes: Mapping[str, int] = field(default_factory=lambda: dict(COOLDOWN_MINUTES))
    expiry_minutes: Mapping[str, int] = field(default_factory=dict)  # missing types: 4 × cooldown
    # Horizons per type, built on first use: the lifecycle asks for them on every bar it visits.
    _horizons: dict[tuple[str, str], timedelta] = field(default_factory=dict, init=False, repr=False, compare=False)

    def entry_threshold(self, anomaly_type: str, market_regime: str | None) -> float:
        """Score needed to open (or re-open) an anomaly in this regime."""
        return self.entry[anomaly_type] * regime_factor(market_regime)

    def exit_threshold(self, anomaly_type: str, market_regime: str | None) -> float:
        """Score below which an open anomaly steps towards resolution in this regime."""
        return self.exit[anomaly_type] * regime_factor(market_regime)

    def cooldown(self, anomaly_type: str) -> timedelta:
        """How long after creation a strong re-detection refreshes instead of creating."""
        horizon = self._horizons.get(("cooldown", anomaly_type))
        if horizon is None:
            horizon = self._horizons[("cooldown", anomaly_type)] = timedelta(
                minutes=self.cooldown_minutes[anomaly_type]
            )
        return horizon

    def expiry(self, anomaly_type: str) -> timedelta:
        """How long an open anomaly may go unconfirmed before it expires."""
        horizon = self._horizons.get(("expiry", anomaly_type))
        if horizon is None:
            minutes = self.expiry_minutes.get(anomaly_type, EXPIRY_COOLDOWNS * self.cooldown_minutes[anomaly_type])
            horizon = self._horizons[("expiry", anomaly_type)] = timedelta(minutes=minutes)
        return horizon

    def is_stale(self, anomaly: OpenAnomaly, now: datetime) -> bool:
        """Whether ``anomaly`` was last confirmed longer than its expiry horizon before ``now``."""
        confirmed = anomaly.last_confirmed_at or anomaly.detected_at
        return now - confirmed > self.expiry(anomaly.anomaly_type)

    def decide(
        self,
        anomaly_type: str,
        anomaly: OpenAnomaly | None,
        scored: Scored | None,
        timestamp: datetime,
        market_regime: str | None = None,
    ) -> LifecycleDecision:
        """The reference decision table, with a silent detector counting as score 0 (fix b)."""
        if scored is None:
            if anomaly is None:
                return LifecycleDecision(Action.SKIP, reason=Reason.NO_FINDING)
            return self._step_down(anomaly, timestamp, Reason.DETECTOR_SILENT)
        if scored.confirmation_hits < scored.confirmation_target:
            return LifecycleDecision(Action.SKIP, reason=Reason.AWAITING_CONFIRMATION, anomaly=anomaly)
        entry = self.entry_threshold(anomaly_type, market_regime)
        if anomaly is None:
            if scored.score < entry:
                return LifecycleDecision(Action.SKIP, reason=Reason.BELOW_ENTRY)
            return self._create(anomaly_type, timestamp)
        if scored.score < self.exit_threshold(anomaly_type, market_regime):
            return self._step_down(anomaly, timestamp, Reason.BELOW_EXIT)
        if scored.score >= entry:
            if anomaly.cooldown_until is not None and timestamp < anomaly.cooldown_until:
                return LifecycleDecision(Action.REFRESH, status=anomaly.status, anomaly=anomaly)
            return self._create(anomaly_type, timestamp, supersedes=anomaly)
        return LifecycleDecision(Action.KEEP, status=anomaly.status, anomaly=anomaly)

    def advance(
        self,
        anomaly_type: str,
        anomaly: OpenAnomaly | None,
        scored: Scored | None,
        timestamp: datetime,
        market_regime: str | None = None,
    ) -> list[LifecycleDecision]:
        """Expire a stale open anomaly first (fix a), then decide on this bar's output."""
        decisions: list[LifecycleDecision] = []
        if anomaly is not None and self.is_stale(anomaly, timestamp):
            decisions.append(self.expire(anomaly, timestamp))
            anomaly = None
        decisions.append(self.decide(anomaly_type, anomaly, scored, timestamp, market_regime))
        return decisions

    def expire(self, anomaly: OpenAnomaly, now: datetime) -> LifecycleDecision:
        """The ``expired`` resolution of ``anomaly`` at ``now``."""
        return LifecycleDecision(
            Action.TRANSITION, status=STATUS_RESOLVED, reason=Reason.EXPIRED, resolved_at=now, anomaly=anomaly
        )

    def _create(self, kind: str, timestamp: datetime, supersedes: OpenAnomaly | None = None) -> LifecycleDecision:
        return LifecycleDecision(
            Action.CREATE,
            status=STATUS_NEW,
            cooldown_until=timestamp + self.cooldown(kind),
            supersedes=supersedes,
        )

    @staticmethod
    def _step_down(anomaly: OpenAnomaly, timestamp: datetime, reason: Reason) -> LifecycleDecision:
        if anomaly.status == STATUS_COOLING:
            return LifecycleDecision(
                Action.TRANSITION, status=STATUS_RESOLVED, reason=reason, resolved_at=timestamp, anomaly=anomaly
            )
        return LifecycleDecision(Action.TRANSITION, status=STATUS_COOLING, reason=reason, anomaly=anomaly)


DEFAULT_POLICY = LifecyclePolicy()


def expire_stale(
    open_anomalies: Iterable[OpenAnomaly], now: datetime, policy: LifecyclePolicy = DEFAULT_POLICY
) -> list[LifecycleDecision]:
    """``resolved``/``expired`` transitions for every open anomaly unconfirmed for longer than its horizon."""
    return [policy.expire(anomaly, now) for anomaly in open_anomalies if policy.is_stale(anomaly, now)]
