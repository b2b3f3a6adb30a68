"""The SQL-bounded read of known pattern outcomes gives the same point-in-time success rates as the full read."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import polars as pl
from sqlalchemy import Engine, insert

from iris_assets.signals.success import success_asof
from iris_resources.patterns.tables import signal_outcomes
from iris_resources.signals.queries import DecisionQueries

T0 = datetime(2024, 3, 1, tzinfo=UTC)
TAIL_BEFORE = T0 + timedelta(days=6)
UNTIL = T0 + timedelta(days=12)
TYPES = ("pattern_bull_flag", "pattern_double_top", "pattern_cluster_bull_flag", "pattern_hierarchy_x")
REGIMES = ("bull_trend", "bear_trend", None)


def _outcome_rows(seed: int) -> list[dict[str, object]]:
    generator = random.Random(seed)
    rows: list[dict[str, object]] = []
    for coin_id in range(1, 7):
        for timeframe in (15, 60):
            # a coarse grid so that many outcomes become known at the same instant, across coins and regimes
            for step in range(0, 12 * 24 * 4, 3):
                for signal_type in TYPES:
                    if generator.random() < 0.5:
                        continue
                    result = generator.choice((None, -0.01, 0.0, 0.02, 0.03))
                    rows.append({
                        "coin_id": coin_id, "timeframe": timeframe,
                        "candle_timestamp": T0 + timedelta(minutes=15 * step), "signal_type": signal_type,
                        "direction": "bullish", "market_regime": generator.choice(REGIMES),
                        "return_72h": generator.choice((None, 0.01)), "result_return": result,
                        "evaluated_at": UNTIL,
                    })
    return rows


def test_the_bounded_read_keeps_every_rate_at_or_after_its_cut(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(insert(signal_outcomes), _outcome_rows(7))
    with engine.connect() as connection:
        query = DecisionQueries(connection)
        full = query.known_pattern_outcomes(T0, UNTIL)
        bounded = {tail: query.known_pattern_outcomes(T0, UNTIL, tail_before=TAIL_BEFORE, tail=tail)
                   for tail in (1, 2, 5)}
    earlier = pl.col("known_at") < TAIL_BEFORE
    for tail, frame in bounded.items():
        assert frame.schema == full.schema
        # 2 slugs x 2 timeframes x 3 regimes (null is one): `tail` each
        assert 0 < frame.filter(earlier).height <= 2 * 2 * 3 * tail < full.filter(earlier).height
        assert frame.filter(~earlier).height == full.filter(~earlier).height
    # the cut itself (only earlier outcomes known), then later instants as the window fills with new ones
    times = [TAIL_BEFORE + timedelta(minutes=15 * i) for i in range(0, 6 * 24 * 4, 5)]
    queries = pl.DataFrame(
        [(slug, timeframe, regime, at) for slug in ("bull_flag", "double_top", "missing")
         for timeframe in (15, 60) for regime in (*REGIMES, "sideways_range") for at in times],
        schema={"slug": pl.String, "timeframe": pl.Int16, "regime": pl.String,
                "timestamp": pl.Datetime("us", "UTC")}, orient="row")
    for tail, frame in bounded.items():
        expected = success_asof(full, queries, window=tail)
        assert expected.get_column("success_samples").sum() > 0
        assert success_asof(frame, queries, window=tail).equals(expected), tail


def _newest_known_before(full: pl.DataFrame, cut: datetime, tail: int) -> pl.DataFrame:
    """The reference: per (slug, timeframe, regime), the ``tail`` newest by (known_at, win) known before ``cut``."""
    return (full.filter(pl.col("known_at") < cut)
            .sort(["known_at", "win"], descending=True)
            .group_by(["slug", "timeframe", "regime"], maintain_order=True).head(tail)
            .select(full.columns))


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(frame.columns, nulls_last=True)


def _interleaved_rows() -> list[dict[str, object]]:
    """Per regime (a null one included): outcomes whose 72 h results make older candles known after
    newer candles' 24 h results, right around the cut, plus ties on known_at with both results."""
    cut = TAIL_BEFORE
    # (hours before the cut of the candle time, 72 h horizon?, result)
    layout = [
        (30, False, 0.02), (29, False, -0.01), (28, False, 0.03),  # newest candles, known cut - 6/5/4 h (+ bar)
        (75, True, -0.01),   # older candle, 72 h: known cut - 3 h, later than all three above
        (77, True, 0.02),    # known cut - 5 h: tied with the 29 h candle, the other result
        (78, True, -0.02),   # exactly 48 h before the 3rd newest candle (30 h): known cut - 6 h
        (80, True, 0.01),    # known cut - 8 h
        (26, True, 0.02), (70, True, 0.01),  # known after the cut (cut + 46 h / + 2 h)
        (24.25, False, -0.01),  # 24 h horizon ending exactly at the cut: known at the cut, not before
        (100, False, 0.02), (101, True, -0.03), (150, False, 0.01),
    ]
    # On 1h bars, the newest candle known before the cut (30 h, a loss) ties on known_at with a win
    # exactly 48 h older (72 h horizon), which ranks first: the bound of the read is exact, not loose.
    boundary = [(30, False, -0.01), (78, True, 0.02), (79, True, 0.01), (20, True, 0.01)]
    rows: list[dict[str, object]] = []
    for coin_id, regime in ((101, "bull_trend"), (102, None), (103, None)):
        for timeframe, hours, long, result in [(15, *row) for row in layout] + [(60, *row) for row in boundary]:
            rows.append({
                "coin_id": coin_id, "timeframe": timeframe, "candle_timestamp": cut - timedelta(hours=hours),
                "signal_type": "pattern_head_shoulders", "direction": "bullish", "market_regime": regime,
                "return_72h": 0.01 if long else None, "result_return": result, "evaluated_at": UNTIL,
            })
    return rows


def test_the_bounded_read_equals_the_ranked_full_read_when_horizons_interleave(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(insert(signal_outcomes), _interleaved_rows() + _outcome_rows(11))
    with engine.connect() as connection:
        query = DecisionQueries(connection)
        full = query.known_pattern_outcomes(T0, UNTIL)
        for tail in (1, 2, 3, 4, 5, 6, 8, 200):
            bounded = query.known_pattern_outcomes(T0, UNTIL, tail_before=TAIL_BEFORE, tail=tail)
            expected = pl.concat([_newest_known_before(full, TAIL_BEFORE, tail),
                                  full.filter(pl.col("known_at") >= TAIL_BEFORE)])
            assert _sorted(bounded).equals(_sorted(expected)), tail
        # the interleaved scopes: the 75 h / 77 h candles (72 h results) outrank the 28–30 h ones
        newest = query.known_pattern_outcomes(TAIL_BEFORE - timedelta(days=10), UNTIL, tail_before=TAIL_BEFORE, tail=3)
    planted = newest.filter((pl.col("slug") == "head_shoulders") & (pl.col("timeframe") == 15)
                            & (pl.col("known_at") < TAIL_BEFORE))
    bar = timedelta(minutes=15)
    # the null regime is one scope of its own, holding both of its coins' outcomes
    for regime, hours in (("bull_trend", (3, 4, 5)), (None, (3, 3, 4))):
        scope = planted.filter(pl.col("regime").eq_missing(regime)).sort("known_at", descending=True)
        assert scope.get_column("known_at").to_list() == [TAIL_BEFORE - timedelta(hours=h) + bar for h in hours]
