"""End to end on the synthetic market: relations → leader moves → predictions → outcomes → ledger → quality."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import polars as pl
import pytest

from iris_assets.cross_market import compute_relations
from iris_assets.predictions import apply_feedback, create_predictions, evaluate_predictions, feedback_rows
from iris_assets.predictions.quality import prediction_quality
from tests.unit.cross_market.relation_builders import T0, synthetic_hourly

RELATIONS_AS_OF = T0 + timedelta(days=20)
MOVES_UNTIL = T0 + timedelta(days=25)
END = T0 + timedelta(days=30)


def _walk(hourly: pl.DataFrame, relations: pl.DataFrame, leaders: list[int]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Replays hourly leader moves above 1 % in time order, evaluating before each creation."""
    returns = hourly.sort("coin_id", "timestamp").with_columns(
        (pl.col("close") / pl.col("close").shift(1).over("coin_id") - 1).alias("r"))
    moves = returns.filter(pl.col("coin_id").is_in(leaders) & (pl.col("timestamp") >= RELATIONS_AS_OF)
                           & (pl.col("timestamp") < MOVES_UNTIL) & (pl.col("r").abs() > 0.01)).select(
        pl.col("coin_id").alias("leader_coin_id"),
        pl.when(pl.col("r") > 0).then(pl.lit("up")).otherwise(pl.lit("down")).alias("direction"),
        pl.lit(0.9).alias("confidence"), (pl.col("r") * 100).alias("move_pct"),
        (pl.col("timestamp") + timedelta(hours=1)).alias("created_at"),  # detected when the bar closes
    ).sort("created_at")
    store = pl.DataFrame()
    outcomes = []
    for move in moves.iter_rows(named=True):
        now = move["created_at"]
        if store.height:
            decided = evaluate_predictions(store, hourly, now)
            outcomes.append(decided)
            store = store.join(decided.select("prediction_id", pl.col("status").alias("_new")), on="prediction_id",
                               how="left").with_columns(pl.coalesce("_new", "status").alias("status")).drop("_new")
        entry = hourly.filter(pl.col("timestamp") == now - timedelta(hours=1)).select(
            "coin_id", pl.col("close").alias("price"))
        new = create_predictions(pl.DataFrame([move], schema=moves.schema), relations, entry,
                                 pending=store if store.height else None)
        new = new.with_row_index("prediction_id", offset=store.height).cast({"prediction_id": pl.Int64})
        store = pl.concat([store, new]) if store.height else new
    outcomes.append(evaluate_predictions(store, hourly, END))
    return store, pl.concat(outcomes)


@dataclass(frozen=True)
class Replay:
    hourly: pl.DataFrame
    store: pl.DataFrame  # every prediction created, with its latest status
    outcomes: pl.DataFrame
    planted: list[tuple[int, int, int]]  # (leader, follower, sign)


@pytest.fixture(scope="module")
def replay() -> Replay:
    hourly, ids, market = synthetic_hourly(n_coins=20, days=30)
    planted = [(ids[r.leader], ids[r.follower], r.sign) for r in market.ground_truth().relations]
    relations = compute_relations(hourly, 60, as_of=RELATIONS_AS_OF)
    store, outcomes = _walk(hourly, relations, sorted({leader for leader, _, _ in planted}))
    return Replay(hourly, store, outcomes, planted)


def test_predictions_go_only_to_planted_followers_in_the_direction_the_sign_implies(replay: Replay) -> None:
    store = replay.store
    signs = {(leader, follower): sign for leader, follower, sign in replay.planted}
    assert store.height > 100
    pairs = set(zip(store["leader_coin_id"], store["follower_coin_id"], strict=True))
    assert pairs == set(signs)
    leader_up = store["prediction_event"] == "leader_breakout"
    follower_up = store["expected_move"] == "up"
    expected = [signs[(lead, follow)] for lead, follow in zip(store["leader_coin_id"], store["follower_coin_id"],
                                                                strict=True)]
    assert ((leader_up == follower_up) == pl.Series(expected).eq(1)).all()


def test_every_prediction_is_decided_once_and_never_overlaps_a_pending_one(replay: Replay) -> None:
    store, outcomes = replay.store, replay.outcomes
    assert outcomes["prediction_id"].n_unique() == outcomes.height == store.height
    timeline = store.join(outcomes.select("prediction_id", "decided_candle"), on="prediction_id").sort("created_at")
    previous_end = timeline.group_by("leader_coin_id", "follower_coin_id", maintain_order=True).agg(
        pl.col("created_at").slice(1).alias("next_created"), pl.col("decided_candle").slice(0, pl.len() - 1))
    for row in previous_end.iter_rows(named=True):
        assert all(nxt >= done + timedelta(hours=1) for nxt, done in zip(row["next_created"], row["decided_candle"],
                                                                          strict=True))


def test_planted_relations_score_a_clearly_positive_ic_and_rank_ic(replay: Replay) -> None:
    scored = replay.store.drop("status").join(replay.outcomes, on="prediction_id")
    overall = prediction_quality(scored).row(0, named=True)
    assert overall["ic"] > 0.5 and overall["rank_ic"] > 0.5
    assert overall["expired"] == 0 and 0.3 < overall["hit_rate"] < 1.0


def test_the_ledger_from_the_replay_lifts_or_lowers_the_recomputed_relations(replay: Replay) -> None:
    ledger = feedback_rows(replay.outcomes, replay.store)
    recomputed = compute_relations(replay.hourly, 60, as_of=END - timedelta(hours=1))
    applied = apply_feedback(recomputed, ledger).filter(pl.col("feedback_adjustment") != 0)
    assert applied.height == 5
    expected = (applied["base_confidence"] + applied["feedback_adjustment"]).clip(0.05, 0.99)
    assert (applied["confidence"] - expected).abs().max() < 1e-12  # type: ignore[operator]
