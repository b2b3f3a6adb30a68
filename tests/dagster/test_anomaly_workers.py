"""market_anomalies scanned in worker processes stores exactly what the inline scan stores."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dagster as dg
from sqlalchemy import Engine, text

from iris_assets.definitions import ALL_ASSETS

BY_NAME = {key.to_user_string(): a for a in ALL_ASSETS for key in a.keys}
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
# Two ranges: the second continues the lifecycle of anomalies the first left open.
FIRST = {"dagster/asset_partition_range_start": "2024-02-01", "dagster/asset_partition_range_end": "2024-02-04"}
SECOND = {"dagster/asset_partition_range_start": "2024-02-05", "dagster/asset_partition_range_end": "2024-02-08"}


def _stored(engine: Engine) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with engine.connect() as connection:
        anomalies = connection.execute(text(
            "SELECT coin_id, symbol, timeframe, anomaly_type, severity, round(confidence::numeric, 12), "
            "round(score::numeric, 12), status, detected_at, window_start, window_end, market_regime, sector, "
            "summary, payload_json::text, cooldown_until, last_confirmed_at, resolved_at, source_pipeline "
            "FROM market_anomalies ORDER BY coin_id, anomaly_type, detected_at")).all()
        steps = connection.execute(text(
            "SELECT a.coin_id, a.anomaly_type, a.detected_at, t.at, t.action, t.status, "
            "round(t.score::numeric, 12), t.reason, t.changes::text, t.before::text "
            "FROM anomaly_transitions t JOIN market_anomalies a ON a.id = t.anomaly_id "
            "ORDER BY 1, 2, 3, 4, 5")).all()
    return [tuple(r) for r in anomalies], [tuple(r) for r in steps]


def _scan(instance: dg.DagsterInstance, resources: dict[str, Any]) -> None:
    for tags in (FIRST, SECOND):
        assert dg.materialize([BY_NAME["market_anomalies"]], resources=resources, instance=instance,
                              run_config=QUIET, tags=tags).success


def test_worker_processes_store_the_same_anomalies_and_steps_as_inline(
    instance: dg.DagsterInstance, resources: dict[str, Any], engine: Engine,
    worker_processes: Callable[[int], list[int]],
) -> None:
    dg.materialize([BY_NAME["coins"]], resources=resources, instance=instance, run_config=QUIET)
    dg.materialize([BY_NAME[n] for n in ("candles", "candle_aggregates", "indicators")], resources=resources,
                   instance=instance, run_config=QUIET, tags={**SECOND, **{
                       "dagster/asset_partition_range_start": "2024-01-28"}})
    worker_processes(1)
    _scan(instance, resources)
    inline = _stored(engine)
    assert inline[0] and inline[1], "the synthetic month must produce anomalies and lifecycle steps"
    assert any(row[7] != "active" for row in inline[0]), "some anomaly must have moved on in its lifecycle"
    # Detectors that compare a coin with the benchmark (which workers receive separately) fired too.
    kinds = {row[3] for row in inline[0]}
    assert {"relative_divergence", "correlation_breakdown"} & kinds, kinds
    with engine.begin() as connection:
        connection.execute(text("TRUNCATE market_anomalies, anomaly_transitions"))

    started = worker_processes(2)
    _scan(instance, resources)
    assert started == [2, 2]
    assert _stored(engine) == inline
