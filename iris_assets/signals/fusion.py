"""Signal fusion → market decisions (reference §5.3 without news), pure Polars/NumPy.

At every distinct (coin, timeframe, candle open time t) of the signals at or after ``since`` the
window is the latest 20 signals with timestamp ≤ t (timestamp desc, then signal_type asc), cut to
its 3 most recent distinct timestamps. Each signal scores

    clamp(conf, 0.01, 1) · success · regime_weight · clamp(context, 0.6, 1.4)
    · clamp(regime_alignment, 0.6, 1.4) · cross_factor · clamp(max(priority, conf), 0.45, 1.6) · recency

with recency = max(1 − 0.1·age_index, 0.75); bullish scores sum to B, bearish ones to S and the
decision rule of step 7 turns (B, S) into WATCH / HOLD / BUY / SELL. IRIS has no news source, so
steps 5 and 8 are left out and the policy path is always ``signal_fusion/v1/base``.

Where this differs from the reference, on purpose:

* Bias comes from the signal's ``direction`` (DECISIONS 10). Neutral signals add to neither B nor S
  and have a zero feature score (the reference counted them bullish); they count in signal_count.
* Archetypes are looked up after stripping ``pattern_`` and then ``hierarchy_``, so the hierarchy
  meta-signals (``pattern_hierarchy_trend_continuation`` → continuation; ``..._accumulation``,
  ``..._distribution``, ``..._trend_exhaustion`` → reversal) get the weights the reference's tables
  name for them; the reference looked up ``hierarchy_…`` and always fell through to "generic".
  ``pattern_cluster_bullish`` / ``_bearish`` are continuation, as in the reference.
* ``success_rate`` is supplied by the caller per signal (point in time) and clamped to [0.35, 0.95]
  for any signal type; when null the reference defaults apply: 0.58 for cluster/hierarchy types
  (reachable here, unlike in the reference), 0.55 otherwise.
* A negative lead/lag correlation (DECISIONS 18) flips the leader's decision: a leader SELL counts
  as a bullish push for the follower. Strength = confidence · |correlation|.
* A leader's decision is its latest *stored* row strictly before t (rows kept by this run's change
  filter, else ``previous``), so the evaluation runs one timestamp at a time across coins.
* A row is kept only when the decision or its confidence band changes (DECISIONS 15,
  ``bands.confidence_band``), instead of the reference's "same decision, count and |Δconf| < 0.03".

Context and regime-alignment values of 0 or null count as 1.0 (the reference's ``x or 1.0``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import polars as pl

from .bands import BAND_EDGES, confidence_band_expr
from .fusion_windows import SignalRows, member_rows, top_kinds, window_bounds, window_scores

__all__ = [
    "DECISIONS",
    "OUTPUT_SCHEMA",
    "POLICY_PATH",
    "FusionResult",
    "decide",
    "decision_arrays",
    "fuse_market_decisions",
    "regime_weight",
    "signal_archetype",
]

POLICY_PATH = "signal_fusion/v1/base"
FUSION_SIGNAL_LIMIT = 20
FUSION_CANDLE_GROUPS = 3
WATCH_MIN_TOTAL_SCORE = 0.55
RELATION_MIN_CONFIDENCE = 0.45
RELATION_TOP = 3
LEADER_DELTA_CAP = 0.22
LEADER_MIN_CONFIDENCE = 0.3
OPPOSITE_LEADER_FACTOR = 0.8
SECTOR_AGREE, SECTOR_OPPOSE = 0.05, -0.04
ALIGNMENT_RANGE = (0.75, 1.35)
SECTOR_FALLBACK_TIMEFRAME = 60
DEFAULT_SUCCESS, META_SUCCESS = 0.55, 0.58
STRONG_AGREEMENT, HIGH_CONFIDENCE = 0.5, 0.75

# Decision codes: index into DECISIONS. Direction of each decision as a leader: BUY +1, SELL −1.
DECISIONS: tuple[str, ...] = ("WATCH", "HOLD", "BUY", "SELL")
_WATCH, _HOLD, _BUY, _SELL = range(4)
_UNKNOWN_DECISION = len(DECISIONS)  # a stored label outside the vocabulary: direction 0, never equal
# Push of a leader's stored decision, indexed by code + 1 (code −1 = no decision yet).
_LEADER_PUSH = np.array([0, 0, 0, 1, -1, 0], dtype=np.int8)

# Reference §5.3 step 6 archetype tables (slugs after stripping ``pattern_`` and ``hierarchy_``).
CONTINUATION = frozenset({
    "bull_flag", "bear_flag", "pennant", "breakout_retest", "consolidation_breakout", "high_tight_flag",
    "measured_move_bullish", "measured_move_bearish", "pullback_continuation_bullish",
    "pullback_continuation_bearish", "trend_continuation", "cluster_bullish", "cluster_bearish",
})
REVERSAL = frozenset({
    "head_shoulders", "inverse_head_shoulders", "double_top", "double_bottom", "triple_top", "triple_bottom",
    "rising_wedge", "falling_wedge", "momentum_exhaustion", "trend_exhaustion", "accumulation", "distribution",
})
BREAKOUT = frozenset({
    "ascending_triangle", "descending_triangle", "symmetrical_triangle", "bollinger_squeeze",
    "bollinger_expansion", "atr_spike", "volatility_expansion_breakout", "squeeze_breakout",
    "narrow_range_breakout",
})
MEAN_REVERSION = frozenset({"rsi_divergence", "macd_divergence", "volume_divergence", "mean_reversion_snap"})
# (regime, archetype) -> (weight of a bullish signal, weight of a bearish signal); anything else 1.0.
REGIME_WEIGHTS: dict[tuple[str, str], tuple[float, float]] = {
    ("bull_trend", "continuation"): (1.2, 0.8),
    ("bull_trend", "reversal"): (1.05, 0.85),
    ("bear_trend", "continuation"): (0.8, 1.2),
    ("bear_trend", "reversal"): (0.85, 1.05),
    ("sideways_range", "mean_reversion"): (1.2, 1.2),
    ("sideways_range", "continuation"): (0.85, 0.85),
    ("sideways_range", "breakout"): (0.85, 0.85),
    ("high_volatility", "breakout"): (1.2, 1.2),
    ("high_volatility", "mean_reversion"): (0.9, 0.9),
    ("low_volatility", "breakout"): (0.9, 0.9),
    ("low_volatility", "continuation"): (1.05, 1.05),
}

OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "coin_id": pl.Int32(), "timeframe": pl.Int16(), "timestamp": pl.Datetime("us", "UTC"),
    "decision": pl.String(), "confidence": pl.Float64(), "confidence_band": pl.String(),
    "signal_count": pl.Int32(), "bullish_score": pl.Float64(), "bearish_score": pl.Float64(),
    "agreement": pl.Float64(), "cross_alignment": pl.Float64(), "regime": pl.String(),
    "dominant_factors": pl.String(), "flags": pl.String(),
}
_KEYS = ["coin_id", "timeframe"]
_TS = pl.Datetime("us", "UTC")


@dataclass(frozen=True, slots=True)
class FusionResult:
    """Rows to store (after the change filter) and how many (coin, timeframe, t) were evaluated."""

    decisions: pl.DataFrame
    evaluations: int


def signal_archetype(signal_type: str) -> str:
    """continuation / reversal / breakout / mean_reversion / generic (prefixes stripped first)."""
    slug = signal_type.removeprefix("pattern_").removeprefix("hierarchy_")
    for name, members in (("continuation", CONTINUATION), ("reversal", REVERSAL), ("breakout", BREAKOUT),
                          ("mean_reversion", MEAN_REVERSION)):
        if slug in members:
            return name
    return "generic"


def regime_weight(signal_type: str, direction: str, regime: str | None) -> float:
    """Step 6 regime weight of one signal; neutral signals (which score nothing) get 1.0."""
    bullish, bearish = REGIME_WEIGHTS.get((regime or "", signal_archetype(signal_type)), (1.0, 1.0))
    return {"bullish": bullish, "bearish": bearish}.get(direction, 1.0)


def decision_arrays(bullish: np.ndarray, bearish: np.ndarray, total: np.ndarray | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Step 7 rule, vectorised: (decision codes into ``DECISIONS``, confidence).

    total defaults to B + S (without news it always is). WATCH 0.20 when B + S ≤ 0 and total <
    0.55; HOLD when both sides are positive and dominance |B − S|/(B + S) < 0.2; WATCH 0.22 when
    total < 0.55; otherwise BUY if B > S else SELL.
    """
    bullish, bearish = np.asarray(bullish, dtype=np.float64), np.asarray(bearish, dtype=np.float64)
    directional = bullish + bearish
    total = directional if total is None else np.asarray(total, dtype=np.float64)
    positive = directional > 0
    dominance = np.where(positive, np.abs(bullish - bearish) / np.where(positive, directional, 1.0), 0.0)
    empty = ~positive & (total < WATCH_MIN_TOTAL_SCORE)
    hold = ~empty & (bullish > 0) & (bearish > 0) & (dominance < 0.2)
    weak = ~empty & ~hold & (total < WATCH_MIN_TOTAL_SCORE)
    code = np.where(bullish > bearish, _BUY, _SELL)
    code = np.where(weak | empty, _WATCH, np.where(hold, _HOLD, code)).astype(np.int8)
    directional_conf = np.clip(0.45 + 0.35 * dominance + np.minimum(total / 4, 0.22), 0.3, 0.96)
    hold_conf = np.clip(0.4 + 0.3 * (1.0 - dominance) + np.minimum(total / 4, 0.15), 0.35, 0.86)
    confidence = np.where(empty, 0.20, np.where(hold, hold_conf, np.where(weak, 0.22, directional_conf)))
    return code, confidence


def decide(bullish: float, bearish: float, total: float | None = None) -> tuple[str, float]:
    """Scalar :func:`decision_arrays`: (decision, confidence)."""
    code, confidence = decision_arrays(np.array([bullish]), np.array([bearish]),
                                       None if total is None else np.array([total]))
    return DECISIONS[int(code[0])], float(confidence[0])


def fuse_market_decisions(signals: pl.DataFrame, regimes: pl.DataFrame | None, relations: pl.DataFrame | None,
                          sector_trends: pl.DataFrame | None, previous: pl.DataFrame | None,
                          since: datetime) -> FusionResult:
    """Market decisions at every distinct (coin_id, timeframe, timestamp ≥ since) of ``signals``.

    ``signals``: coin_id, timeframe, timestamp (candle open, UTC), signal_type, direction,
    confidence, priority_score, context_score, regime_alignment, success_rate (nullable); include
    the warm-up history before ``since``. ``regimes``: coin_id, timeframe, timestamp, regime (the
    bar's own regime). ``relations``: leader_coin_id, follower_coin_id, timeframe, as_of,
    confidence, correlation (optionally ``active``) — at t the follower's newest snapshot with
    as_of ≤ t. ``sector_trends``: coin_id, timeframe, as_of, trend — newest as_of ≤ t of the same
    timeframe, else of timeframe 60. ``previous``: the latest stored decision per (coin_id,
    timeframe) before ``since`` (coin_id, timeframe, timestamp, decision, confidence).
    Returns the rows that change the decision or its confidence band (``OUTPUT_SCHEMA``), sorted by
    (coin_id, timeframe, timestamp). ``cross_alignment`` is the factor of the side the rule favours
    (B > S → bullish, else bearish, as in "B > S → BUY else SELL"); ``dominant_factors`` and
    ``flags`` are comma-joined and empty when there is nothing to list.
    """
    prepared = _prepare_signals(signals)
    evals = _evaluation_points(prepared, since)
    if evals.is_empty():
        return FusionResult(pl.DataFrame(schema=OUTPUT_SCHEMA), 0)
    evals = _attach_regime(evals, regimes)
    evals = _attach_side_scores(evals, prepared.rows)
    evals = _attach_sector(evals, sector_trends)
    keys = _key_table(evals, previous, relations)
    evals = evals.join(keys, on=_KEYS, how="left").sort("eid")
    links = _relation_links(evals, relations, keys)
    state = _seed_state(keys.height, previous, keys)
    outcome = _sequential_pass(evals, links, state)
    return FusionResult(_assemble(evals, prepared, outcome), evals.height)


# --- preparation -------------------------------------------------------------------------------------

_ARCHETYPES: tuple[str, ...] = ("continuation", "reversal", "breakout", "mean_reversion", "generic")
_WEIGHTED_REGIMES: tuple[str, ...] = tuple(sorted({regime for regime, _ in REGIME_WEIGHTS}))
_NO_REGIME = len(_WEIGHTED_REGIMES)  # any other (or no) regime: every weight 1.0


def _weight_table() -> np.ndarray:
    """``[regime code, archetype code, sign + 1]`` → regime weight (neutral signals and unlisted pairs 1.0)."""
    table = np.ones((_NO_REGIME + 1, len(_ARCHETYPES), 3))
    for (regime, arch), (bullish, bearish) in REGIME_WEIGHTS.items():
        table[_WEIGHTED_REGIMES.index(regime), _ARCHETYPES.index(arch), 2] = bullish
        table[_WEIGHTED_REGIMES.index(regime), _ARCHETYPES.index(arch), 0] = bearish
    return table


_WEIGHTS = _weight_table()
# Recency by age index (0, 1, 2): max(1 − 0.1·age, 0.75), computed as the frame version did.
_RECENCY = np.maximum(1.0 - 0.1 * np.arange(FUSION_CANDLE_GROUPS, dtype=np.float64), 0.75)


@dataclass(frozen=True, slots=True)
class _Prepared:
    """Sorted signal arrays, the row range of each (coin, timeframe, timestamp) group, type names."""

    rows: SignalRows
    groups: pl.DataFrame
    kinds: pl.Series


def _utc(name: str) -> pl.Expr:
    return pl.col(name).cast(_TS)


def _missing_as_one(name: str) -> pl.Expr:
    value = pl.col(name).cast(pl.Float64)
    return pl.when(value.is_null() | (value == 0)).then(1.0).otherwise(value).clip(0.6, 1.4)


def _archetype_expr(types: Iterable[str]) -> pl.Expr:
    mapping = {name: _ARCHETYPES.index(signal_archetype(name)) for name in types}
    return pl.col("signal_type").replace_strict(mapping, default=_ARCHETYPES.index("generic"), return_dtype=pl.Int8)


def _rank_expr(name: str, values: pl.Series) -> pl.Expr:
    """Position of each value in the sorted distinct ``values`` (null stays null)."""
    return pl.col(name).replace_strict(values.drop_nulls().to_list(), list(range(values.drop_nulls().len())),
                                       default=None, return_dtype=pl.Int32)


def _prepare_signals(signals: pl.DataFrame) -> _Prepared:
    """Cast, order deterministically, and compute the time-independent part of every score.

    Rows are sorted (timestamp asc, signal_type desc, ...) within a coin/timeframe, so reading one
    backwards from any row is the window order (timestamp desc, signal_type asc) and every window is
    one contiguous row range (``fusion_windows``).
    """
    confidence = pl.col("confidence").cast(pl.Float64).fill_null(0.0)
    default_success = pl.when(pl.col("signal_type").str.contains(r"^pattern_(cluster|hierarchy)_")).then(
        META_SUCCESS).otherwise(DEFAULT_SUCCESS)
    success = pl.col("success_rate").cast(pl.Float64).clip(0.35, 0.95).fill_null(default_success)
    priority = pl.max_horizontal(pl.col("priority_score").cast(pl.Float64).fill_null(0.0), confidence).clip(0.45, 1.6)
    direction = pl.col("direction")
    frame = signals.select(
        pl.col("coin_id").cast(pl.Int32), pl.col("timeframe").cast(pl.Int16), _utc("timestamp"),
        pl.col("signal_type").cast(pl.String), direction.cast(pl.String), confidence.alias("_conf"),
        (confidence.clip(0.01, 1.0) * success * _missing_as_one("context_score")
         * _missing_as_one("regime_alignment") * priority).alias("_static"),
    )
    # Strings sort as their rank among the sorted distinct values: same order, integer sort keys.
    kinds = frame.get_column("signal_type").unique().sort()
    directions = frame.get_column("direction").unique().sort(nulls_last=False)
    frame = frame.select(
        *_KEYS, "timestamp", "_conf", "_static",
        pl.when(direction == "bullish").then(1).when(direction == "bearish").then(-1).otherwise(0)
        .cast(pl.Int8).alias("_sign"),
        _archetype_expr(kinds.to_list()).alias("_arch"),
        _rank_expr("signal_type", kinds).alias("_kind"),
        _rank_expr("direction", directions).alias("_direction"),
    ).sort([*_KEYS, "timestamp", "_kind", "_direction", "_conf", "_static"],
           descending=[False, False, False, True, True, True, True], nulls_last=False)
    return _Prepared(*_signal_groups(frame), kinds)


def _signal_groups(frame: pl.DataFrame) -> tuple[SignalRows, pl.DataFrame]:
    """Row arrays and one row per (coin, timeframe, timestamp) group: ``_g``, its window ``_lo``/``_hi``."""
    coin = frame.get_column("coin_id").to_numpy()
    timeframe = frame.get_column("timeframe").to_numpy()
    stamp = frame.get_column("timestamp").dt.epoch("us").to_numpy()
    new_key = np.ones(stamp.size, bool)
    new_key[1:] = (coin[1:] != coin[:-1]) | (timeframe[1:] != timeframe[:-1])
    new_group = new_key.copy()
    new_group[1:] |= stamp[1:] != stamp[:-1]
    row_group = np.cumsum(new_group, dtype=np.int64) - 1
    group_start = np.flatnonzero(new_group)
    group_end = np.append(group_start[1:], stamp.size) if group_start.size else group_start.copy()
    key_first_group = row_group[np.flatnonzero(new_key)][np.cumsum(new_key)[group_start] - 1]
    lo = window_bounds(group_start, group_end, key_first_group, FUSION_SIGNAL_LIMIT, FUSION_CANDLE_GROUPS)
    rows = SignalRows(row_group, frame.get_column("_static").to_numpy(), frame.get_column("_sign").to_numpy(),
                      frame.get_column("_arch").to_numpy(), frame.get_column("_kind").fill_null(-1).to_numpy())
    groups = frame.select(*_KEYS, "timestamp").gather(group_start).with_columns(
        pl.Series("_g", np.arange(group_start.size, dtype=np.int64)), pl.Series("_lo", lo),
        pl.Series("_hi", group_end))
    return rows, groups


def _evaluation_points(prepared: _Prepared, since: datetime) -> pl.DataFrame:
    """One row per distinct (coin, timeframe, timestamp ≥ since): ``eid`` in time order, window bounds."""
    return (
        prepared.groups.filter(pl.col("timestamp") >= pl.lit(since).cast(_TS))
        .sort(["timestamp", *_KEYS])
        .with_row_index("eid")
        .with_columns(pl.col("eid").cast(pl.Int64))
    )


def _attach_regime(evals: pl.DataFrame, regimes: pl.DataFrame | None) -> pl.DataFrame:
    if regimes is None or regimes.is_empty():
        frame = evals.with_columns(pl.lit(None, pl.String).alias("regime"))
    else:
        bars = (regimes.select(pl.col("coin_id").cast(pl.Int32), pl.col("timeframe").cast(pl.Int16),
                               _utc("timestamp"), pl.col("regime").cast(pl.String))
                .sort([*_KEYS, "timestamp", "regime"], nulls_last=True).unique([*_KEYS, "timestamp"], keep="first"))
        frame = evals.join(bars, on=[*_KEYS, "timestamp"], how="left").sort("eid")
    return frame.with_columns(pl.col("regime").replace_strict(
        list(_WEIGHTED_REGIMES), list(range(_NO_REGIME)), default=_NO_REGIME, return_dtype=pl.Int8).alias("_regime"))


def _window_arrays(evals: pl.DataFrame) -> tuple[np.ndarray, ...]:
    return tuple(evals.get_column(name).to_numpy() for name in ("_lo", "_hi", "_g", "_regime"))


def _attach_side_scores(evals: pl.DataFrame, rows: SignalRows) -> pl.DataFrame:
    """B and S before the cross factor (``_b_base``, ``_s_base``) and ``signal_count`` of every window.

    A signal of the window at age index a (0 for t's own timestamp) scores its static part · the
    regime weight of (bar regime, archetype, side) · recency(a); neutral signals count but score nothing.
    """
    lo, hi, group, regime = _window_arrays(evals)
    scores = window_scores(rows, lo, hi, group, regime, _WEIGHTS, _RECENCY, FUSION_SIGNAL_LIMIT)
    return evals.with_columns(pl.Series("_b_base", scores.bullish), pl.Series("_s_base", scores.bearish),
                              pl.Series("signal_count", scores.count))


def _attach_sector(evals: pl.DataFrame, sector_trends: pl.DataFrame | None) -> pl.DataFrame:
    """Sector adjustments per side: agreeing trend +0.05, opposite −0.04 (same timeframe, else 60)."""
    trend = pl.lit(None, pl.String)
    if sector_trends is not None and not sector_trends.is_empty():
        rows = sector_trends.select(pl.col("coin_id").cast(pl.Int32), pl.col("timeframe").cast(pl.Int16),
                                    _utc("as_of"), pl.col("trend").cast(pl.String)).sort("as_of")
        left = evals.select("eid", *_KEYS, "timestamp").sort("timestamp")
        same = left.join_asof(rows.rename({"as_of": "_as_of_same", "trend": "_trend_same"}), left_on="timestamp",
                              right_on="_as_of_same", by=_KEYS, strategy="backward", check_sortedness=False)
        hourly = rows.filter(pl.col("timeframe") == SECTOR_FALLBACK_TIMEFRAME).drop("timeframe")
        both = same.join_asof(hourly.rename({"as_of": "_as_of_60", "trend": "_trend_60"}), left_on="timestamp",
                              right_on="_as_of_60", by="coin_id", strategy="backward", check_sortedness=False)
        both = both.select("eid", pl.when(pl.col("_as_of_same").is_not_null()).then(pl.col("_trend_same"))
                           .otherwise(pl.col("_trend_60")).alias("_sector_trend"))
        evals = evals.join(both, on="eid", how="left").sort("eid")
        trend = pl.col("_sector_trend")
    bullish, bearish = trend == "bullish", trend == "bearish"
    return evals.with_columns(
        pl.when(bullish).then(SECTOR_AGREE).when(bearish).then(SECTOR_OPPOSE).otherwise(0.0)
        .fill_null(0.0).alias("_sec_bull"),
        pl.when(bearish).then(SECTOR_AGREE).when(bullish).then(SECTOR_OPPOSE).otherwise(0.0)
        .fill_null(0.0).alias("_sec_bear"),
    )


def _key_table(evals: pl.DataFrame, previous: pl.DataFrame | None, relations: pl.DataFrame | None) -> pl.DataFrame:
    """Dense index of every (coin, timeframe) that can hold a decision or lead one."""
    parts = [evals.select(_KEYS)]
    if previous is not None and not previous.is_empty():
        parts.append(previous.select(pl.col("coin_id").cast(pl.Int32), pl.col("timeframe").cast(pl.Int16)))
    if relations is not None and not relations.is_empty():
        parts.append(relations.select(pl.col("leader_coin_id").cast(pl.Int32).alias("coin_id"),
                                      pl.col("timeframe").cast(pl.Int16)))
    return pl.concat(parts).unique().sort(_KEYS).with_row_index("_key").with_columns(pl.col("_key").cast(pl.Int64))


def _relation_links(evals: pl.DataFrame, relations: pl.DataFrame | None, keys: pl.DataFrame) -> pl.DataFrame:
    """(eid, leader key, strength, sign) for the ≤ 3 strongest relations of each follower at t.

    The snapshot is the follower's newest ``as_of`` ≤ t; inactive rows (when an ``active`` column is
    present) and confidence < 0.45 are dropped after choosing it, so a follower whose newest snapshot
    has no usable relation gets none (rather than an older snapshot's). Ties: leader id ascending.
    """
    empty = pl.DataFrame(schema={"eid": pl.Int64, "_leader_key": pl.Int64, "_strength": pl.Float64,
                                 "_rel_sign": pl.Int8})
    if relations is None or relations.is_empty():
        return empty
    active = pl.col("active").fill_null(False) if "active" in relations.columns else pl.lit(True)
    rows = relations.select(
        pl.col("leader_coin_id").cast(pl.Int32), pl.col("follower_coin_id").cast(pl.Int32).alias("coin_id"),
        pl.col("timeframe").cast(pl.Int16), _utc("as_of"), pl.col("confidence").cast(pl.Float64),
        pl.col("correlation").cast(pl.Float64), active.alias("_active"),
    )
    snapshots = rows.select(*_KEYS, "as_of").unique().sort("as_of")
    chosen = (evals.select("eid", *_KEYS, "timestamp").sort("timestamp")
              .join_asof(snapshots, left_on="timestamp", right_on="as_of", by=_KEYS, strategy="backward",
                         check_sortedness=False)
              .filter(pl.col("as_of").is_not_null()))
    top = (rows.filter(pl.col("_active") & (pl.col("confidence") >= RELATION_MIN_CONFIDENCE)
                       & pl.col("correlation").is_not_null())
           .sort([*_KEYS, "as_of", "confidence", "correlation", "leader_coin_id"],
                 descending=[False, False, False, True, True, False])
           .group_by([*_KEYS, "as_of"], maintain_order=True).head(RELATION_TOP))
    links = chosen.join(top, on=[*_KEYS, "as_of"], how="inner").join(
        keys.rename({"coin_id": "leader_coin_id", "_key": "_leader_key"}), on=["leader_coin_id", "timeframe"],
        how="inner")
    return links.select(
        "eid", "_leader_key", (pl.col("confidence") * pl.col("correlation").abs()).alias("_strength"),
        pl.when(pl.col("correlation") < 0).then(-1).otherwise(1).cast(pl.Int8).alias("_rel_sign"),
    ).sort("eid", "_leader_key")


# --- the time-ordered pass ---------------------------------------------------------------------------


@dataclass(slots=True)
class _State:
    """Latest stored decision per key: code (−1 none), band index, confidence, timestamp (µs)."""

    code: np.ndarray
    band: np.ndarray
    confidence: np.ndarray
    stamp: np.ndarray


@dataclass(frozen=True, slots=True)
class _Outcome:
    code: np.ndarray
    confidence: np.ndarray
    bull_align: np.ndarray
    bear_align: np.ndarray
    kept: np.ndarray


def _band_index(confidence: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.asarray(BAND_EDGES), confidence, side="right").astype(np.int8)


def _seed_state(size: int, previous: pl.DataFrame | None, keys: pl.DataFrame) -> _State:
    state = _State(np.full(size, -1, np.int8), np.full(size, -1, np.int8), np.zeros(size),
                   np.full(size, np.iinfo(np.int64).min, np.int64))
    if previous is None or previous.is_empty():
        return state
    seed = (previous.select(pl.col("coin_id").cast(pl.Int32), pl.col("timeframe").cast(pl.Int16), _utc("timestamp"),
                            pl.col("decision").cast(pl.String), pl.col("confidence").cast(pl.Float64))
            .sort([*_KEYS, "timestamp"]).unique(_KEYS, keep="last").join(keys, on=_KEYS, how="inner"))
    codes = {name: index for index, name in enumerate(DECISIONS)}
    index = seed.get_column("_key").to_numpy()
    state.code[index] = seed.get_column("decision").replace_strict(
        codes, default=_UNKNOWN_DECISION, return_dtype=pl.Int8).to_numpy()
    state.confidence[index] = seed.get_column("confidence").fill_null(0.0).to_numpy()
    state.band[index] = _band_index(state.confidence[index])
    state.stamp[index] = seed.get_column("timestamp").dt.epoch("us").to_numpy()
    return state


def _sequential_pass(evals: pl.DataFrame, links: pl.DataFrame, state: _State) -> _Outcome:
    """Decide every evaluation, one timestamp at a time, reading leaders' stored decisions before t."""
    stamp = evals.get_column("timestamp").dt.epoch("us").to_numpy()
    key = evals.get_column("_key").to_numpy()
    b_base = evals.get_column("_b_base").fill_null(0.0).to_numpy()
    s_base = evals.get_column("_s_base").fill_null(0.0).to_numpy()
    bull_align = 1.0 + evals.get_column("_sec_bull").to_numpy()
    bear_align = 1.0 + evals.get_column("_sec_bear").to_numpy()
    link_eid = links.get_column("eid").to_numpy()
    link_leader = links.get_column("_leader_key").to_numpy()
    link_strength = links.get_column("_strength").to_numpy()
    link_sign = links.get_column("_rel_sign").to_numpy()
    lo_hi = np.flatnonzero(np.diff(stamp)) + 1
    starts = np.concatenate([[0], lo_hi, [stamp.size]])
    link_bounds = np.searchsorted(link_eid, starts)  # eids are row positions, sorted by time
    code = np.empty(stamp.size, np.int8)
    confidence = np.empty(stamp.size)
    kept = np.zeros(stamp.size, bool)
    low, high = ALIGNMENT_RANGE
    for i in range(starts.size - 1):
        lo, hi = int(starts[i]), int(starts[i + 1])
        rlo, rhi = int(link_bounds[i]), int(link_bounds[i + 1])
        if rhi > rlo:
            leader = link_leader[rlo:rhi]
            seen = state.stamp[leader] < stamp[lo]  # strictly before t (always true for stored rows)
            push = _LEADER_PUSH[state.code[leader] + 1] * seen * link_sign[rlo:rhi]
            delta = np.minimum(link_strength[rlo:rhi] * np.maximum(state.confidence[leader], LEADER_MIN_CONFIDENCE),
                               LEADER_DELTA_CAP)
            bull = np.where(push > 0, delta, np.where(push < 0, -OPPOSITE_LEADER_FACTOR * delta, 0.0))
            bear = np.where(push < 0, delta, np.where(push > 0, -OPPOSITE_LEADER_FACTOR * delta, 0.0))
            np.add.at(bull_align, link_eid[rlo:rhi], bull)
            np.add.at(bear_align, link_eid[rlo:rhi], bear)
        bull_align[lo:hi] = np.clip(bull_align[lo:hi], low, high)
        bear_align[lo:hi] = np.clip(bear_align[lo:hi], low, high)
        slice_code, slice_conf = decision_arrays(b_base[lo:hi] * bull_align[lo:hi], s_base[lo:hi] * bear_align[lo:hi])
        code[lo:hi], confidence[lo:hi] = slice_code, slice_conf
        band = _band_index(slice_conf)
        own = key[lo:hi]
        changed = (state.code[own] != slice_code) | (state.band[own] != band)
        kept[lo:hi] = changed
        target = own[changed]
        state.code[target] = slice_code[changed]
        state.band[target] = band[changed]
        state.confidence[target] = slice_conf[changed]
        state.stamp[target] = stamp[lo]
    return _Outcome(code, confidence, bull_align, bear_align, kept)


# --- output ------------------------------------------------------------------------------------------


def _assemble(evals: pl.DataFrame, prepared: _Prepared, outcome: _Outcome) -> pl.DataFrame:
    frame = evals.select("eid", *_KEYS, "timestamp", "regime", "signal_count", "_b_base", "_s_base",
                         "_lo", "_hi", "_g", "_regime").with_columns(
        pl.Series("_code", outcome.code), pl.Series("confidence", outcome.confidence),
        pl.Series("_bull_align", outcome.bull_align), pl.Series("_bear_align", outcome.bear_align),
    ).filter(pl.Series(outcome.kept))
    bullish = (pl.col("_b_base").fill_null(0.0) * pl.col("_bull_align")).alias("bullish_score")
    bearish = (pl.col("_s_base").fill_null(0.0) * pl.col("_bear_align")).alias("bearish_score")
    frame = frame.with_columns(bullish, bearish)
    total = pl.col("bullish_score") + pl.col("bearish_score")
    gap = (pl.col("bullish_score") - pl.col("bearish_score")).abs()
    frame = frame.with_columns(
        pl.col("_code").replace_strict(dict(enumerate(DECISIONS)), return_dtype=pl.String).alias("decision"),
        pl.when(total > 0).then(gap / total).otherwise(0.0).clip(0.0, 1.0).alias("agreement"),
        # The factor of the side the decision rule favours (B > S → bullish, else bearish).
        pl.when(pl.col("bullish_score") > pl.col("bearish_score")).then(pl.col("_bull_align"))
        .otherwise(pl.col("_bear_align")).alias("cross_alignment"),
        confidence_band_expr(pl.col("confidence")).alias("confidence_band"),
    )
    flags = pl.concat_str([
        pl.when(total < WATCH_MIN_TOTAL_SCORE).then(pl.lit("below_watch_min_total_score")),
        pl.when(pl.col("decision") == "HOLD").then(pl.lit("balanced_directional_scores")),
        pl.when(pl.col("agreement") >= STRONG_AGREEMENT).then(pl.lit("strong_directional_agreement")),
        pl.when(pl.col("confidence") >= HIGH_CONFIDENCE).then(pl.lit("high_confidence_threshold")),
    ], separator=",", ignore_nulls=True)
    frame = frame.with_columns(flags.alias("flags"))
    frame = frame.join(_dominant_factors(prepared, frame), on="eid", how="left").with_columns(
        pl.col("dominant_factors").fill_null(""))
    return frame.select([pl.col(name).cast(dtype) for name, dtype in OUTPUT_SCHEMA.items()]).sort(
        [*_KEYS, "timestamp"])


def _dominant_factors(prepared: _Prepared, kept: pl.DataFrame) -> pl.DataFrame:
    """Top 3 signal types by |Σ signed score| (ties: name ascending); zero-score types are omitted.

    Only the kept rows' windows are expanded to (window, signal) pairs.
    """
    rows = prepared.rows
    lo, hi, group, regime = _window_arrays(kept)
    window, picked, score = member_rows(rows, lo, hi, group, regime, _WEIGHTS, _RECENCY)
    sign = rows.sign[picked]
    bull = kept.get_column("_bull_align").to_numpy()[window]
    bear = kept.get_column("_bear_align").to_numpy()[window]
    feature = np.where(sign > 0, score * bull, np.where(sign < 0, -score * bear, 0.0))
    eid = kept.get_column("eid").to_numpy()
    # Kind codes are ranks of the sorted names, so ties broken by code are broken by name.
    window, kind = top_kinds(window, rows.kind[picked], feature, 3)
    names = prepared.kinds.drop_nulls()
    return (pl.DataFrame({"eid": eid[window], "_kind": kind})
            .with_columns(pl.col("_kind").replace_strict(list(range(names.len())), names.to_list(), default=None,
                                                         return_dtype=pl.String))
            .group_by("eid", maintain_order=True).agg(pl.col("_kind").str.join(",").alias("dominant_factors")))
