"""Signal fusion → market decisions (reference §5.3 without news; §8 fusion scenarios), pure."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import pytest

from iris_assets.signals.bands import confidence_band
from iris_assets.signals.fusion import (
    OUTPUT_SCHEMA,
    decide,
    fuse_market_decisions,
    regime_weight,
    signal_archetype,
)

T0 = datetime(2026, 3, 11, 13, 45, tzinfo=UTC)
M15 = timedelta(minutes=15)
SIGNAL_SCHEMA = pl.Schema({
    "coin_id": pl.Int32(), "timeframe": pl.Int16(), "timestamp": pl.Datetime("us", "UTC"), "signal_type": pl.String(),
    "direction": pl.String(), "confidence": pl.Float64(), "priority_score": pl.Float64(), "context_score": pl.Float64(),
    "regime_alignment": pl.Float64(), "success_rate": pl.Float64(),
})
PREVIOUS_SCHEMA = pl.Schema({"coin_id": pl.Int32(), "timeframe": pl.Int16(), "timestamp": pl.Datetime("us", "UTC"),
                             "decision": pl.String(), "confidence": pl.Float64()})


def sig(signal_type: str, direction: str, confidence: float, *, at: datetime = T0, coin: int = 1, tf: int = 15,
        priority: float | None = 1.0, context: float | None = 1.0, alignment: float | None = 1.0,
        success: float | None = None) -> dict[str, object]:
    return {"coin_id": coin, "timeframe": tf, "timestamp": at, "signal_type": signal_type, "direction": direction,
            "confidence": confidence, "priority_score": priority, "context_score": context,
            "regime_alignment": alignment, "success_rate": success}


def signals(*rows: dict[str, object]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=SIGNAL_SCHEMA)


def regimes(*rows: tuple[int, datetime, str | None], tf: int = 15) -> pl.DataFrame:
    return pl.DataFrame([(coin, tf, at, regime) for coin, at, regime in rows],
                        schema={"coin_id": pl.Int32, "timeframe": pl.Int16, "timestamp": pl.Datetime("us", "UTC"),
                                "regime": pl.String}, orient="row")


def relations(*rows: tuple[int, int, datetime, float, float], tf: int = 15) -> pl.DataFrame:
    """Rows (leader, follower, as_of, confidence, correlation)."""
    return pl.DataFrame([(lead, fol, tf, as_of, conf, corr) for lead, fol, as_of, conf, corr in rows],
                        schema={"leader_coin_id": pl.Int32, "follower_coin_id": pl.Int32, "timeframe": pl.Int16,
                                "as_of": pl.Datetime("us", "UTC"), "confidence": pl.Float64,
                                "correlation": pl.Float64}, orient="row")


def sectors(*rows: tuple[int, int, datetime, str | None]) -> pl.DataFrame:
    """Rows (coin, timeframe, as_of, trend)."""
    return pl.DataFrame(list(rows), schema={"coin_id": pl.Int32, "timeframe": pl.Int16,
                                            "as_of": pl.Datetime("us", "UTC"), "trend": pl.String}, orient="row")


def previous(*rows: tuple[int, str, float, datetime], tf: int = 15) -> pl.DataFrame:
    """Rows (coin, decision, confidence, timestamp)."""
    return pl.DataFrame([(coin, tf, at, decision, conf) for coin, decision, conf, at in rows],
                        schema=PREVIOUS_SCHEMA, orient="row")


def fuse(frame: pl.DataFrame, *, since: datetime = T0, regime: pl.DataFrame | None = None,
         relation: pl.DataFrame | None = None, sector: pl.DataFrame | None = None,
         prior: pl.DataFrame | None = None) -> pl.DataFrame:
    return fuse_market_decisions(frame, regime, relation, sector, prior, since).decisions


def only_row(frame: pl.DataFrame) -> dict[str, Any]:
    assert frame.height == 1, frame
    return frame.row(0, named=True)


# --- reference scenarios (§8) --------------------------------------------------------------------------


def test_a_bullish_stack_with_good_statistics_in_a_bull_trend_buys() -> None:
    stack = signals(sig("pattern_bull_flag", "bullish", 0.82, success=0.72),
                    sig("pattern_breakout_retest", "bullish", 0.77, success=0.69),
                    sig("pattern_macd_cross", "bullish", 0.74, success=0.66))
    row = only_row(fuse(stack, regime=regimes((1, T0, "bull_trend"))))
    assert row["decision"] == "BUY"
    assert row["confidence"] >= 0.45
    assert row["signal_count"] == 3
    assert row["bearish_score"] == 0.0
    assert row["flags"] == "strong_directional_agreement,high_confidence_threshold"


def test_a_bull_flag_against_a_head_and_shoulders_of_similar_confidence_holds() -> None:
    conflict = signals(sig("pattern_bull_flag", "bullish", 0.78, success=0.64),
                       sig("pattern_head_shoulders", "bearish", 0.77, success=0.63))
    row = only_row(fuse(conflict))
    assert row["decision"] == "HOLD"
    assert row["confidence"] >= 0.35
    assert "balanced_directional_scores" in str(row["flags"]).split(",")


def test_a_bollinger_stack_is_worth_more_in_high_volatility_than_in_a_sideways_range() -> None:
    def stack(coin: int, expansion: float, squeeze: float) -> list[dict[str, object]]:
        return [sig("pattern_bollinger_expansion", "bullish", 0.76, coin=coin, success=expansion),
                sig("pattern_bollinger_squeeze", "bullish", 0.74, coin=coin, success=squeeze)]

    frame = signals(*stack(1, 0.76, 0.73), *stack(2, 0.49, 0.5))
    rows = fuse(frame, regime=regimes((1, T0, "high_volatility"), (2, T0, "sideways_range")))
    high_vol, sideways = rows.row(0, named=True), rows.row(1, named=True)
    assert high_vol["decision"] == "BUY"
    assert high_vol["confidence"] > sideways["confidence"]
    assert high_vol["bullish_score"] > sideways["bullish_score"]


def test_the_decision_rule_branches() -> None:
    assert decide(0.0, 0.0, 0.1) == ("WATCH", 0.2)
    decision, confidence = decide(1.0, 0.95)
    assert decision == "HOLD"
    # dominance 0.05/1.95; 0.4 + 0.3·(1 − dominance) + min(1.95/4, 0.15)
    assert confidence == pytest.approx(0.4 + 0.3 * (1 - 0.05 / 1.95) + 0.15)
    decision, confidence = decide(0.2, 1.3)
    assert decision == "SELL"
    assert confidence == pytest.approx(min(0.45 + 0.35 * (1.1 / 1.5) + 0.22, 0.96))
    assert decide(0.3, 0.1) == ("WATCH", 0.22)  # one-sided but total < 0.55
    assert decide(0.3, 0.0)[0] == "WATCH"
    assert decide(0.6, 0.0) == ("BUY", pytest.approx(0.45 + 0.35 + 0.15))
    assert decide(0.5, 0.5)[0] == "HOLD"  # a tie with both sides positive is balanced


def test_regime_weights_follow_the_reference_table() -> None:
    assert regime_weight("pattern_bull_flag", "bullish", "bear_trend") == 0.8
    assert regime_weight("pattern_bear_flag", "bearish", "bear_trend") == 1.2
    assert regime_weight("pattern_bull_flag", "bullish", "sideways_range") == 0.85
    assert regime_weight("pattern_bull_flag", "bullish", "low_volatility") == 1.05
    assert regime_weight("pattern_custom", "bullish", "bear_trend") == 1.0
    assert regime_weight("pattern_inverse_head_shoulders", "bullish", "bull_trend") == 1.05
    assert regime_weight("pattern_head_shoulders", "bearish", "bull_trend") == 0.85
    assert regime_weight("pattern_rsi_divergence", "bullish", "sideways_range") == 1.2
    assert regime_weight("pattern_rsi_divergence", "bearish", "high_volatility") == 0.9
    assert regime_weight("pattern_bollinger_squeeze", "bullish", "low_volatility") == 0.9
    assert regime_weight("pattern_bollinger_squeeze", "bullish", "high_volatility") == 1.2
    assert regime_weight("pattern_bull_flag", "bullish", None) == 1.0


def test_hierarchy_and_cluster_signals_map_to_their_archetypes() -> None:
    # The reference looked up "hierarchy_trend_continuation" and so never matched its own table.
    assert signal_archetype("pattern_hierarchy_trend_continuation") == "continuation"
    assert signal_archetype("pattern_hierarchy_accumulation") == "reversal"
    assert signal_archetype("pattern_hierarchy_distribution") == "reversal"
    assert signal_archetype("pattern_hierarchy_trend_exhaustion") == "reversal"
    assert signal_archetype("pattern_cluster_bullish") == "continuation"
    assert signal_archetype("pattern_cluster_bearish") == "continuation"
    assert signal_archetype("golden_cross") == "generic"
    assert regime_weight("pattern_hierarchy_distribution", "bearish", "bear_trend") == 1.05
    assert regime_weight("pattern_cluster_bearish", "bearish", "bear_trend") == 1.2


# --- hand-computed case --------------------------------------------------------------------------------


def test_a_hand_computed_fusion_with_every_factor() -> None:
    t0, t1, t2, t3 = T0, T0 + M15, T0 + 2 * M15, T0 + 3 * M15
    frame = signals(
        # 4th most recent timestamp: outside the 3-timestamp window.
        sig("pattern_bull_flag", "bullish", 0.9, coin=2, at=t0, success=0.9),
        # age 2 (recency 0.8): bearish reversal in bull_trend → 0.85; priority max(0.5, 0.7) = 0.7
        sig("pattern_head_shoulders", "bearish", 0.7, coin=2, at=t1, priority=0.5, context=1.2, alignment=0.9,
            success=0.6),
        # age 1 (recency 0.9): indicator signal, null success → 0.55, null priority → conf 0.6,
        # null context/alignment → 1.0, generic → 1.0
        sig("golden_cross", "bullish", 0.6, coin=2, at=t2, priority=None, context=None, alignment=None),
        # age 0: bullish continuation in bull_trend → 1.2
        sig("pattern_bull_flag", "bullish", 0.8, coin=2, at=t3, alignment=1.25, success=0.7),
        # neutral: counted, scores nothing
        sig("pattern_volume_spike", "neutral", 0.7, coin=2, at=t3, success=0.9),
        # hierarchy → continuation 1.2 (prefix fix); null success → 0.58; priority 2.0 → 1.6; context 1.5 → 1.4
        sig("pattern_hierarchy_trend_continuation", "bullish", 0.78, coin=2, at=t3, priority=2.0, context=1.5),
        # bearish continuation in bull_trend → 0.8
        sig("pattern_bear_flag", "bearish", 0.9, coin=2, at=t3, success=0.8),
    )
    relation = relations(
        (1, 2, t0 - timedelta(days=1), 0.6, 0.5),  # strength 0.6·0.5 = 0.3
        (3, 2, t0 - timedelta(days=1), 0.4, 0.9),  # confidence < 0.45: ignored
    )
    prior = previous((1, "BUY", 0.7, t0 - timedelta(hours=1)), (3, "SELL", 0.9, t0 - timedelta(hours=1)))
    # No 15m sector row: the 1h trend applies.
    sector = sectors((2, 60, t0 - timedelta(days=1), "bullish"))
    row = only_row(fuse(frame, since=t3, regime=regimes((2, t3, "bull_trend")), relation=relation, sector=sector,
                        prior=prior))

    # Leader 1 BUY (conf 0.7): delta = min(0.3·max(0.7, 0.3), 0.22) = 0.21 → bullish +0.21, bearish −0.8·0.21.
    # Sector bullish: bullish +0.05, bearish −0.04.
    bull_align = 1 + 0.21 + 0.05  # 1.26
    bear_align = 1 - 0.8 * 0.21 - 0.04  # 0.792
    # score = conf · success · regime_w · context · alignment · cross · priority · recency
    bull_flag = 0.8 * 0.7 * 1.2 * 1.0 * 1.25 * bull_align * 1.0 * 1.0  # 1.0584
    hierarchy = 0.78 * 0.58 * 1.2 * 1.4 * 1.0 * bull_align * 1.6 * 1.0  # 1.532224512
    golden_cross = 0.6 * 0.55 * 1.0 * 1.0 * 1.0 * bull_align * 0.6 * 0.9  # 0.224532
    head_shoulders = 0.7 * 0.6 * 0.85 * 1.2 * 0.9 * bear_align * 0.7 * 0.8  # 0.1710035712
    bear_flag = 0.9 * 0.8 * 0.8 * 1.0 * 1.0 * bear_align * 1.0 * 1.0  # 0.456192
    bullish = bull_flag + hierarchy + golden_cross  # 2.815156512
    bearish = head_shoulders + bear_flag  # 0.6271955712
    dominance = (bullish - bearish) / (bullish + bearish)  # 0.63560...
    confidence = 0.45 + 0.35 * dominance + min((bullish + bearish) / 4, 0.22)  # 0.89246...
    assert row["signal_count"] == 6
    assert row["regime"] == "bull_trend"
    assert row["bullish_score"] == pytest.approx(bullish)
    assert row["bearish_score"] == pytest.approx(bearish)
    assert row["decision"] == "BUY"
    assert row["confidence"] == pytest.approx(confidence)
    assert row["confidence_band"] == "very_high"
    assert row["agreement"] == pytest.approx(dominance)
    assert row["cross_alignment"] == pytest.approx(bull_align)
    assert row["dominant_factors"] == "pattern_hierarchy_trend_continuation,pattern_bull_flag,pattern_bear_flag"
    assert row["flags"] == "strong_directional_agreement,high_confidence_threshold"


def test_the_window_keeps_the_latest_20_signals() -> None:
    # 25 signals at t and 5 at t − 15m: the 20 latest are all at t, taken by signal_type ascending.
    at_t = [sig(f"golden_cross_{i:02d}", "bullish", 0.6) for i in range(25)]
    before = [sig(f"death_cross_{i:02d}", "bearish", 0.9, at=T0 - M15) for i in range(5)]
    row = only_row(fuse(signals(*at_t, *before)))
    assert row["signal_count"] == 20
    assert row["bearish_score"] == 0.0
    assert row["dominant_factors"] == "golden_cross_00,golden_cross_01,golden_cross_02"


def test_a_window_of_only_neutral_signals_watches() -> None:
    row = only_row(fuse(signals(sig("pattern_volume_spike", "neutral", 0.9))))
    assert (row["decision"], row["confidence"], row["signal_count"]) == ("WATCH", 0.2, 1)
    assert row["dominant_factors"] == ""
    assert row["flags"] == "below_watch_min_total_score"


# --- change filter ------------------------------------------------------------------------------------


def test_evaluating_the_same_data_twice_adds_no_rows() -> None:
    frame = signals(*[sig("pattern_bull_flag", "bullish", 0.5 + 0.04 * i, at=T0 + i * M15, success=0.7)
                      for i in range(6)],
                    sig("pattern_bear_flag", "bearish", 0.8, at=T0 + 2 * M15))
    first = fuse(frame)
    assert first.height >= 1
    last = first.tail(1)
    again = fuse(frame, since=last.item(0, "timestamp"), prior=last.select(list(PREVIOUS_SCHEMA)))
    assert again.is_empty()
    assert again.schema == pl.Schema(OUTPUT_SCHEMA)


def test_a_band_change_alone_produces_a_row() -> None:
    frame = signals(sig("pattern_bull_flag", "bullish", 0.82, success=0.72))
    row = only_row(fuse(frame))
    assert row["decision"] == "BUY"
    band = row["confidence_band"]
    assert band == confidence_band(float(row["confidence"]))
    lower = {"very_high": 0.6, "high": 0.4, "moderate": 0.2}[str(band)]
    moved = fuse(frame, prior=previous((1, "BUY", lower, T0 - M15)))
    assert only_row(moved)["confidence_band"] == band
    same_band = fuse(frame, prior=previous((1, "BUY", float(row["confidence"]) - 0.001, T0 - M15)))
    assert same_band.is_empty()
    other_decision = fuse(frame, prior=previous((1, "SELL", float(row["confidence"]), T0 - M15)))
    assert other_decision.height == 1


def test_only_changes_are_kept_within_a_run() -> None:
    frame = signals(*[sig("pattern_bull_flag", "bullish", 0.82, at=T0 + i * M15, success=0.72) for i in range(4)])
    rows = fuse(frame)
    assert rows.get_column("timestamp").to_list() == [T0]


# --- cross-market -------------------------------------------------------------------------------------


def follower_stack(at: datetime) -> list[dict[str, object]]:
    return [sig("pattern_bull_flag", "bullish", 0.7, coin=2, at=at, success=0.6),
            sig("pattern_bear_flag", "bearish", 0.5, coin=2, at=at, success=0.6)]


def test_a_leader_buy_before_t_lifts_the_followers_bullish_score() -> None:
    frame = signals(*follower_stack(T0))
    alone = only_row(fuse(frame))
    relation = relations((1, 2, T0 - timedelta(days=1), 0.8, 0.6))
    led = only_row(fuse(frame, relation=relation, prior=previous((1, "BUY", 0.8, T0 - timedelta(hours=2)))))
    assert led["bullish_score"] > alone["bullish_score"]
    assert led["bearish_score"] < alone["bearish_score"]
    # delta = min(0.8·0.6·0.8, 0.22) = 0.22 (capped)
    assert led["cross_alignment"] == pytest.approx(1.22)
    # An inverse relation turns the leader's BUY into a bearish push.
    inverse = relations((1, 2, T0 - timedelta(days=1), 0.8, -0.6))
    flipped = only_row(fuse(frame, relation=inverse, prior=previous((1, "BUY", 0.8, T0 - timedelta(hours=2)))))
    assert flipped["bullish_score"] < alone["bullish_score"]
    assert flipped["bearish_score"] > alone["bearish_score"]
    # A relation snapshot taken after t is not used.
    late = relations((1, 2, T0 + M15, 0.8, 0.6))
    unrelated = only_row(fuse(frame, relation=late, prior=previous((1, "BUY", 0.8, T0 - timedelta(hours=2)))))
    assert unrelated["bullish_score"] == pytest.approx(alone["bullish_score"])


def test_the_leaders_decision_at_t_itself_is_not_used() -> None:
    t1 = T0 + M15
    leader_sell = [sig("pattern_bear_flag", "bearish", 0.9, coin=1, at=T0, success=0.9),
                   sig("pattern_head_shoulders", "bearish", 0.9, coin=1, at=T0, success=0.9)]
    frame = signals(*leader_sell, *follower_stack(T0), *follower_stack(t1))
    relation = relations((1, 2, T0 - timedelta(days=1), 0.8, 0.6))
    prior = previous((1, "BUY", 0.8, T0 - timedelta(hours=2)))
    rows = fuse(frame, relation=relation, prior=prior)
    leader = rows.filter(pl.col("coin_id") == 1)
    assert leader.get_column("decision").to_list() == ["SELL"]
    assert leader.item(0, "timestamp") == T0
    follower = rows.filter(pl.col("coin_id") == 2).sort("timestamp")
    at_t = fuse(signals(*follower_stack(T0)), relation=relation, prior=prior)
    # At T0 the follower still sees the stored BUY from before T0 ...
    assert follower.row(0, named=True)["bullish_score"] == pytest.approx(at_t.item(0, "bullish_score"))
    assert follower.row(0, named=True)["cross_alignment"] == pytest.approx(1.22)
    # ... and at T0 + 15m the SELL stored at T0: 1 − 0.8·0.22 on the bullish side, 1.22 on the bearish one.
    still_buy = fuse(signals(*follower_stack(T0), *follower_stack(t1)), since=t1, relation=relation, prior=prior)
    after, unchanged = (frame.filter(pl.col("timestamp") == t1).row(0, named=True)
                        for frame in (follower, still_buy))
    assert after["bullish_score"] == pytest.approx(unchanged["bullish_score"] * (1 - 0.8 * 0.22) / 1.22)
    assert after["bearish_score"] == pytest.approx(unchanged["bearish_score"] * 1.22 / (1 - 0.8 * 0.22))


def test_a_sector_trend_of_the_same_timeframe_wins_over_the_hourly_one() -> None:
    frame = signals(*follower_stack(T0))
    both = sectors((2, 15, T0 - timedelta(hours=1), "bearish"), (2, 60, T0 - timedelta(hours=1), "bullish"))
    row = only_row(fuse(frame, sector=both))
    alone = only_row(fuse(frame))
    assert row["bullish_score"] == pytest.approx(alone["bullish_score"] * 0.96)
    assert row["bearish_score"] == pytest.approx(alone["bearish_score"] * 1.05)


# --- time safety and the oracle -----------------------------------------------------------------------

TYPES = [("pattern_bull_flag", "bullish"), ("pattern_bear_flag", "bearish"), ("pattern_head_shoulders", "bearish"),
         ("pattern_bollinger_squeeze", "bullish"), ("pattern_hierarchy_distribution", "bearish"),
         ("pattern_cluster_bullish", "bullish"), ("golden_cross", "bullish"), ("death_cross", "bearish"),
         ("pattern_volume_spike", "neutral"), ("pattern_rsi_divergence", "bullish")]
REGIME_NAMES = ["bull_trend", "bear_trend", "sideways_range", "high_volatility", "low_volatility", None]


def random_market(seed: int, bars: int = 40) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame,
                                                        pl.DataFrame]:
    rng = random.Random(seed)
    rows, regime_rows = [], []
    for coin in (1, 2, 3, 4):
        for tf in (15, 60):
            for bar in range(bars):
                at = T0 + timedelta(minutes=tf * bar)
                regime_rows.append((coin, tf, at, rng.choice(REGIME_NAMES)))
                if rng.random() < 0.5:
                    continue
                for name, direction in rng.sample(TYPES, rng.randint(1, 9)):
                    rows.append(sig(name, direction, rng.uniform(0.4, 0.95), coin=coin, tf=tf, at=at,
                                    priority=rng.choice([None, 0.0, rng.uniform(0.2, 2.0)]),
                                    context=rng.choice([None, rng.uniform(0.3, 1.6)]),
                                    alignment=rng.choice([None, rng.uniform(0.5, 1.5)]),
                                    success=rng.choice([None, rng.uniform(0.2, 1.0)])))
    regime = pl.DataFrame(regime_rows, schema={"coin_id": pl.Int32, "timeframe": pl.Int16,
                                               "timestamp": pl.Datetime("us", "UTC"), "regime": pl.String},
                          orient="row")
    relation_rows = [
        (leader, follower, tf, T0 + timedelta(hours=6 * day + 3), rng.uniform(0.3, 0.9), rng.uniform(-0.9, 0.9),
         rng.random() < 0.8)
        for day in range(-1, 2) for tf in (15, 60) for leader in (1, 2, 3, 4) for follower in (1, 2, 3, 4)
        if leader != follower and rng.random() < 0.7
    ]
    relation = pl.DataFrame(relation_rows, schema={"leader_coin_id": pl.Int32, "follower_coin_id": pl.Int32,
                                                   "timeframe": pl.Int16, "as_of": pl.Datetime("us", "UTC"),
                                                   "confidence": pl.Float64, "correlation": pl.Float64,
                                                   "active": pl.Boolean}, orient="row")
    sector = sectors(*[(coin, tf, T0 + timedelta(hours=h), rng.choice(["bullish", "bearish", "sideways", None]))
                       for coin in (1, 2, 3) for tf in (15, 60) for h in range(-2, 10, 3) if rng.random() < 0.6])
    prior = previous((1, "BUY", 0.7, T0 - timedelta(days=1)), (3, "SELL", 0.5, T0 - timedelta(days=1)),
                     (4, "HOLD", 0.6, T0 - timedelta(days=1)))
    return signals(*rows), regime, relation, sector, prior


def test_no_look_ahead_later_or_shuffled_signals_do_not_change_earlier_decisions() -> None:
    frame, regime, relation, sector, prior = random_market(3)
    cut = T0 + timedelta(hours=5)
    since = T0 + timedelta(hours=1)
    early = frame.filter(pl.col("timestamp") <= cut)
    base = fuse_market_decisions(early, regime, relation, sector, prior, since).decisions
    shuffled = frame.sample(fraction=1.0, shuffle=True, seed=11)
    full = fuse_market_decisions(shuffled, regime, relation, sector, prior, since).decisions
    assert base.height > 0
    assert full.filter(pl.col("timestamp") <= cut).equals(base)
    assert full.height > base.height


def test_the_vectorised_engine_matches_a_row_by_row_oracle() -> None:
    for seed in (1, 2):
        frame, regime, relation, sector, prior = random_market(seed)
        since = T0 + timedelta(hours=2)
        result = fuse_market_decisions(frame, regime, relation, sector, prior, since)
        expected = oracle(frame, regime, relation, sector, prior, since)
        got = result.decisions.sort("timestamp", "coin_id", "timeframe")
        assert result.evaluations == frame.filter(pl.col("timestamp") >= since).select(
            "coin_id", "timeframe", "timestamp").unique().height
        assert got.height == len(expected)
        for actual, wanted in zip(got.iter_rows(named=True), expected, strict=True):
            for name, value in wanted.items():
                if isinstance(value, float):
                    assert actual[name] == pytest.approx(value), (name, actual, wanted)
                else:
                    assert actual[name] == value, (name, actual, wanted)


def oracle(frame: pl.DataFrame, regime: pl.DataFrame, relation: pl.DataFrame, sector: pl.DataFrame,
           prior: pl.DataFrame, since: datetime) -> list[dict[str, object]]:
    """The §5.3 rules one evaluation at a time, in plain Python (slow and obvious)."""
    rows = frame.to_dicts()
    regime_at = {(r["coin_id"], r["timeframe"], r["timestamp"]): r["regime"] for r in regime.iter_rows(named=True)}
    stored = {(r["coin_id"], r["timeframe"]): r for r in prior.iter_rows(named=True)}
    points = sorted({(r["timestamp"], r["coin_id"], r["timeframe"]) for r in rows if r["timestamp"] >= since})
    out: list[dict[str, object]] = []
    for at in sorted({p[0] for p in points}):
        new = {}
        for _, coin, tf in [p for p in points if p[0] == at]:
            past = sorted((r for r in rows if (r["coin_id"], r["timeframe"]) == (coin, tf) and r["timestamp"] <= at),
                          key=lambda r: (-r["timestamp"].timestamp(), r["signal_type"]))[:20]
            stamps = sorted({r["timestamp"] for r in past}, reverse=True)[:3]
            window = [r for r in past if r["timestamp"] in stamps]
            bar_regime = regime_at.get((coin, tf, at))
            bull_align, bear_align = 1.0, 1.0
            snaps = [r for r in relation.iter_rows(named=True)
                     if (r["follower_coin_id"], r["timeframe"]) == (coin, tf) and r["as_of"] <= at]
            if snaps:
                newest = max(r["as_of"] for r in snaps)
                usable = [r for r in snaps if r["as_of"] == newest and r["active"] and r["confidence"] >= 0.45]
                for r in sorted(usable, key=lambda r: (-r["confidence"], -r["correlation"], r["leader_coin_id"]))[:3]:
                    lead = stored.get((r["leader_coin_id"], tf))
                    if lead is None or lead["decision"] not in ("BUY", "SELL"):
                        continue
                    push = (1 if lead["decision"] == "BUY" else -1) * (1 if r["correlation"] >= 0 else -1)
                    delta = min(r["confidence"] * abs(r["correlation"]) * max(lead["confidence"], 0.3), 0.22)
                    bull_align += delta if push > 0 else -0.8 * delta
                    bear_align += delta if push < 0 else -0.8 * delta
            trends = [r for r in sector.iter_rows(named=True) if (r["coin_id"], r["timeframe"]) == (coin, tf)
                      and r["as_of"] <= at] or [r for r in sector.iter_rows(named=True)
                                                if (r["coin_id"], r["timeframe"]) == (coin, 60) and r["as_of"] <= at]
            trend = max(trends, key=lambda r: r["as_of"])["trend"] if trends else None
            bull_align += {"bullish": 0.05, "bearish": -0.04}.get(trend or "", 0.0)
            bear_align += {"bearish": 0.05, "bullish": -0.04}.get(trend or "", 0.0)
            bull_align, bear_align = min(max(bull_align, 0.75), 1.35), min(max(bear_align, 0.75), 1.35)
            bullish = bearish = 0.0
            features: dict[str, float] = {}
            for r in window:
                if r["direction"] == "neutral":
                    continue
                default = 0.58 if r["signal_type"].startswith(("pattern_cluster_", "pattern_hierarchy_")) else 0.55
                success = default if r["success_rate"] is None else min(max(r["success_rate"], 0.35), 0.95)
                context = min(max(r["context_score"] or 1.0, 0.6), 1.4)
                alignment = min(max(r["regime_alignment"] or 1.0, 0.6), 1.4)
                priority = min(max(max(r["priority_score"] or 0.0, r["confidence"]), 0.45), 1.6)
                recency = max(1 - 0.1 * stamps.index(r["timestamp"]), 0.75)
                cross = bull_align if r["direction"] == "bullish" else bear_align
                score = (min(max(r["confidence"], 0.01), 1.0) * success
                         * regime_weight(r["signal_type"], r["direction"], bar_regime) * context * alignment * cross
                         * priority * recency)
                if r["direction"] == "bullish":
                    bullish += score
                else:
                    bearish += score
                features[r["signal_type"]] = features.get(r["signal_type"], 0.0) + (
                    score if r["direction"] == "bullish" else -score)
            decision, confidence = decide(bullish, bearish)
            last = stored.get((coin, tf))
            if last is not None and last["decision"] == decision and \
                    confidence_band(last["confidence"]) == confidence_band(confidence):
                continue
            total = bullish + bearish
            agreement = abs(bullish - bearish) / total if total > 0 else 0.0
            flags = [name for name, on in (
                ("below_watch_min_total_score", total < 0.55), ("balanced_directional_scores", decision == "HOLD"),
                ("strong_directional_agreement", agreement >= 0.5), ("high_confidence_threshold", confidence >= 0.75),
            ) if on]
            ranked = sorted((k for k, v in features.items() if v != 0), key=lambda k: (-abs(features[k]), k))
            out.append({"coin_id": coin, "timeframe": tf, "timestamp": at, "decision": decision,
                        "confidence": confidence, "signal_count": len(window), "bullish_score": bullish,
                        "bearish_score": bearish, "agreement": agreement, "regime": bar_regime,
                        "cross_alignment": bull_align if bullish > bearish else bear_align,
                        "dominant_factors": ",".join(ranked[:3]), "flags": ",".join(flags)})
            new[(coin, tf)] = {"decision": decision, "confidence": confidence}
        stored.update(new)
    return out
