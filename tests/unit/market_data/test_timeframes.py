"""Timeframe strings at the edges, minutes inside."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from iris_resources.market_data.timeframes import (
    UnsupportedTimeframeError,
    align,
    format_timeframe,
    latest_closed_open,
    parse_timeframe,
)


@pytest.mark.parametrize(("text", "minutes"), [("15m", 15), (" 1H ", 60), ("4h", 240), ("1d", 1440), (240, 240)])
def test_intervals_parse_to_minutes(text: str | int, minutes: int) -> None:
    assert parse_timeframe(text) == minutes


@pytest.mark.parametrize("text", ["2h", "15", "m", "1w", "", 7])
def test_unknown_intervals_are_rejected_with_a_clear_message(text: str | int) -> None:
    with pytest.raises(UnsupportedTimeframeError, match="unsupported interval"):
        parse_timeframe(text)


def test_minutes_format_back_to_interval_strings() -> None:
    assert [format_timeframe(m) for m in (15, 60, 240, 1440)] == ["15m", "1h", "4h", "1d"]


def test_alignment_is_epoch_based_and_the_latest_closed_bar_precedes_now() -> None:
    now = datetime(2024, 3, 5, 9, 7, 31, tzinfo=UTC)
    assert align(now, 240) == datetime(2024, 3, 5, 8, 0, tzinfo=UTC)
    assert latest_closed_open(now, 15) == datetime(2024, 3, 5, 8, 45, tzinfo=UTC)
    assert align(now.replace(tzinfo=None), 1440) == datetime(2024, 3, 5, tzinfo=UTC)
