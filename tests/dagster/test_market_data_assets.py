"""Market data assets materialized in-process against a real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import dagster as dg
import polars as pl
from polars.testing import assert_frame_equal
from sqlalchemy import Engine, text

from iris_assets.definitions import defs
from iris_assets.market_data.assets.aggregates import candle_aggregates
from iris_assets.market_data.assets.candles import candles
from iris_assets.market_data.assets.universe import coins
from iris_resources.db.resources import TransactionResource
from iris_resources.market_data.queries import MarketDataQueries
from iris_resources.sources.resource import CandleSourceResource

DAY = "2024-03-05"
ALL = [coins, candles, candle_aggregates]


def _run(instance: dg.DagsterInstance, resources: dict[str, Any], *, partition: str | None = None,
         partition_range: tuple[str, str] | None = None, symbols: list[str] | None = None,
         selection: list[dg.AssetsDefinition] | None = None) -> dg.ExecuteInProcessResult:
    selection = selection or ALL
    if any(a.partitions_def is None for a in selection):
        dg.materialize([coins], resources=resources, instance=instance)
        selection = [a for a in selection if a.partitions_def is not None]
    tags = {}
    if partition_range:
        tags = {"dagster/asset_partition_range_start": partition_range[0],
                "dagster/asset_partition_range_end": partition_range[1]}
    config = {"ops": {a.key.to_user_string(): {"config": {"symbols": symbols or []}} for a in selection}}
    return dg.materialize(selection, resources=resources, instance=instance, partition_key=partition,
                          tags=tags, run_config=config)


def _table(engine: Engine, name: str) -> pl.DataFrame:
    with engine.connect() as connection:
        rows = connection.execute(text(f"SELECT * FROM {name} ORDER BY 1, 2, 3")).all()
    return pl.DataFrame([tuple(r) for r in rows], orient="row")


def test_definitions_load_with_partitions_backfill_policy_and_checks() -> None:
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {"coins", "candles", "candle_aggregates"} <= keys
    candles_node = graph.get(dg.AssetKey("candles"))
    assert candles_node.partitions_def is not None
    assert candles_node.backfill_policy is not None and candles_node.backfill_policy.max_partitions_per_run == 31
    check_names = {key.name for key in graph.asset_check_keys if key.asset_key == dg.AssetKey("candles")}
    assert check_names == {"ohlc_integrity", "no_duplicates", "gaps"}


def test_one_day_loads_every_coin_and_its_aggregates_with_checks_passing(
    instance: dg.DagsterInstance, resources: dict[str, Any], engine: Engine
) -> None:
    result = _run(instance, resources, partition=DAY)
    assert result.success
    metadata = result.asset_materializations_for_node("candles")[0].metadata
    assert metadata["dagster/row_count"].value == 6 * 96
    assert metadata["symbols"].value == 6
    assert metadata["rejected"].value == 0
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {"ohlc_integrity": True, "no_duplicates": True, "gaps": True}
    counts = dict(_table(engine, "candle_aggregates").group_by("column_1").len().rows())
    assert counts == {60: 6 * 24, 240: 6 * 6, 1440: 6}


def test_rerunning_a_partition_writes_identical_rows(
    instance: dg.DagsterInstance, resources: dict[str, Any], engine: Engine
) -> None:
    _run(instance, resources, partition=DAY)
    first = (_table(engine, "candles"), _table(engine, "candle_aggregates").drop("column_9"))
    result = _run(instance, resources, partition=DAY)
    assert result.asset_materializations_for_node("candles")[0].metadata["written"].value == 0
    assert_frame_equal(_table(engine, "candles"), first[0])
    assert_frame_equal(_table(engine, "candle_aggregates").drop("column_9"), first[1])


def test_a_partition_range_runs_as_one_run_and_equals_day_by_day(
    instance: dg.DagsterInstance, resources: dict[str, Any], database_url: str, engine: Engine,
    transaction: TransactionResource,
) -> None:
    result = _run(instance, resources, partition_range=("2024-03-05", "2024-03-07"))
    assert result.success
    assert result.asset_materializations_for_node("candles")[0].metadata["dagster/row_count"].value == 6 * 96 * 3
    with transaction.begin() as uow:
        whole = MarketDataQueries(uow.connection).candles_frame(
            list(range(1, 7)), 60, datetime(2024, 3, 5, tzinfo=UTC), datetime(2024, 3, 8, tzinfo=UTC))
        uow.connection.execute(text("TRUNCATE candles, candle_aggregates"))
        uow.commit()
    for day in ("2024-03-05", "2024-03-06", "2024-03-07"):
        _run(instance, resources, partition=day, selection=[candles, candle_aggregates])
    with transaction.begin() as uow:
        daily = MarketDataQueries(uow.connection).candles_frame(
            list(range(1, 7)), 60, datetime(2024, 3, 5, tzinfo=UTC), datetime(2024, 3, 8, tzinfo=UTC))
    assert whole.height == 6 * 24 * 3
    assert_frame_equal(whole, daily)


def test_run_config_scopes_a_run_to_some_symbols(
    instance: dg.DagsterInstance, resources: dict[str, Any], engine: Engine
) -> None:
    dg.materialize([coins], resources=resources, instance=instance)
    with engine.connect() as connection:
        names = [r[0] for r in connection.execute(text("SELECT symbol FROM coins ORDER BY sort_order, symbol LIMIT 2"))]
    result = _run(instance, resources, partition=DAY, symbols=names, selection=[candles])
    assert result.success and len(names) == 2
    with engine.connect() as connection:
        stored = connection.execute(text(
            "SELECT DISTINCT c.symbol FROM candles JOIN coins c ON c.id = candles.coin_id ORDER BY 1")).scalars().all()
    assert stored == sorted(names)


def test_bad_rows_from_a_file_are_quarantined_and_gaps_warn(
    instance: dg.DagsterInstance, resources: dict[str, Any], engine: Engine, tmp_path: Any
) -> None:
    lines = ["timestamp,open,high,low,close,volume"]
    for i in range(96):
        if i == 10:
            continue  # a missing bar: a gap
        hour, minute = divmod(i * 15, 60)
        price = 100 + i * 0.1
        high = price + 1 if i != 20 else price - 5  # row 20: high below low
        lines.append(f"2024-03-05T{hour:02d}:{minute:02d}:00Z,{price},{high},{price - 1},{price + 0.5},{i}")
    path = tmp_path / "TESTUSD-15m.csv"
    path.write_text("\n".join(lines) + "\n")
    file_resources = {**resources, "candle_source": CandleSourceResource(spec=f"file:{path}")}
    result = _run(instance, file_resources, partition=DAY)
    metadata = result.asset_materializations_for_node("candles")[0].metadata
    assert metadata["rejected"].value == 1 and metadata["accepted"].value == 94
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["gaps"].passed is False and checks["gaps"].severity == dg.AssetCheckSeverity.WARN
    # the missing bar and the quarantined bar both leave a hole: nothing is filled silently
    assert checks["gaps"].metadata["missing_bars"].value == 2
    with engine.connect() as connection:
        reasons = connection.execute(text("SELECT reason FROM candle_rejects")).scalars().all()
    assert reasons == ["high_below_low"]


def test_the_code_location_has_its_sensors_schedules_and_jobs() -> None:
    assert defs.resolve_job_def("prediction_evaluation_job") is not None
    schedule = defs.resolve_schedule_def("prediction_evaluation_schedule")
    assert schedule.cron_schedule == "*/15 * * * *"
    assert defs.resolve_sensor_def("outbox_relay_sensor").minimum_interval_seconds == 15
