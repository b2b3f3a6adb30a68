"""Structured persistence logging under the ``iris.persistence`` logger.

Every record carries an ``event`` (``uow.begin``, ``repo.upsert_candles`` …) and a ``persistence``
dict of fields (domain, mode, count, uow_id …). Values are never secrets: callers log ids and counts.
"""

from __future__ import annotations

import json
import logging
from typing import Any

PERSISTENCE_LOGGER = logging.getLogger("iris.persistence")


def log_event(event: str, *, level: int = logging.DEBUG, **fields: Any) -> None:
    """Log one persistence event with its structured fields."""
    if PERSISTENCE_LOGGER.isEnabledFor(level):
        PERSISTENCE_LOGGER.log(level, event, extra={"event": event, "persistence": fields})


def log_repo(domain: str, operation: str, *, mode: str, **fields: Any) -> None:
    """Log a repository call (``repo.<operation>``); writes at INFO, reads at DEBUG."""
    level = logging.INFO if mode == "write" else logging.DEBUG
    log_event(f"repo.{operation}", level=level, domain=domain, mode=mode, **fields)


def log_query(domain: str, operation: str, **fields: Any) -> None:
    """Log a query-service call (``query.<operation>``), always read mode."""
    log_event(f"query.{operation}", domain=domain, mode="read", **fields)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, rendering the structured ``persistence`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "persistence", None)
        if fields:
            payload.update(fields)
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)
