"""Write side of the anomalies domain: rows in their final state plus a ledger of lifecycle steps.

Re-running a day must give the same anomalies. ``rewind`` therefore removes what the day created
and undoes what it did to older anomalies (restoring each one's ``before`` snapshot of its first
step in the day), so the scan can replay the day from the state at its start.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import orjson
from psycopg import sql
from sqlalchemy import Connection, delete, insert, select, text, update

from iris_resources.anomalies.tables import anomaly_transitions, market_anomalies
from iris_resources.db.persistence_log import log_repo

# Columns a lifecycle step may change (and a rewind restores).
MUTABLE_COLUMNS = ("status", "score", "confidence", "severity", "summary", "payload_json", "last_confirmed_at",
                   "resolved_at", "cooldown_until", "updated_at")


_ANOMALY_COLUMNS = ("id", "coin_id", "symbol", "timeframe", "anomaly_type", "severity", "confidence", "score",
                    "status", "detected_at", "window_start", "window_end", "market_regime", "sector", "summary",
                    "payload_json", "cooldown_until", "last_confirmed_at", "resolved_at", "source_pipeline",
                    "created_at", "updated_at")
_STEP_COLUMNS = ("anomaly_id", "at", "action", "status", "score", "reason", "changes", "before")


def _isoformat(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    # Float subclasses (NumPy scalars) are numbers to ``json.dumps`` (orjson hands them here).
    return float(value) if isinstance(value, float) else str(value)


def _plain(value: Any) -> Any:
    if isinstance(value, float):  # a float subclass (NumPy scalar): a number, as to ``json.dumps``
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


_JSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


def _json(value: Any, default: Callable[[Any], Any] = _plain) -> str:
    """JSON text for a ``jsonb`` COPY field: the document ``json.dumps(value, default=default)`` gives.

    orjson is several times faster on these payloads. (The one difference, NaN, which orjson writes
    as null: ``json.dumps`` wrote NaN, which ``jsonb`` rejects, so no stored document ever held one.)
    """
    return orjson.dumps(value, default=default, option=_JSON_OPTIONS).decode()


def _copy(connection: Connection, table: str, columns: Sequence[str], records: Sequence[tuple[Any, ...]]) -> None:
    """Text COPY of ``records`` into ``table`` inside the connection's transaction (psycopg adapts values)."""
    driver = connection.connection.driver_connection
    assert driver is not None
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(column) for column in columns))
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for record in records:
            copy.write_row(record)


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(values, default=lambda v: v.isoformat() if isinstance(v, datetime) else str(v)))


def _from_json(values: dict[str, Any]) -> dict[str, Any]:
    restored = dict(values)
    for column in ("last_confirmed_at", "resolved_at", "cooldown_until", "updated_at"):
        if isinstance(restored.get(column), str):
            restored[column] = datetime.fromisoformat(restored[column])
    return restored


class AnomalyRepository:
    """Anomalies and their transition ledger."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def rewind(self, coin_ids: Sequence[int], timeframe: int, start: datetime, end: datetime) -> int:
        """Undo what a previous run of ``[start, end)`` did; returns the anomalies removed."""
        ids = list(coin_ids)
        older = select(market_anomalies.c.id).where(
            market_anomalies.c.coin_id.in_(ids), market_anomalies.c.timeframe == timeframe,
            market_anomalies.c.detected_at < start)
        steps = self._connection.execute(
            select(anomaly_transitions.c.anomaly_id, anomaly_transitions.c.before)
            .where(anomaly_transitions.c.anomaly_id.in_(older), anomaly_transitions.c.at >= start,
                   anomaly_transitions.c.at < end, anomaly_transitions.c.before.is_not(None))
            .order_by(anomaly_transitions.c.anomaly_id, anomaly_transitions.c.at.desc(),
                      anomaly_transitions.c.id.desc())
        ).all()
        restore: dict[int, dict[str, Any]] = {}
        for anomaly_id, before in steps:  # the last assignment per id is its earliest step's snapshot
            restore[int(anomaly_id)] = before
        for anomaly_id, before in restore.items():
            self._connection.execute(update(market_anomalies).where(market_anomalies.c.id == anomaly_id)
                                     .values(**_from_json(before)))
        self._connection.execute(delete(anomaly_transitions).where(
            anomaly_transitions.c.anomaly_id.in_(older), anomaly_transitions.c.at >= start,
            anomaly_transitions.c.at < end))
        created = select(market_anomalies.c.id).where(
            market_anomalies.c.coin_id.in_(ids), market_anomalies.c.timeframe == timeframe,
            market_anomalies.c.detected_at >= start, market_anomalies.c.detected_at < end)
        self._connection.execute(delete(anomaly_transitions).where(anomaly_transitions.c.anomaly_id.in_(created)))
        removed = self._connection.execute(delete(market_anomalies).where(market_anomalies.c.id.in_(created)))
        log_repo("anomalies", "rewind", mode="write", count=removed.rowcount, restored=len(restore))
        return int(removed.rowcount or 0)

    def insert_rows(self, rows: Sequence[dict[str, Any]], source_pipeline: str, created_at: datetime) -> list[int]:
        """Insert created anomalies (final state, each with its ``coin_id``); returns ids in row order.

        The ids are drawn from the table's sequence in row order (as ``INSERT … RETURNING`` would)
        and the rows go in with one COPY.
        """
        if not rows:
            return []
        ids = [int(i) for i in self._connection.execute(
            text("SELECT nextval(pg_get_serial_sequence('market_anomalies', 'id')) FROM generate_series(1, :n)"),
            {"n": len(rows)}).scalars()]
        records = [
            (anomaly_id, row["coin_id"], row["symbol"], row["timeframe"], row["anomaly_type"], row["severity"],
             row["confidence"], row["score"], row["status"], row["detected_at"], row["window_start"],
             row["window_end"], row["market_regime"], row["sector"], row["summary"], _json(row["payload_json"]),
             row["cooldown_until"], row["last_confirmed_at"], row["resolved_at"],
             row.get("payload_json", {}).get("source_pipeline", source_pipeline), created_at, row["updated_at"])
            for anomaly_id, row in zip(ids, rows, strict=True)
        ]
        _copy(self._connection, "market_anomalies", _ANOMALY_COLUMNS, records)
        log_repo("anomalies", "insert_anomalies", mode="write", count=len(ids))
        return ids

    def record_steps(self, steps: Sequence[dict[str, Any]]) -> None:
        """Ledger rows for steps of anomalies created in this run (their rows are already final), one COPY."""
        if steps:
            _copy(self._connection, "anomaly_transitions", _STEP_COLUMNS, [
                (step["anomaly_id"], step["at"], step["action"], step["status"], step["score"], step["reason"],
                 _json(step["changes"], _isoformat), None) for step in steps])

    def apply_step(self, anomaly_id: int, at: datetime, action: str, status: str, score: float | None,
                   reason: str | None, changes: dict[str, Any], stored: bool) -> None:
        """Record one lifecycle step; for a ``stored`` anomaly also write ``changes`` to its row."""
        before = None
        if stored:
            row = self._connection.execute(
                select(*(market_anomalies.c[c] for c in MUTABLE_COLUMNS)).where(market_anomalies.c.id == anomaly_id)
            ).mappings().one()
            before = _jsonable(dict(row))
            writable = {k: v for k, v in changes.items() if k in market_anomalies.c}
            if writable:
                self._connection.execute(update(market_anomalies).where(market_anomalies.c.id == anomaly_id)
                                         .values(**writable))
        self._connection.execute(insert(anomaly_transitions).values(
            anomaly_id=anomaly_id, at=at, action=action, status=status, score=score, reason=reason,
            changes=_jsonable(dict(changes)), before=before))

    def open_before(self, coin_ids: Sequence[int], timeframe: int, moment: datetime) -> list[dict[str, Any]]:
        """Anomalies detected before ``moment`` whose (rewound) state is still open."""
        rows = self._connection.execute(
            select(market_anomalies).where(
                market_anomalies.c.coin_id.in_(list(coin_ids)), market_anomalies.c.timeframe == timeframe,
                market_anomalies.c.detected_at < moment,
                market_anomalies.c.status.in_(("new", "active", "cooling")),
            ).order_by(market_anomalies.c.detected_at)
        ).mappings().all()
        return [dict(r) for r in rows]
