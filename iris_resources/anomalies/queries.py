"""Read side of the anomalies domain used by the pipeline's checks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import polars as pl
from sqlalchemy import Connection, func, select

from iris_resources.anomalies.tables import market_anomalies
from iris_resources.db.binary_copy import PgType, decode
from iris_resources.db.copy_out import copy_out
from iris_resources.db.persistence_log import log_query


class AnomalyQueries:
    """Checks and counts over stored anomalies."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def orphaned_open(self, now: datetime, expiry: Callable[[str], timedelta]) -> list[dict[str, str]]:
        """Open anomalies last confirmed longer ago than their type's expiry horizon."""
        rows = self._connection.execute(
            select(market_anomalies.c.id, market_anomalies.c.symbol, market_anomalies.c.anomaly_type,
                   market_anomalies.c.status, market_anomalies.c.last_confirmed_at)
            .where(market_anomalies.c.status.in_(("new", "active", "cooling")))
        ).all()
        orphans = [
            {"id": str(r.id), "symbol": r.symbol, "type": r.anomaly_type, "status": r.status,
             "last_confirmed_at": str(r.last_confirmed_at)}
            for r in rows
            if r.last_confirmed_at is not None and now - r.last_confirmed_at > expiry(r.anomaly_type)
        ]
        log_query("anomalies", "orphaned_open", count=len(orphans))
        return orphans

    def severity_counts(self, start: datetime, end: datetime) -> dict[str, int]:
        """Anomalies detected in the window per severity."""
        statement = (
            select(market_anomalies.c.severity, func.count())
            .where(market_anomalies.c.detected_at >= start, market_anomalies.c.detected_at < end)
            .group_by(market_anomalies.c.severity)
        )
        return {severity: int(count) for severity, count in self._connection.execute(statement)}


_REGIME_COLUMNS: list[tuple[str, PgType]] = [("coin_id", "int4"), ("timestamp", "timestamptz"), ("code", "int2")]
_RANGE = "coin_id = ANY(%s) AND timeframe = %s AND timestamp >= %s AND timestamp < %s"


def regime_frame(connection: Connection, coin_ids: Sequence[int], timeframe: int, start: datetime, end: datetime
                 ) -> pl.DataFrame:
    """``coin_id, timestamp, market_regime`` of the indicator rows in ``[start, end)``, by coin and time.

    The labels are few, so they travel as small codes in one binary COPY (decoded with NumPy) instead
    of one text row per bar; the result equals a plain select of those columns.
    """
    params = (sorted(set(coin_ids)), timeframe, start, end)
    driver = connection.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor:
        labels = [row[0] for row in cursor.execute(
            f"SELECT DISTINCT market_regime FROM indicators WHERE {_RANGE} AND market_regime IS NOT NULL "
            "ORDER BY 1", params).fetchall()]
    buffer = copy_out(
        driver,
        f"COPY (SELECT coin_id, timestamp, COALESCE(array_position(%s::text[], market_regime), 0)::int2 "
        f"FROM indicators WHERE {_RANGE} ORDER BY coin_id, timestamp) TO STDOUT (FORMAT BINARY)",
        (labels, *params),
    )
    schema = pl.Schema([("coin_id", pl.Int64()), ("timestamp", pl.Datetime("us", "UTC")),
                        ("market_regime", pl.String())])
    if not buffer:
        return pl.DataFrame(schema=schema)
    frame = decode(bytes(buffer), _REGIME_COLUMNS)
    names = pl.Series("market_regime", [None, *labels], dtype=pl.String)
    log_query("anomalies", "regime_frame", count=frame.height, timeframe=timeframe, bulk=True)
    return frame.select(
        pl.col("coin_id").cast(pl.Int64), "timestamp",
        names.gather(frame.get_column("code").cast(pl.Int64)).alias("market_regime"),
    )
