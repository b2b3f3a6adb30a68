"""Shared parameter types: symbols, intervals and timeframes, limits, cursors, documented errors."""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Annotated, Any

from fastapi import Path, Query

from iris_api.schemas.errors import ErrorPublic
from iris_resources.market_data.timeframes import format_timeframe, parse_timeframe


class Interval(StrEnum):
    """A candle interval at the edge of the API."""

    M1 = "1m"
    M5 = "5m"
    M15 = "15m"
    H1 = "1h"
    H4 = "4h"
    D1 = "1d"

    @property
    def minutes(self) -> int:
        """The interval in minutes."""
        return parse_timeframe(self.value)


class Timeframe(IntEnum):
    """A timeframe in minutes (the reference's integer convention)."""

    M1 = 1
    M5 = 5
    M15 = 15
    H1 = 60
    H4 = 240
    D1 = 1440


def interval_of(minutes: int) -> str:
    """60 → ``"1h"``."""
    return format_timeframe(minutes)


SymbolPath = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9._\-]+$",
                                 description="Coin symbol (case-insensitive).")]
CursorQuery = Annotated[str | None, Query(max_length=512, description="`next_cursor` of the previous page.")]


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorPublic, "description": description}


COMMON_ERRORS: dict[int | str, dict[str, Any]] = {
    422: _error("Invalid parameters."),
    500: _error("Internal error."),
    503: _error("The database did not answer in time."),
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: _error("Unknown or deleted symbol or id.")}
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {304: {"description": "Not modified: `If-None-Match` matched."}}
