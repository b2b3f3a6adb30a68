"""Late and corrected candles: the sensor re-derives everything they affect, and the result equals a
full recompute from the corrected data (end to end, real PostgreSQL)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import dagster as dg
import polars as pl
from sqlalchemy import Engine, text

from iris_assets.definitions import ALL_ASSETS
from iris_assets.runtime.live import CROSS_SECTION_ASSETS, PER_COIN_ASSETS, new_candles_sensor
from iris_resources.db.resources import DatabaseResource
from iris_resources.sources.base import CandleSource, SourceBatch
from iris_resources.sources.resource import CandleSourceResource

BY_NAME = {key.to_user_string(): a for a in ALL_ASSETS for key in a.keys}
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
FIRST, LAST = "2024-01-01", "2024-01-30"
CORRECTED_AT = datetime(2024, 1, 25, 10, 0, tzinfo=UTC)
ANALYTICS = sorted({BY_NAME[n] for n in (*PER_COIN_ASSETS, *CROSS_SECTION_ASSETS)}, key=lambda a: a.op.name)
# Every derived table with the columns that carry results (no ids or wall-clock stamps).
DERIVED = {
    "candle_aggregates": "coin_id, timeframe, timestamp, open, high, low, close, volume, is_partial",
    "indicators": "coin_id, timeframe, timestamp, close, rsi_14, ema_50, macd, atr_14, adx_14, market_regime",
    "signals": "coin_id, timeframe, candle_timestamp, signal_type, direction, confidence, priority_score",
    "signal_outcomes": "coin_id, timeframe, candle_timestamp, signal_type, return_4b, return_24b, return_72h, "
                       "mae_72h, result_return",
    "investment_decisions": "coin_id, timeframe, timestamp, decision, confidence, score",
    "final_signals": "coin_id, timeframe, timestamp, decision, confidence, risk_adjusted_score",
    "market_decisions": "coin_id, timeframe, timestamp, decision, confidence, signal_count",
}


class _Corrected(CandleSourceResource):
    """The synthetic market with one candle of the first coin corrected (+4 % close, high widened)."""

    def get_source(self) -> CandleSource:
        inner = super().get_source()

        class _Source:
            name = inner.name

            def sectors(self) -> Any:
                return inner.sectors()

            def universe(self) -> Any:
                return inner.universe()

            def fetch(self, symbols: Sequence[str], start: datetime, end: datetime) -> SourceBatch:
                batch = inner.fetch(symbols, start, end)
                first = inner.universe()[0].symbol
                hit = (pl.col("symbol") == first) & (pl.col("timestamp") == CORRECTED_AT)
                fixed = batch.candles.with_columns(
                    pl.when(hit).then(pl.col("close") * 1.04).otherwise(pl.col("close")).alias("close"),
                    pl.when(hit).then(pl.max_horizontal("high", pl.col("close") * 1.04)).otherwise(pl.col("high"))
                    .alias("high"))
                return SourceBatch(candles=fixed, rejects=batch.rejects)

        return _Source()


def _snapshot(engine: Engine) -> dict[str, pl.DataFrame]:
    """Every derived row, in key order."""
    with engine.connect() as connection:
        return {table: pl.DataFrame([tuple(r) for r in connection.execute(text(
            f"SELECT {columns} FROM {table} ORDER BY {columns.split(', ')[0]}, 2, 3, 4"))], orient="row",
            infer_schema_length=None) for table, columns in DERIVED.items()}


def _range(instance: dg.DagsterInstance, resources: dict[str, Any], assets: list[Any], first: str, last: str,
           run_config: dict[str, Any] | None = None) -> None:
    assert dg.materialize(assets, resources=resources, instance=instance, run_config={**QUIET, **(run_config or {})},
                          tags={"dagster/asset_partition_range_start": first,
                                "dagster/asset_partition_range_end": last}).success


def test_a_corrected_candle_re_derives_exactly_what_a_full_recompute_gives(
        instance: dg.DagsterInstance, resources: dict[str, Any], database: DatabaseResource, engine: Engine) -> None:
    dg.materialize([BY_NAME["coins"]], resources=resources, instance=instance, run_config=QUIET)
    _range(instance, resources, [BY_NAME["candles"], *ANALYTICS], FIRST, LAST)
    before = _snapshot(engine)
    with engine.connect() as connection:
        cursor = connection.execute(text("SELECT coalesce(max(id), 0) FROM event_outbox")).scalar_one()

    # The source corrects one candle; re-loading its day stores it and announces the revision.
    corrected = {**resources, "candle_source": _Corrected(spec="synthetic", seed=3, n_coins=6)}
    _range(instance, corrected, [BY_NAME["candles"]], "2024-01-25", "2024-01-25")
    with dg.build_sensor_context(instance=instance, resources={"database": database},
                                 cursor=str(cursor)) as context:
        result = new_candles_sensor(context)
    requests = result.run_requests or []
    assert len(requests) == 1, requests
    request = requests[0]
    assert request.tags["iris/trigger"] == "candles_revised"
    start, end = request.tags["dagster/asset_partition_range_start"], request.tags["dagster/asset_partition_range_end"]
    assert start <= "2023-12-31" and end == LAST  # outcomes reaching the candle, up to the newest day
    _range(instance, resources, ANALYTICS, max(start, FIRST), end, run_config=request.run_config)
    incremental = _snapshot(engine)
    assert any(not incremental[t].equals(before[t]) for t in ("indicators", "signal_outcomes"))

    # A full recompute of every coin and day from the corrected candles gives the same rows.
    _range(instance, resources, ANALYTICS, FIRST, LAST)
    full = _snapshot(engine)
    for table in DERIVED:
        assert _same(incremental[table], full[table]), table


def _same(a: pl.DataFrame, b: pl.DataFrame, tolerance: float = 1e-9) -> bool:
    """Equal rows; floats within ``tolerance`` (parallel aggregation may reorder a sum's last bits)."""
    if a.shape != b.shape:
        return False
    floats = [c for c, dtype in a.schema.items() if dtype == pl.Float64]
    exact = [c for c in a.columns if c not in floats]
    if not a.select(exact).equals(b.select(exact)):
        return False
    return all(((a.get_column(c) - b.get_column(c)).abs().fill_null(0.0) <= tolerance).all()
               and a.get_column(c).is_null().equals(b.get_column(c).is_null()) for c in floats)
