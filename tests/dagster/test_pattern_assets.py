"""Pattern assets against a real PostgreSQL: registry, detections, cycles, outcomes, statistics."""

from __future__ import annotations

from typing import Any

import dagster as dg
from sqlalchemy import Engine, text

from iris_assets.definitions import ALL_ASSETS

BY_NAME = {key.to_user_string(): a for a in ALL_ASSETS for key in a.keys}
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _range(instance: dg.DagsterInstance, resources: dict[str, Any], names: tuple[str, ...], first: str,
           last: str) -> dg.ExecuteInProcessResult:
    return dg.materialize([BY_NAME[n] for n in names], resources=resources, instance=instance, run_config=QUIET,
                          tags={"dagster/asset_partition_range_start": first,
                                "dagster/asset_partition_range_end": last})


def _count(engine: Engine, sql: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(sql)).scalar_one())


def test_patterns_are_detected_on_existing_candles_and_rerunning_a_day_rewrites_them(
    instance: dg.DagsterInstance, resources: dict[str, Any], engine: Engine
) -> None:
    dg.materialize([BY_NAME["coins"], BY_NAME["pattern_registry"]], resources=resources, instance=instance,
                   run_config=QUIET)
    assert _count(engine, "SELECT count(*) FROM pattern_registry") == 95
    _range(instance, resources, ("candles", "candle_aggregates", "indicators"), "2024-01-20", "2024-01-31")
    result = _range(instance, resources, ("pattern_signals", "signal_outcomes"), "2024-01-25", "2024-01-31")
    assert result.success
    assert {e.check_name: e.passed for e in result.get_asset_check_evaluations()} == {"detections_on_candles": True}
    patterns = _count(engine, "SELECT count(*) FROM signals WHERE source = 'pattern'")
    assert patterns > 0
    # Every detection sits on a stored candle of its timeframe (base candles or closed aggregates).
    assert _count(engine, """
        SELECT count(*) FROM signals s WHERE s.source = 'pattern' AND NOT EXISTS (
          SELECT 1 FROM candles c WHERE c.coin_id = s.coin_id AND c.timeframe = s.timeframe
            AND c.timestamp = s.candle_timestamp)
        AND NOT EXISTS (SELECT 1 FROM candle_aggregates a WHERE a.coin_id = s.coin_id
            AND a.timeframe = s.timeframe AND a.timestamp = s.candle_timestamp AND NOT a.is_partial)""") == 0
    assert _count(engine, "SELECT count(*) FROM market_cycles") > 0
    _range(instance, resources, ("pattern_signals",), "2024-01-28", "2024-01-28")  # a middle day again
    assert _count(engine, "SELECT count(*) FROM signals WHERE source = 'pattern'") == patterns

    stats = dg.materialize([BY_NAME["pattern_statistics"]], resources=resources, instance=instance,
                           run_config=QUIET)
    assert stats.success
    assert [(e.check_name, e.passed) for e in stats.get_asset_check_evaluations()] == [
        ("sample_sizes_consistent", True)]
    assert _count(engine, "SELECT count(*) FROM pattern_statistics") > 0
    # An "all" scope counts every evaluated outcome of its pattern and timeframe (up to the 200 window).
    assert _count(engine, """
        SELECT count(*) FROM pattern_statistics p WHERE p.market_regime = 'all' AND p.total_signals > 200""") == 0
