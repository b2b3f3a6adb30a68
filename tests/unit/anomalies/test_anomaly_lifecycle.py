"""Every lifecycle path (reference §4.6) plus the three fixes: expiry, silent detector, one open anomaly per key."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

import pytest

from iris_assets.anomalies import (
    DEFAULT_POLICY,
    Action,
    Explainability,
    Finding,
    LifecycleDecision,
    LifecyclePolicy,
    OpenAnomaly,
    Reason,
    expire_stale,
    score_finding,
)
from iris_assets.anomalies.ledger import AnomalyLedger
from iris_assets.anomalies.rows import Detection, EventKind
from tests.unit.anomalies.anomaly_builders import T0

KEY = ("RNDR", 15, "price_spike")


@dataclass(frozen=True)
class Bar:
    score: float
    confirmation_hits: int = 1
    confirmation_target: int = 1


def _open(status: str = "new", *, cooldown: int = 45, confirmed: timedelta = timedelta(0)) -> OpenAnomaly:
    return OpenAnomaly(
        "RNDR",
        15,
        "price_spike",
        status,
        detected_at=T0,
        cooldown_until=T0 + timedelta(minutes=cooldown),
        last_confirmed_at=T0 + confirmed,
        anomaly_id=41,
    )


def _decide(
    anomaly: OpenAnomaly | None, bar: Bar | None, minutes: int = 15, regime: str | None = None
) -> LifecycleDecision:
    return DEFAULT_POLICY.decide("price_spike", anomaly, bar, T0 + timedelta(minutes=minutes), regime)


class TestDecide:
    def test_unconfirmed_findings_wait_even_with_a_strong_score(self) -> None:
        decision = DEFAULT_POLICY.decide("correlation_breakdown", None, Bar(0.92, 1, 2), T0)

        assert (decision.action, decision.reason) == (Action.SKIP, Reason.AWAITING_CONFIRMATION)

    def test_unconfirmed_findings_wait_even_when_an_anomaly_is_open(self) -> None:
        decision = DEFAULT_POLICY.decide("correlation_breakdown", _open(), Bar(0.05, 1, 2), T0)

        assert decision.action is Action.SKIP

    def test_a_score_at_the_entry_threshold_creates_with_a_cooldown(self) -> None:
        decision = _decide(None, Bar(0.56))

        assert decision.action is Action.CREATE
        assert decision.status == "new"
        assert decision.cooldown_until == T0 + timedelta(minutes=15 + 45)
        assert decision.supersedes is None

    def test_a_score_below_entry_without_an_open_anomaly_is_skipped(self) -> None:
        assert _decide(None, Bar(0.5599)).reason is Reason.BELOW_ENTRY

    def test_a_strong_score_within_the_cooldown_refreshes_and_keeps_the_status(self) -> None:
        decision = _decide(_open("active"), Bar(0.9), minutes=30)

        assert (decision.action, decision.status) == (Action.REFRESH, "active")

    def test_a_score_between_exit_and_entry_keeps_the_anomaly_untouched(self) -> None:
        decision = _decide(_open("active"), Bar(0.45))

        assert (decision.action, decision.status) == (Action.KEEP, "active")

    @pytest.mark.parametrize("status", ["new", "active"])
    def test_a_score_below_exit_cools_an_open_anomaly(self, status: str) -> None:
        decision = _decide(_open(status), Bar(0.10))

        assert (decision.action, decision.status, decision.reason) == (
            Action.TRANSITION,
            "cooling",
            Reason.BELOW_EXIT,
        )
        assert decision.resolved_at is None

    def test_a_score_below_exit_resolves_a_cooling_anomaly(self) -> None:
        decision = _decide(_open("cooling"), Bar(0.10), minutes=60)

        assert (decision.action, decision.status) == (Action.TRANSITION, "resolved")
        assert decision.resolved_at == T0 + timedelta(minutes=60)

    def test_a_silent_detector_counts_as_score_zero_for_an_open_anomaly(self) -> None:
        cooling = _decide(_open("new"), None)
        resolved = _decide(_open("cooling"), None)

        assert (cooling.status, cooling.reason) == ("cooling", Reason.DETECTOR_SILENT)
        assert (resolved.status, resolved.reason) == ("resolved", Reason.DETECTOR_SILENT)

    def test_a_silent_detector_without_an_open_anomaly_does_nothing(self) -> None:
        assert _decide(None, None).reason is Reason.NO_FINDING

    def test_a_strong_score_after_the_cooldown_creates_a_new_anomaly_superseding_the_old(self) -> None:
        old = _open("active")

        decision = _decide(old, Bar(0.9), minutes=45)  # cooldown_until is exclusive

        assert decision.action is Action.CREATE
        assert decision.supersedes == old


class TestRegimeFactor:
    def test_high_volatility_raises_the_entry_threshold_by_eighteen_percent(self) -> None:
        assert _decide(None, Bar(0.60), regime="bull_trend").action is Action.CREATE
        assert _decide(None, Bar(0.60), regime="high_volatility").reason is Reason.BELOW_ENTRY  # needs .6608
        assert _decide(None, Bar(0.661), regime="high_volatility").action is Action.CREATE

    def test_bear_trend_raises_both_thresholds_by_five_percent(self) -> None:
        assert DEFAULT_POLICY.entry_threshold("price_spike", "bear_trend") == pytest.approx(0.588)
        assert DEFAULT_POLICY.exit_threshold("price_spike", "bear_trend") == pytest.approx(0.357)
        assert _decide(_open("active"), Bar(0.35), regime="bear_trend").status == "cooling"
        assert _decide(_open("active"), Bar(0.35), regime=None).action is Action.KEEP

    def test_unknown_and_legacy_labels_leave_thresholds_unchanged(self) -> None:
        assert DEFAULT_POLICY.entry_threshold("price_spike", "bull_market") == 0.56
        assert DEFAULT_POLICY.exit_threshold("liquidation_cascade", None) == 0.40


class TestExpiry:
    def test_an_anomaly_unconfirmed_for_longer_than_four_cooldowns_expires(self) -> None:
        fresh = _open("active", confirmed=timedelta(minutes=30))
        stale = _open("active")
        now = T0 + timedelta(minutes=4 * 45 + 1)

        transitions = expire_stale([fresh, stale], now)

        assert [t.anomaly for t in transitions] == [stale]
        assert (transitions[0].status, transitions[0].reason, transitions[0].resolved_at) == (
            "resolved",
            Reason.EXPIRED,
            now,
        )

    def test_exactly_at_the_horizon_an_anomaly_is_not_yet_stale(self) -> None:
        assert expire_stale([_open()], T0 + timedelta(minutes=180)) == []

    def test_the_horizon_is_configurable_per_type(self) -> None:
        policy = LifecyclePolicy(expiry_minutes={"price_spike": 30})

        assert len(expire_stale([_open()], T0 + timedelta(minutes=31), policy)) == 1

    def test_advance_expires_first_and_then_may_create_afresh(self) -> None:
        decisions = DEFAULT_POLICY.advance("price_spike", _open("active"), Bar(0.9), T0 + timedelta(hours=5))

        assert [d.action for d in decisions] == [Action.TRANSITION, Action.CREATE]
        assert decisions[0].reason is Reason.EXPIRED
        assert decisions[1].supersedes is None


def _detection(score: float, minutes: int) -> Detection:
    finding = Finding(
        anomaly_type="price_spike",
        summary=f"spike scoring {score}",
        component_scores={"price": score},
        metrics={"return_15m": 0.05},
        confidence=score,
        explainability=Explainability("moved", "a lot", "itself"),
    )
    return Detection(
        scored=score_finding(finding),
        symbol="RNDR",
        timeframe=15,
        timestamp=T0 + timedelta(minutes=minutes),
        window_start=T0,
        market_regime="bull_trend",
        sector="ai",
        portfolio_relevant=False,
        source_pipeline="fast_path",
        extra_payload={"source": "fast_path"},
    )


def _feed(ledger: AnomalyLedger, minutes: int, score: float | None) -> None:
    bar = None if score is None else Bar(score)
    ledger.observe(KEY, T0 + timedelta(minutes=minutes), "bull_trend", bar, lambda: _detection(score or 0.0, minutes))


class TestLedger:
    def test_create_refresh_cool_and_resolve_leave_one_row_and_four_events(self) -> None:
        ledger = AnomalyLedger(DEFAULT_POLICY)
        for minutes, score in [(0, 0.9), (15, 0.8), (30, 0.45), (45, 0.2), (60, None)]:
            _feed(ledger, minutes, score)

        result = ledger.result()

        assert [(e.kind, e.status, e.reason) for e in result.events] == [
            (EventKind.CREATED, "new", None),
            (EventKind.REFRESHED, "new", None),
            (EventKind.TRANSITIONED, "cooling", "below_exit_threshold"),
            (EventKind.TRANSITIONED, "resolved", "detector_silent"),
        ]
        (row,) = result.rows
        assert (row.status, row.severity, row.score) == ("resolved", "critical", pytest.approx(0.2))
        assert row.last_confirmed_at == T0 + timedelta(minutes=15)
        assert row.resolved_at == T0 + timedelta(minutes=60)
        assert row.cooldown_until == T0 + timedelta(minutes=45)
        assert result.open_after == ()

    def test_a_create_after_the_cooldown_resolves_the_previous_anomaly(self) -> None:
        ledger = AnomalyLedger(DEFAULT_POLICY)
        _feed(ledger, 0, 0.9)
        _feed(ledger, 15, 0.45)
        _feed(ledger, 60, 0.9)

        result = ledger.result()

        assert [row.status for row in result.rows] == ["resolved", "new"]
        superseded = result.events[1]
        assert (superseded.kind, superseded.reason, superseded.row_index) == (EventKind.TRANSITIONED, "superseded", 0)
        assert len(result.open_after) == 1

    def test_a_stored_open_anomaly_is_continued_and_addressed_by_its_id(self) -> None:
        ledger = AnomalyLedger(DEFAULT_POLICY, [_open("active")])
        _feed(ledger, 15, None)

        (event,) = ledger.result().events

        assert (event.anomaly_id, event.row_index, event.status) == (41, None, "cooling")
        assert event.changes == {"status": "cooling", "updated_at": T0 + timedelta(minutes=15)}

    def test_a_stale_stored_anomaly_expires_before_a_new_one_is_created(self) -> None:
        ledger = AnomalyLedger(DEFAULT_POLICY, [_open("active")])
        _feed(ledger, 300, 0.9)

        result = ledger.result()

        assert [(e.kind, e.reason, e.anomaly_id) for e in result.events] == [
            (EventKind.TRANSITIONED, "expired", 41),
            (EventKind.CREATED, None, None),
        ]
        assert "score" not in result.events[0].changes  # an expiry writes no finding

    def test_of_several_stored_open_anomalies_for_one_key_the_newest_is_continued(self) -> None:
        older = replace(_open("active"), anomaly_id=7, detected_at=T0 - timedelta(minutes=30))
        ledger = AnomalyLedger(DEFAULT_POLICY, [_open("active"), older])
        _feed(ledger, 15, None)

        result = ledger.result()

        assert [event.anomaly_id for event in result.events] == [41]
        assert [anomaly.anomaly_id for anomaly in result.open_after] == [7, 41]
