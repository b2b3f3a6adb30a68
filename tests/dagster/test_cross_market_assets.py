"""Cross-market and prediction assets end to end on the synthetic market (real PostgreSQL)."""

from __future__ import annotations

from typing import Any

import dagster as dg
import pytest
from sqlalchemy import Engine, text

from iris_assets.definitions import ALL_ASSETS
from iris_resources.sources.resource import CandleSourceResource
from iris_resources.sources.synthetic import SyntheticMarket

BY_NAME = {key.to_user_string(): a for a in ALL_ASSETS for key in a.keys}
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
PIPELINE = ("candles", "candle_aggregates", "indicators", "coin_relations", "market_leaders", "market_predictions")


@pytest.fixture
def market_resources(resources: dict[str, Any]) -> dict[str, Any]:
    return {**resources, "candle_source": CandleSourceResource(spec="synthetic", seed=7, n_coins=12)}


def _run(instance: dg.DagsterInstance, resources: dict[str, Any], first: str, last: str) -> dg.ExecuteInProcessResult:
    dg.materialize([BY_NAME["coins"]], resources=resources, instance=instance, run_config=QUIET)
    return dg.materialize([BY_NAME[a] for a in PIPELINE], resources=resources, instance=instance, run_config=QUIET,
                          tags={"dagster/asset_partition_range_start": first,
                                "dagster/asset_partition_range_end": last})


def test_planted_leaders_are_found_with_their_lag_and_sign_and_no_other_pair_is_active(
    instance: dg.DagsterInstance, market_resources: dict[str, Any], engine: Engine
) -> None:
    result = _run(instance, market_resources, "2024-01-25", "2024-02-05")
    assert result.success
    assert {e.check_name: e.passed for e in result.get_asset_check_evaluations()}["correlation_bounds"]
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT l.symbol, f.symbol, r.lag_hours, r.correlation FROM coin_relations r "
            "JOIN coins l ON l.id = r.leader_coin_id JOIN coins f ON f.id = r.follower_coin_id "
            "WHERE r.as_of = (SELECT max(as_of) FROM coin_relations) AND r.active")).all()
    found = {(leader, follower): (lag, corr) for leader, follower, lag, corr in rows}
    truth = SyntheticMarket(seed=7, n_coins=12).ground_truth().relations
    assert {(r.leader, r.follower) for r in truth} == set(found)
    for relation in truth:
        lag, correlation = found[(relation.leader, relation.follower)]
        assert lag == relation.lag_minutes / 60
        assert (correlation > 0) == (relation.sign > 0)


def test_predictions_are_created_evaluated_and_scored_without_pending_leftovers(
    instance: dg.DagsterInstance, market_resources: dict[str, Any], engine: Engine
) -> None:
    _run(instance, market_resources, "2024-01-20", "2024-02-10")
    outcome = dg.materialize([BY_NAME["prediction_outcomes"], BY_NAME["prediction_quality"]],
                             resources=market_resources, instance=instance, run_config=QUIET)
    assert {e.check_name: e.passed for e in outcome.get_asset_check_evaluations()} == {
        "none_pending_past_deadline": True}
    with engine.connect() as connection:
        statuses = dict(connection.execute(text(
            "SELECT status, count(*) FROM market_predictions GROUP BY status")).all())
        early = connection.execute(text(
            "SELECT count(*) FROM market_predictions WHERE decided_candle < created_at")).scalar_one()
        ledger = connection.execute(text("SELECT count(*) FROM relation_feedback")).scalar_one()
        quality = connection.execute(text(
            "SELECT payload FROM projections WHERE name = 'prediction_quality'")).scalar_one()
        events = dict(connection.execute(text(
            "SELECT event_type, count(*) FROM event_outbox WHERE event_type LIKE 'prediction_%' "
            "GROUP BY 1")).all())
    decided = sum(v for k, v in statuses.items() if k != "pending")
    assert decided > 0 and early == 0  # only candles after creation decide a prediction
    assert ledger == statuses.get("confirmed", 0) + statuses.get("failed", 0)
    assert quality["overall"][0]["predictions"] == decided
    assert sum(events.values()) == decided
    # Re-running the evaluation changes nothing: decided predictions stay decided, the ledger is not doubled.
    dg.materialize([BY_NAME["prediction_outcomes"]], resources=market_resources, instance=instance,
                   run_config=QUIET)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM relation_feedback")).scalar_one() == ledger
