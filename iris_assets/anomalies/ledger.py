"""Applies lifecycle decisions to rows and records the events: the mutable heart of every scan.

Keys are ``(symbol, timeframe, anomaly_type)``; each holds at most one open anomaly. The ledger
may be fed key by key (the history scan walks each detector through time) or bar by bar; ``result``
puts rows and events in chronological order either way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from iris_assets.anomalies.constants import (
    CROSS_ASSET_SYNCHRONOUS_MOVE,
    FAST_PATH_TYPES,
    MARKET_STRUCTURE_TYPES,
    STATUS_RESOLVED,
)
from iris_assets.anomalies.lifecycle import Action, LifecycleDecision, LifecyclePolicy, OpenAnomaly, Reason, Scored
from iris_assets.anomalies.rows import (
    AnomalyRow,
    Detection,
    EventKind,
    LifecycleEvent,
    ScanResult,
    build_payload,
    create_row,
)

Key = tuple[str, int, str]
_ALL_TYPES = (*FAST_PATH_TYPES, CROSS_ASSET_SYNCHRONOUS_MOVE, *MARKET_STRUCTURE_TYPES)
_TYPE_RANK = {name: rank for rank, name in enumerate(_ALL_TYPES)}


@dataclass(slots=True)
class _Slot:
    state: OpenAnomaly
    row_index: int | None
    severity: str | None
    score: float | None


class AnomalyLedger:
    """Open anomalies per key plus everything written so far."""

    def __init__(self, policy: LifecyclePolicy, open_anomalies: Iterable[OpenAnomaly] = ()) -> None:
        self._policy = policy
        self._open: dict[Key, _Slot] = {}
        # Rows stored by the reference may hold several open anomalies per key: the newest one is
        # continued (as the reference's "latest open" read), older ones are left to ``expire_stale``.
        self._untouched: list[OpenAnomaly] = []
        for anomaly in sorted(open_anomalies, key=lambda a: a.detected_at):
            key = (anomaly.symbol, anomaly.timeframe, anomaly.anomaly_type)
            if key in self._open:
                self._untouched.append(self._open[key].state)
            self._open[key] = _Slot(anomaly, None, None, None)
        self._rows: list[AnomalyRow] = []
        self._row_changes: dict[int, dict[str, Any]] = {}  # merged into the rows once, in ``result``
        self._events: list[tuple[Any, ...]] = []  # LifecycleEvent fields; built once row order is final

    def is_open(self, key: Key) -> bool:
        """Whether ``key`` has an open anomaly."""
        return key in self._open

    def observe(
        self,
        key: Key,
        timestamp: datetime,
        market_regime: str | None,
        scored: Scored | None,
        detection: Callable[[], Detection] | None,
    ) -> None:
        """Run the lifecycle for ``key`` at ``timestamp`` and apply its decisions.

        ``detection`` builds the full scored finding lazily: only creates, refreshes and transitions
        with a finding need texts and payloads.
        """
        slot = self._open.get(key)
        state = slot.state if slot else None
        found = detection if scored is not None else None
        # ``LifecyclePolicy.advance`` inlined (this runs on every bar the scans visit).
        policy = self._policy
        if state is not None and policy.is_stale(state, timestamp):
            self._apply(key, policy.expire(state, timestamp), timestamp, found)
            state = None
        self._apply(key, policy.decide(key[2], state, scored, timestamp, market_regime), timestamp, found)

    def _apply(
        self, key: Key, decision: LifecycleDecision, at: datetime, detection: Callable[[], Detection] | None
    ) -> None:
        if decision.action in (Action.SKIP, Action.KEEP):
            return
        if decision.action is Action.CREATE:
            if decision.supersedes is not None:
                superseded = LifecycleDecision(
                    Action.TRANSITION, STATUS_RESOLVED, Reason.SUPERSEDED, resolved_at=at, anomaly=decision.supersedes
                )
                self._transition(key, superseded, at, None)
            assert detection is not None, "a create always has a finding"
            self._create(key, decision, detection())
        elif decision.action is Action.REFRESH:
            assert detection is not None, "a refresh always has a finding"
            self._refresh(key, detection(), at)
        else:
            # An expiry is about the stored anomaly's age, not this bar's finding: it writes no finding.
            fresh = detection is not None and decision.reason is not Reason.EXPIRED
            self._transition(key, decision, at, detection() if fresh and detection is not None else None)

    def _create(self, key: Key, decision: LifecycleDecision, detection: Detection) -> None:
        row = create_row(detection, decision.cooldown_until, decision.status or "new")
        self._rows.append(row)
        index = len(self._rows) - 1
        self._open[key] = _Slot(row.as_open(), index, row.severity, row.score)
        self._record(EventKind.CREATED, key, row.detected_at, row.status, None, None, index, row.record())

    def _refresh(self, key: Key, detection: Detection, at: datetime) -> None:
        slot = self._open[key]
        scored = detection.scored
        changes: dict[str, Any] = {
            "score": scored.score,
            "confidence": scored.confidence,
            "summary": scored.finding.summary,
            "payload_json": build_payload(detection),
            "last_confirmed_at": at,
            "updated_at": at,
        }
        state = slot.state
        slot.state = OpenAnomaly(state.symbol, state.timeframe, state.anomaly_type, state.status, state.detected_at,
                                 state.cooldown_until, at, state.anomaly_id)
        slot.score = scored.score
        self._update_row(slot, changes)
        self._record(
            EventKind.REFRESHED, key, at, slot.state.status, slot.state.status, None, slot.row_index, changes, slot
        )

    def _transition(self, key: Key, decision: LifecycleDecision, at: datetime, detection: Detection | None) -> None:
        slot = self._open[key]
        previous = slot.state.status
        status = decision.status or previous
        changes: dict[str, Any] = {"status": status, "updated_at": at}
        if decision.resolved_at is not None:
            changes["resolved_at"] = decision.resolved_at
        if detection is not None:
            # As the reference: a transition driven by a weak finding also stores that finding.
            scored = detection.scored
            changes.update(
                score=scored.score,
                confidence=scored.confidence,
                summary=scored.finding.summary,
                payload_json=build_payload(detection),
            )
            slot.score = scored.score
        self._update_row(slot, changes)
        reason = decision.reason.value if decision.reason else None
        self._record(EventKind.TRANSITIONED, key, at, status, previous, reason, slot.row_index, changes, slot)
        if status == STATUS_RESOLVED:
            del self._open[key]
        else:
            state = slot.state
            slot.state = OpenAnomaly(state.symbol, state.timeframe, state.anomaly_type, status, state.detected_at,
                                     state.cooldown_until, state.last_confirmed_at, state.anomaly_id)

    def _update_row(self, slot: _Slot, changes: dict[str, Any]) -> None:
        if slot.row_index is None:
            return
        pending = self._row_changes.setdefault(slot.row_index, {})
        pending.update({("payload" if name == "payload_json" else name): value for name, value in changes.items()})

    def _record(
        self,
        kind: EventKind,
        key: Key,
        at: datetime,
        status: str,
        previous: str | None,
        reason: str | None,
        row_index: int | None,
        changes: dict[str, Any],
        slot: _Slot | None = None,
    ) -> None:
        current = slot or self._open[key]
        # LifecycleEvent's fields in order (row_index is remapped in ``result``), plus the sort rank.
        self._events.append((
            kind, at, key[0], key[1], key[2], status, previous, reason, row_index, current.state.anomaly_id,
            current.severity, current.score, changes,
        ))

    def result(self, skipped: Iterable[tuple[datetime, str]] = (), evaluations: int = 0) -> ScanResult:
        """Rows and events in time order (then detector order), with event row indices remapped."""
        changes = self._row_changes
        rows = [replace(row, **changes[i]) if i in changes else row for i, row in enumerate(self._rows)]
        order = sorted(range(len(rows)), key=lambda i: (rows[i].detected_at, _rank(rows[i]), i))
        new_index = {old: new for new, old in enumerate(order)}
        ranked = sorted(
            enumerate(self._events),
            key=lambda item: (item[1][1], _TYPE_RANK.get(item[1][4], 99), item[0]),
        )
        events = []
        for _, (kind, at, symbol, timeframe, kind_name, status, previous, reason, index, stored_id, severity, score,
                changed) in ranked:
            events.append(LifecycleEvent(kind, at, symbol, timeframe, kind_name, status, previous, reason,
                                         None if index is None else new_index[index], stored_id, severity, score,
                                         changed))
        return ScanResult(
            rows=tuple(rows[i] for i in order),
            events=tuple(events),
            open_after=(*self._untouched, *(slot.state for slot in self._open.values())),
            skipped=tuple(skipped),
            evaluations=evaluations,
        )


def _rank(row: AnomalyRow) -> int:
    return _TYPE_RANK.get(row.anomaly_type, 99)
