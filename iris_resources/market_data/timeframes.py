"""Timeframes: integer minutes inside, ``"15m"``/``"1h"``/``"4h"``/``"1d"`` at the edges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

BASE_TIMEFRAMES = (1, 5, 15)
AGGREGATE_TIMEFRAMES = (60, 240, 1440)
# Every timeframe a row of candles, aggregates or what is derived from them can be stored at.
STORED_TIMEFRAMES = (*BASE_TIMEFRAMES, *AGGREGATE_TIMEFRAMES)
_UNITS = {"m": 1, "h": 60, "d": 1440}


class UnsupportedTimeframeError(ValueError):
    """A timeframe string or number IRIS does not know."""


def parse_timeframe(value: str | int) -> int:
    """``"15m"`` → 15, ``" 1H "`` → 60, ``240`` → 240; anything else raises."""
    if isinstance(value, int):
        minutes = value
    else:
        text = value.strip().lower()
        if len(text) < 2 or text[-1] not in _UNITS or not text[:-1].isdigit():
            raise UnsupportedTimeframeError(f"unsupported interval {value!r} (use 1m, 5m, 15m, 1h, 4h or 1d)")
        minutes = int(text[:-1]) * _UNITS[text[-1]]
    if minutes not in BASE_TIMEFRAMES + AGGREGATE_TIMEFRAMES:
        raise UnsupportedTimeframeError(f"unsupported interval {value!r} (use 1m, 5m, 15m, 1h, 4h or 1d)")
    return minutes


def format_timeframe(minutes: int) -> str:
    """15 → ``"15m"``, 60 → ``"1h"``, 1440 → ``"1d"``."""
    if minutes % 1440 == 0:
        return f"{minutes // 1440}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


def align(ts: datetime, minutes: int) -> datetime:
    """Floor ``ts`` to the epoch-aligned bucket of ``minutes`` (naive datetimes are UTC)."""
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    seconds = minutes * 60
    epoch = int(ts.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=UTC)


def latest_closed_open(now: datetime, minutes: int) -> datetime:
    """Open time of the newest bar whose close time is ≤ ``now``."""
    return align(now, minutes) - timedelta(minutes=minutes)
