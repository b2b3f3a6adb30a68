"""The relation feedback ledger: rows per outcome, applied on top of recomputed confidence (DECISIONS 22)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import polars as pl
import pytest

from iris_assets.cross_market import compute_relations
from iris_assets.predictions import FEEDBACK_COLUMNS, apply_feedback, feedback_rows
from tests.unit.cross_market.relation_builders import T0 as CLOSES_T0
from tests.unit.cross_market.relation_builders import closes_from_returns
from tests.unit.predictions.prediction_builders import T0, relation, relations

LEDGER_SCHEMA = pl.Schema({"prediction_id": pl.Int64(), "leader_coin_id": pl.Int32(), "follower_coin_id": pl.Int32(),
                 "timeframe": pl.Int16(), "status": pl.String(), "adjustment": pl.Float64(),
                 "created_at": pl.Datetime("us", "UTC")})


def _ledger(*rows: tuple[int, int, int, int, float]) -> pl.DataFrame:
    return pl.DataFrame([(pid, lead, follow, tf, "confirmed" if adj > 0 else "failed", adj, T0)
                         for pid, lead, follow, tf, adj in rows], schema=LEDGER_SCHEMA, orient="row")


def test_confirmed_and_failed_outcomes_append_rows_and_no_data_expiries_do_not() -> None:
    predictions = pl.DataFrame({"prediction_id": [1, 2, 3], "leader_coin_id": [1, 1, 1],
                                "follower_coin_id": [2, 3, 4], "timeframe": [60, 60, 240]})
    outcomes = pl.DataFrame({"prediction_id": [1, 2, 3], "status": ["confirmed", "failed", "expired"],
                             "evaluated_at": [T0, T0, T0]})
    ledger = feedback_rows(outcomes, predictions)
    assert ledger.columns == list(FEEDBACK_COLUMNS)
    assert ledger.select("prediction_id", "follower_coin_id", "adjustment").rows() == [(1, 2, 0.04), (2, 3, -0.05)]


def test_adjustments_add_to_the_recomputed_confidence_and_are_clamped() -> None:
    rel = relations(relation(follower=2, confidence=0.6), relation(follower=3, confidence=0.97),
                    relation(follower=4, confidence=0.2), relation(follower=5, active=False, confidence=0.0))
    ledger = _ledger((1, 1, 2, 60, 0.04), (2, 1, 2, 60, 0.04), (3, 1, 2, 60, -0.05), (4, 1, 3, 60, 0.04),
                     *[(10 + i, 1, 4, 60, -0.05) for i in range(5)], (20, 1, 5, 60, 0.04),
                     (30, 1, 2, 240, 0.04))  # another timeframe: a different relation
    applied = apply_feedback(rel, ledger)
    by_follower = {row["follower_coin_id"]: row for row in applied.iter_rows(named=True)}
    assert by_follower[2]["confidence"] == pytest.approx(0.63) and by_follower[2]["base_confidence"] == 0.6
    assert by_follower[2]["feedback_adjustment"] == pytest.approx(0.03)
    assert by_follower[3]["confidence"] == 0.99  # capped
    assert by_follower[4]["confidence"] == 0.05  # floored
    assert by_follower[5]["confidence"] == 0.0  # inactive relations are not revived by feedback
    assert applied["follower_coin_id"].to_list() == [2, 3, 4, 5]


def test_a_prediction_appended_twice_counts_once() -> None:
    applied = apply_feedback(relations(relation(confidence=0.6)), _ledger((1, 1, 2, 60, 0.04), (1, 1, 2, 60, 0.04)))
    assert applied["confidence"].to_list() == pytest.approx([0.64])


def test_feedback_survives_a_recompute_of_the_relations() -> None:
    rng = np.random.default_rng(13)
    leader = rng.standard_normal(400) * 0.01
    follower = np.concatenate([np.zeros(2), 0.9 * leader[:-2]]) + rng.standard_normal(400) * 0.006
    closes = closes_from_returns({1: leader, 2: follower})
    ledger = _ledger((1, 1, 2, 60, -0.05), (2, 1, 2, 60, -0.05), (3, 1, 2, 60, 0.04))
    for as_of in (CLOSES_T0 + timedelta(hours=250), CLOSES_T0 + timedelta(hours=400)):
        recomputed = compute_relations(closes, 60, as_of=as_of).filter(pl.col("leader_coin_id") == 1)
        effective = apply_feedback(recomputed, ledger).row(0, named=True)
        assert effective["base_confidence"] == recomputed["confidence"][0] > 0.5
        assert effective["confidence"] == pytest.approx(effective["base_confidence"] - 0.06)
