"""Confidence bands and the "write only on change" rule shared by every decision log (DECISIONS.md 15).

A decision log (investment decisions, final signals, market decisions) gets a new row only when
the decision label or its confidence band changes. The reference compared raw scores and a
reason string that embedded them, so almost every evaluation appended a row.
"""

from __future__ import annotations

import polars as pl

# Upper-exclusive band edges: [0, .35) low, [.35, .55) moderate, [.55, .75) high, [.75, 1] very_high.
BAND_EDGES: tuple[float, ...] = (0.35, 0.55, 0.75)
BAND_NAMES: tuple[str, ...] = ("low", "moderate", "high", "very_high")


def confidence_band(confidence: float) -> str:
    """The band name of one confidence value."""
    for edge, name in zip(BAND_EDGES, BAND_NAMES, strict=False):
        if confidence < edge:
            return name
    return BAND_NAMES[-1]


def confidence_band_expr(confidence: pl.Expr) -> pl.Expr:
    """Vectorised :func:`confidence_band`."""
    return confidence.cut(list(BAND_EDGES), labels=list(BAND_NAMES), left_closed=True).cast(pl.String)


def keep_changes(evaluated: pl.DataFrame, previous: pl.DataFrame | None = None,
                 keys: tuple[str, ...] = ("coin_id", "timeframe")) -> pl.DataFrame:
    """Rows of ``evaluated`` whose (decision, band) differs from the row before them.

    ``evaluated`` holds every evaluation (keys, ``timestamp``, ``decision``, ``confidence``, ...);
    ``previous`` holds the latest stored row per key before the window (keys, ``decision``,
    ``confidence``), so a re-run of a window continues the stored log instead of restarting it.
    Comparing each row with the evaluation just before it is the same as comparing with the last
    kept row: an unchanged row equals its predecessor, which equals the last kept one.
    """
    if evaluated.is_empty():
        return evaluated
    key_list = list(keys)
    frame = evaluated.with_columns(confidence_band_expr(pl.col("confidence")).alias("confidence_band"))
    if previous is not None and not previous.is_empty():
        seed = previous.select(*key_list, pl.col("decision").alias("_seed_decision"),
                               confidence_band_expr(pl.col("confidence")).alias("_seed_band"))
        frame = frame.join(seed, on=key_list, how="left")
    else:
        frame = frame.with_columns(pl.lit(None, pl.String).alias("_seed_decision"),
                                   pl.lit(None, pl.String).alias("_seed_band"))
    frame = frame.sort([*key_list, "timestamp"])
    prior_decision = pl.col("decision").shift(1).over(key_list)
    prior_band = pl.col("confidence_band").shift(1).over(key_list)
    is_first = pl.int_range(pl.len()).over(key_list) == 0
    prior_decision = pl.when(is_first).then(pl.col("_seed_decision")).otherwise(prior_decision)
    prior_band = pl.when(is_first).then(pl.col("_seed_band")).otherwise(prior_band)
    changed = (prior_decision.is_null() | (prior_decision != pl.col("decision"))
               | (prior_band != pl.col("confidence_band")))
    return frame.filter(changed).drop("_seed_decision", "_seed_band")
