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

__all__ = ["signal_onsets"]


def signal_onsets(signals: pl.DataFrame, bar_times: pl.Series) -> pl.DataFrame:
    """Rows of ``signals`` (timestamp, signal_type, direction, ...; one coin and timeframe, unique per
    timestamp and type) whose type did not fire with the same direction on the previous bar.

    ``bar_times`` are the coin's closed bars in time order; "previous" means the preceding bar of
    that series, so a gap in the detections (not in the calendar) starts a new run.
    """
    if signals.is_empty():
        return signals
    position = pl.DataFrame({"timestamp": bar_times}).with_row_index("_bar")
    tagged = signals.join(position, on="timestamp", how="left").sort("signal_type", "_bar")
    previous_bar = pl.col("_bar").shift(1).over("signal_type")
    previous_direction = pl.col("direction").shift(1).over("signal_type")
    onset = (previous_bar.is_null() | (previous_bar != pl.col("_bar") - 1)
             | (previous_direction != pl.col("direction")))
    return tagged.filter(onset).drop("_bar")
