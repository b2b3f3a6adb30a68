"""pattern_signals computed in worker processes writes exactly the rows the inline path writes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dagster as dg
from sqlalchemy import Engine, text

from iris_assets.definitions import ALL_ASSETS

BY_NAME = {key.to_user_string(): a for a in ALL_ASSETS for key in a.keys}
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
RANGE = {"dagster/asset_partition_range_start": "2024-01-22", "dagster/asset_partition_range_end": "2024-01-31"}


def _rows(engine: Engine) -> set[tuple[Any, ...]]:
    with engine.connect() as connection:
        signals = connection.execute(text(
            "SELECT coin_id, timeframe, signal_type, direction, round(confidence::numeric, 12), market_regime, "
            "candle_timestamp FROM signals WHERE source = 'pattern'")).all()
        cycles = connection.execute(text(
            "SELECT coin_id, timeframe, timestamp, cycle_phase, round(confidence::numeric, 12) FROM market_cycles"
        )).all()
    return {("signal", *r) for r in signals} | {("cycle", *r) for r in cycles}


def test_worker_processes_write_the_same_signals_and_cycles_as_inline(
    instance: dg.DagsterInstance, resources: dict[str, Any], engine: Engine,
    worker_processes: Callable[[int], list[int]],
) -> None:
    dg.materialize([BY_NAME["coins"], BY_NAME["pattern_registry"]], resources=resources, instance=instance,
                   run_config=QUIET)
    dg.materialize([BY_NAME[n] for n in ("candles", "candle_aggregates", "indicators")], resources=resources,
                   instance=instance, run_config=QUIET, tags={**RANGE, "dagster/asset_partition_range_start":
                                                              "2024-01-05"})
    worker_processes(1)
    assert dg.materialize([BY_NAME["pattern_signals"]], resources=resources, instance=instance,
                          run_config=QUIET, tags=RANGE).success
    inline = _rows(engine)
    assert any(r[0] == "signal" for r in inline) and any(r[0] == "cycle" for r in inline)

    started = worker_processes(2)
    assert dg.materialize([BY_NAME["pattern_signals"]], resources=resources, instance=instance,
                          run_config=QUIET, tags=RANGE).success
    assert started == [2]
    assert _rows(engine) == inline
