"""Prediction quality: hit rate, IC and rank IC per relation, per timeframe and overall (DECISIONS 23)."""

from __future__ import annotations

import polars as pl
import pytest

from iris_assets.predictions import prediction_quality, quality_report

SCHEMA = {"leader_coin_id": pl.Int32, "follower_coin_id": pl.Int32, "timeframe": pl.Int16, "status": pl.String,
          "expected_move": pl.String, "expected_magnitude": pl.Float64, "realized_return": pl.Float64}

# Predicted signed magnitudes p = [2, 1, −1, −3, 4] %, realised r = [1.5, −0.5, −2, −1, 3] %.
# By hand: p̄ = 0.6, r̄ = 0.2; Σdp·dr = 18.9, Σdp² = 29.2, Σdr² = 16.3 → IC = 18.9 / √(29.2·16.3) = 0.86628.
# Ranks p = [4, 3, 2, 1, 5], r = [4, 3, 1, 2, 5]; Σd² = 2 → rank IC = 1 − 6·2 / (5·24) = 0.9.
HAND_IC = 18.9 / (29.2 * 16.3) ** 0.5
HAND_RANK_IC = 0.9


def _outcomes() -> pl.DataFrame:
    rows = [
        (1, 2, 60, "confirmed", "up", 0.02, 0.015),
        (1, 2, 60, "failed", "up", 0.01, -0.005),
        (1, 2, 60, "confirmed", "down", 0.01, -0.02),
        (1, 2, 60, "failed", "down", 0.03, -0.01),
        (1, 2, 60, "confirmed", "up", 0.04, 0.03),
        (1, 2, 60, "expired", "up", 0.05, None),  # no data: counted, not scored
        (3, 4, 240, "confirmed", "up", 0.01, 0.02),
        (3, 4, 240, "failed", "down", 0.02, 0.01),
        (3, 4, 240, "pending", "down", 0.02, None),  # not decided yet: ignored
    ]
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")


def test_ic_and_rank_ic_match_the_hand_computed_example() -> None:
    quality = prediction_quality(_outcomes().filter(pl.col("timeframe") == 60)).row(0, named=True)
    assert quality["ic"] == pytest.approx(HAND_IC, abs=1e-12)
    assert quality["rank_ic"] == pytest.approx(HAND_RANK_IC, abs=1e-12)
    assert quality["hit_rate"] == pytest.approx(3 / 5)
    assert (quality["predictions"], quality["confirmed"], quality["failed"], quality["expired"],
            quality["scored"]) == (6, 3, 2, 1, 5)


def test_the_report_has_one_row_per_relation_per_timeframe_and_overall() -> None:
    report = quality_report(_outcomes())
    relation = {(row["leader_coin_id"], row["follower_coin_id"]): row
                for row in report["relation"].iter_rows(named=True)}
    assert relation[(1, 2)]["ic"] == pytest.approx(HAND_IC)
    assert relation[(3, 4)]["hit_rate"] == 0.5 and relation[(3, 4)]["ic"] is None  # two scored: too few for an IC
    assert report["timeframe"]["timeframe"].to_list() == [60, 240]
    overall = report["overall"].row(0, named=True)
    assert (overall["predictions"], overall["scored"], overall["hit_rate"]) == (8, 7, pytest.approx(4 / 7))
    assert -1.0 <= overall["ic"] <= 1.0 and -1.0 <= overall["rank_ic"] <= 1.0


def test_rank_ic_gives_tied_predictions_their_average_rank() -> None:
    # p = [1, 1, 2] → ranks [1.5, 1.5, 3]; r ranks [1, 2, 3] → Pearson of ranks = 1.5 / √(1.5·2) = 0.8660.
    frame = pl.DataFrame([(1, 2, 60, "confirmed", "up", 0.01, 0.01), (1, 2, 60, "failed", "up", 0.01, 0.02),
                          (1, 2, 60, "confirmed", "up", 0.02, 0.03)], schema=SCHEMA, orient="row")
    assert prediction_quality(frame)["rank_ic"][0] == pytest.approx(1.5 / 3**0.5)


def test_a_constant_prediction_has_no_ic_rather_than_a_made_up_number() -> None:
    frame = pl.DataFrame([(1, 2, 60, "confirmed", "up", 0.01, r) for r in (0.01, 0.02, -0.01)],
                         schema=SCHEMA, orient="row")
    quality = prediction_quality(frame).row(0, named=True)
    assert quality["ic"] is None and quality["rank_ic"] is None and quality["hit_rate"] == 1.0
