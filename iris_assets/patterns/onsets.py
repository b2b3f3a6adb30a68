"""Onset filter: a pattern signal is stored on the bar where it starts, not on every bar it persists.

Many detectors describe a state that holds for a while (a double bottom stays in its window, a band
walk continues, a hierarchy condition stays true for days), so at every bar the engine re-reports
them. Storing each re-report made ~9 signals per bar, most of them the same event again: it
multiplied storage and outcome work, counted one event many times in the success statistics
(autocorrelated samples inflate confidence) and filled the decision stacks with stale repeats.
IRIS keeps a signal at its onset: the first bar of a run of consecutive bars on which the same
signal type fires with the same direction. A change of direction is a new onset.
"""

from __future__ import annotations

import polars as pl

from .series_keys import coin_keys

__all__ = ["signal_onsets"]


def signal_onsets(signals: pl.DataFrame, bars: pl.Series | pl.DataFrame) -> pl.DataFrame:
    """Rows of ``signals`` (timestamp, signal_type, direction, ...; unique per timestamp and type) whose
    type did not fire with the same direction on the previous bar.

    ``bars``: one coin's closed bar times in time order (a Series), or a batch's ``coin_id`` and
    ``timestamp`` sorted by coin and time (then ``signals`` carry ``coin_id`` too). "Previous" means
    the preceding bar of that coin's series, so a gap in the detections (not in the calendar) starts a
    new run. Rows come out by (coin), type and time.
    """
    if signals.is_empty():
        return signals
    frame = bars.to_frame("timestamp") if isinstance(bars, pl.Series) else bars
    keys = coin_keys(frame)
    position = frame.select(*keys, "timestamp").with_row_index("_bar")
    tagged = signals.join(position, on=[*keys, "timestamp"], how="left")
    # A row continues a run when its type fired with the same direction on the bar before: drop
    # those (a hash anti-join; sorting every detection by type to compare neighbours cost more).
    continued = tagged.select(*keys, "signal_type", "direction", pl.col("_bar") + 1)
    return (tagged.join(continued, on=[*keys, "signal_type", "direction", "_bar"], how="anti")
            .sort(*keys, "signal_type", "_bar").drop("_bar"))
