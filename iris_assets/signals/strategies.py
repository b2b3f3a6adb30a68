"""Strategy discovery and strategy alignment (pure; reference 5.7 with DECISIONS.md 16 and 17).

Discovery groups pattern signals into stacks (coin, timeframe, candle open time), scores each stack
by the trade its net direction would have made over a fixed number of bars, and aggregates those
outcomes per candidate rule set. Differences from the reference, all deliberate:

* a strategy carries its timeframe (DECISIONS 16) and alignment only matches stacks of that
  timeframe;
* the strategy name ends with ``conf ≥ <min_confidence>`` so candidates that differ only by their
  confidence floor no longer overwrite each other (reference 9 item 11);
* a stack counts only when its horizon bar has closed at or before ``known_before`` (the outcome is
  known) and the full horizon exists (the reference also scored truncated windows);
* stack direction uses the explicit bias of each signal (DECISIONS 10); ties go long;
* ``sharpe_annualized`` (DECISIONS 17) = per-trade Sharpe · √(trades per year), one trade being
  held for ``horizon bars × timeframe`` minutes back to back;
* alignment reports at most 2 names, best alignment first (the decision reason shows 2).

The final ranking tie-break prefers the shallower drawdown (the reference sorted −max_drawdown
descending, which put the deeper one first); it only breaks exact ties of five metrics.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl

STRATEGY_LOOKBACK_DAYS = 365
MAX_DISCOVERED_STRATEGIES = 200
MIN_DISCOVERY_SAMPLE = 8
MIN_WIN_RATE = 0.45
MIN_AVG_RETURN = 0.0  # strictly greater
MIN_SHARPE_RATIO = 0.4
MIN_MAX_DRAWDOWN = -0.18
HORIZON_BARS_BY_TIMEFRAME = {15: 16, 60: 12, 240: 8, 1440: 5}
DEFAULT_HORIZON_BARS = 8
MIN_SIGNAL_WEIGHT = 0.01
MAX_NAME_LENGTH = 160
MAX_DESCRIPTION_LENGTH = 512
ALIGNMENT_NAME_LENGTH = 48
ALIGNMENT_MAX_NAMES = 2
MINUTES_PER_YEAR = 365.25 * 24 * 60
# A standard deviation this small is floating-point noise around identical returns.
ZERO_VARIANCE = 1e-12
WILDCARD = "*"

STACK_KEYS = ["coin_id", "timeframe", "timestamp"]
CANDIDATE_KEYS = ["timeframe", "token_a", "token_b", "regime", "sector", "cycle", "min_confidence"]
STRATEGY_SCHEMA: dict[str, pl.DataType] = {
    "name": pl.String(),
    "timeframe": pl.Int16(),
    "description": pl.String(),
    "enabled": pl.Boolean(),
    "sample_size": pl.Int64(),
    "win_rate": pl.Float64(),
    "avg_return": pl.Float64(),
    "sharpe_ratio": pl.Float64(),
    "sharpe_annualized": pl.Float64(),
    "max_drawdown": pl.Float64(),
    "rank": pl.Int64(),
}
RULE_SCHEMA: dict[str, pl.DataType] = {
    "name": pl.String(),
    "pattern_slug": pl.String(),
    "regime": pl.String(),
    "sector": pl.String(),
    "cycle": pl.String(),
    "min_confidence": pl.Float64(),
}
# (regime, sector, cycle) kept from the stack (True) or wildcarded (False), reference step 4.
SINGLE_CONTEXTS = ((False, False, False), (True, False, False), (True, False, True), (True, True, True))
COMBO_CONTEXTS = ((False, False, False), (True, False, True), (True, True, True))
# Per candidate key and slice of stacks: what discovery's metrics need, mergeable across slices.
PARTIAL_SCHEMA: dict[str, pl.DataType] = {
    "timeframe": pl.Int16(),
    "token_a": pl.String(),
    "token_b": pl.String(),
    "regime": pl.String(),
    "sector": pl.String(),
    "cycle": pl.String(),
    "min_confidence": pl.Float64(),
    "n": pl.Int64(),
    "wins": pl.Int64(),
    "mean": pl.Float64(),
    "var": pl.Float64(),
    "max_drawdown": pl.Float64(),
    "horizon_bars": pl.Int64(),
}


@dataclass(frozen=True)
class Discovery:
    """Discovered strategies (one row each, ranked) and their rules (one row per token)."""

    strategies: pl.DataFrame
    rules: pl.DataFrame


def horizon_bars(timeframe: int) -> int:
    return HORIZON_BARS_BY_TIMEFRAME.get(timeframe, DEFAULT_HORIZON_BARS)


def enabled_expression() -> pl.Expr:
    """Enable thresholds (inclusive except avg_return, which must be strictly positive)."""
    return (
        (pl.col("sample_size") >= MIN_DISCOVERY_SAMPLE)
        & (pl.col("win_rate") >= MIN_WIN_RATE)
        & (pl.col("avg_return") > MIN_AVG_RETURN)
        & (pl.col("sharpe_ratio") >= MIN_SHARPE_RATIO)
        & (pl.col("max_drawdown") >= MIN_MAX_DRAWDOWN)
    )


def alignment_expression() -> pl.Expr:
    """Reference alignment of one strategy's performance, clamped to [1.0, 1.3]."""
    win = ((pl.col("win_rate") - 0.5) * 0.6).clip(0.0, 0.18)
    sharpe = (pl.col("sharpe_ratio") * 0.05).clip(0.0, 0.12)
    average = (pl.col("avg_return") * 4.0).clip(0.0, 0.08)
    drawdown = (pl.col("max_drawdown").clip(upper_bound=0.0).abs() * 0.15).clip(0.0, 0.05)
    return (1.0 + win + sharpe + average - drawdown).clip(1.0, 1.3)


def _empty_discovery() -> Discovery:
    return Discovery(pl.DataFrame(schema=STRATEGY_SCHEMA), pl.DataFrame(schema=RULE_SCHEMA))


def _candle_outcomes(candles: pl.DataFrame, known_before: datetime) -> pl.DataFrame:
    """Per candle: entry close, horizon close and the extreme low/high over (entry, entry + h]."""
    frames = []
    for (timeframe,), bars in candles.group_by("timeframe"):
        minutes = int(timeframe)
        h = horizon_bars(minutes)
        frames.append(
            bars.sort("coin_id", "timestamp")
            .select(
                *STACK_KEYS,
                pl.col("close").alias("entry"),
                pl.col("close").shift(-h).over("coin_id").alias("exit"),
                pl.col("timestamp").shift(-h).over("coin_id").alias("exit_open"),
                pl.col("low").rolling_min(h).shift(-h).over("coin_id").alias("future_low"),
                pl.col("high").rolling_max(h).shift(-h).over("coin_id").alias("future_high"),
                pl.lit(h, dtype=pl.Int64).alias("horizon_bars"),
            )
            .filter(pl.col("exit_open") + timedelta(minutes=minutes) <= known_before)
        )
    return pl.concat(frames) if frames else pl.DataFrame()


def _stack_observations(
    stacks: pl.DataFrame, candles: pl.DataFrame, known_before: datetime, now: datetime
) -> pl.DataFrame:
    """One row per usable stack: direction-signed return, drawdown, top two tokens and context."""
    signals = stacks.filter(
        pl.col("signal_type").str.starts_with("pattern_")
        & (pl.col("timestamp") >= now - timedelta(days=STRATEGY_LOOKBACK_DAYS))
    ).with_columns(
        pl.col("signal_type").str.strip_prefix("pattern_").alias("slug"),
        # reference: ``priority_score or confidence``
        pl.when(pl.col("priority_score").is_null() | (pl.col("priority_score") == 0))
        .then(pl.col("confidence"))
        .otherwise(pl.col("priority_score"))
        .alias("score"),
        pl.col("direction")
        .replace_strict({"bullish": 1.0, "bearish": -1.0}, default=0.0, return_dtype=pl.Float64)
        .alias("bias"),
    )
    if signals.is_empty() or candles.is_empty():
        return pl.DataFrame()
    context = (
        signals.group_by(STACK_KEYS)
        .agg(
            (pl.col("score").clip(lower_bound=MIN_SIGNAL_WEIGHT) * pl.col("bias")).sum().alias("pressure"),
            *(pl.col(c).drop_nulls().first().fill_null(WILDCARD).alias(c) for c in ("regime", "sector", "cycle")),
        )
        .with_columns(pl.when(pl.col("pressure") >= 0).then(1.0).otherwise(-1.0).alias("sign"))
    )
    # Token order: each slug ranked by its best (score, confidence), then slug, all descending.
    slugs = (
        signals.sort(["score", "confidence"], descending=True)
        .group_by([*STACK_KEYS, "slug"])
        .agg(
            pl.col("score").first().alias("rank_score"),
            pl.col("confidence").first().alias("rank_confidence"),
            pl.col("confidence").max().alias("best_confidence"),
        )
    )
    # One sort of the whole slice, then each stack's first two rows: sorting inside every group cost
    # most of the slice's time. Slugs are unique per stack, so the order is total and the pick exact.
    tokens = (
        slugs.sort(["rank_score", "rank_confidence", "slug"], descending=True)
        .group_by(STACK_KEYS)  # the rows of a group keep the frame's order
        .agg(
            pl.col("slug").head(2).alias("top"),
            pl.col("best_confidence").head(2).alias("top_confidence"),
        )
        .select(
            *STACK_KEYS,
            pl.col("top").list.get(0).alias("primary"),
            pl.col("top_confidence").list.get(0).alias("primary_confidence"),
            pl.col("top").list.get(1, null_on_oob=True).alias("second"),
            pl.col("top_confidence").list.get(1, null_on_oob=True).alias("second_confidence"),
        )
    )
    schema = stacks.schema
    bars = candles.with_columns(pl.col(c).cast(schema[c]) for c in STACK_KEYS)
    outcomes = _candle_outcomes(bars, known_before)
    if outcomes.is_empty():
        return pl.DataFrame()
    entry = pl.col("entry")
    return (
        context.join(tokens, on=STACK_KEYS)
        .join(outcomes, on=STACK_KEYS)
        .filter(entry > 0)
        .with_columns(
            (pl.col("sign") * (pl.col("exit") - entry) / entry).alias("return"),
            pl.when(pl.col("sign") > 0)
            .then((pl.col("future_low") - entry) / entry)
            .otherwise((entry - pl.col("future_high")) / entry)
            .alias("drawdown"),
        )
    )


def _candidates(observations: pl.DataFrame) -> pl.DataFrame:
    """Candidate rows (one per stack and distinct candidate) from the top one or two tokens."""
    single = observations.with_columns(
        pl.col("primary").alias("token_a"),
        pl.lit(None, dtype=pl.String).alias("token_b"),
        pl.col("primary_confidence").alias("token_confidence"),
    )
    pair = observations.filter(pl.col("second").is_not_null())
    first_lower = pl.col("primary") <= pl.col("second")
    combo = pair.with_columns(
        pl.when(first_lower).then(pl.col("primary")).otherwise(pl.col("second")).alias("token_a"),
        pl.when(first_lower).then(pl.col("second")).otherwise(pl.col("primary")).alias("token_b"),
        pl.min_horizontal("primary_confidence", "second_confidence").alias("token_confidence"),
    )
    frames = [
        base.with_columns(
            *(
                pl.col(c) if keep else pl.lit(WILDCARD).alias(c)
                for c, keep in zip(("regime", "sector", "cycle"), flags, strict=True)
            )
        )
        for base, contexts in ((single, SINGLE_CONTEXTS), (combo, COMBO_CONTEXTS))
        for flags in contexts
    ]
    columns = [
        *STACK_KEYS,
        "token_a",
        "token_b",
        "regime",
        "sector",
        "cycle",
        "token_confidence",
        "return",
        "drawdown",
        "horizon_bars",
    ]
    rows = pl.concat([frame.select(columns) for frame in frames]).with_columns(
        # floor to a multiple of 0.05; Polars divides by multiplying with the reciprocal (12 · 0.05 =
        # 0.6000000000000001), so round back to the exact two-decimal value a confidence compares to.
        ((pl.col("token_confidence").clip(lower_bound=0.0) * 20.0).floor() / 20.0)
        .round(2)
        .clip(0.0, 0.99)
        .alias("min_confidence")
    )
    return rows.unique([*STACK_KEYS, *CANDIDATE_KEYS[1:]], maintain_order=True)


def _label_expressions() -> tuple[pl.Expr, pl.Expr]:
    """Strategy name and description from the candidate key columns."""
    tokens = pl.col("token_a").str.replace_all("_", " ") + pl.when(pl.col("token_b").is_not_null()).then(
        " + " + pl.col("token_b").str.replace_all("_", " ")
    ).otherwise(pl.lit(""))
    cents = (pl.col("min_confidence") * 100).round().cast(pl.Int64)
    confidence = (cents // 100).cast(pl.String) + "." + (cents % 100).cast(pl.String).str.zfill(2)
    name = pl.concat_str(
        pl.lit("SESE "),
        pl.col("timeframe").cast(pl.String),
        pl.lit("m | "),
        tokens,
        pl.lit(" | regime "),
        pl.col("regime"),
        pl.lit(" | sector "),
        pl.col("sector"),
        pl.lit(" | cycle "),
        pl.col("cycle"),
        pl.lit(" | conf ≥ "),
        confidence,
    ).str.slice(0, MAX_NAME_LENGTH)
    listed = pl.col("token_a") + pl.when(pl.col("token_b").is_not_null()).then(", " + pl.col("token_b")).otherwise(
        pl.lit("")
    )
    description = pl.concat_str(
        pl.lit("Auto-discovered "),
        pl.col("timeframe").cast(pl.String),
        pl.lit("m strategy on "),
        listed,
        pl.lit(" with regime="),
        pl.col("regime"),
        pl.lit(", sector="),
        pl.col("sector"),
        pl.lit(", cycle="),
        pl.col("cycle"),
        pl.lit(", min_confidence>="),
        confidence,
        pl.lit(", scored over "),
        pl.col("horizon_bars").cast(pl.String),
        pl.lit(" bars."),
    ).str.slice(0, MAX_DESCRIPTION_LENGTH)
    return name, description


def candidate_partials(
    stacks: pl.DataFrame, candles: pl.DataFrame, known_before: datetime, now: datetime
) -> pl.DataFrame:
    """The mergeable part of discovery for one slice of ``stacks`` (inputs as :func:`discover_strategies`).

    One row per candidate key: ``n`` stacks, ``wins`` (return > 0), ``mean`` and population ``var``
    of the returns, worst ``max_drawdown`` and ``horizon_bars``. Slices with disjoint stacks (other
    coins, timeframes or candle times; each with every candle its stacks' horizons need) merge with
    :func:`merge_partials` into the partials of their union, so a year can be discovered slice by slice.
    """
    observations = _stack_observations(stacks, candles, known_before, now)
    if observations.is_empty():
        return pl.DataFrame(schema=PARTIAL_SCHEMA)
    returns = pl.col("return")
    return (
        _candidates(observations)
        .group_by(CANDIDATE_KEYS)
        .agg(
            pl.len().alias("n"),
            (returns > 0).sum().alias("wins"),
            returns.mean().alias("mean"),
            returns.var(ddof=0).alias("var"),
            pl.col("drawdown").min().alias("max_drawdown"),
            pl.col("horizon_bars").first(),
        )
        .cast(PARTIAL_SCHEMA)  # type: ignore[arg-type]
    )


def merge_partials(partials: pl.DataFrame) -> pl.DataFrame:
    """Combine rows of :func:`candidate_partials` with the same candidate key (Chan et al.'s pooled
    mean and variance: stable, and exact when a key has one row)."""
    n = pl.col("n")
    mean = (n * pl.col("mean")).sum() / n.sum()
    spread = (n * pl.col("var")).sum() + (n * (pl.col("mean") - mean) ** 2).sum()
    single = pl.len() == 1
    return (
        partials.group_by(CANDIDATE_KEYS, maintain_order=True)
        .agg(
            n.sum(),
            pl.col("wins").sum(),
            pl.when(single).then(pl.col("mean").first()).otherwise(mean).alias("mean"),
            pl.when(single).then(pl.col("var").first()).otherwise(spread / n.sum()).alias("var"),
            pl.col("max_drawdown").min(),
            pl.col("horizon_bars").first(),
        )
        .cast(PARTIAL_SCHEMA)  # type: ignore[arg-type]
    )


def discover_strategies(
    stacks: pl.DataFrame, candles: pl.DataFrame, known_before: datetime, now: datetime
) -> Discovery:
    """Discover strategies from pattern ``stacks`` scored on ``candles``.

    ``stacks``: one row per pattern signal: coin_id, timeframe, timestamp (candle open, UTC),
    signal_type (``pattern_<slug>``), direction (bullish/bearish/neutral), confidence,
    priority_score, regime, cycle, sector (str or null → ``*``).
    ``candles``: coin_id, timeframe, timestamp (open), high, low, close — closed candles.
    """
    return rank_strategies(candidate_partials(stacks, candles, known_before, now))


def rank_strategies(partials: pl.DataFrame) -> Discovery:
    """Strategies and rules from the (merged or not) :func:`candidate_partials` of every slice."""
    if partials.is_empty():
        return _empty_discovery()
    merged = merge_partials(partials)
    spread = pl.col("var").sqrt()
    metrics = merged.select(
        *CANDIDATE_KEYS,
        pl.col("n").alias("sample_size"),
        (pl.col("wins").cast(pl.Float64) / pl.col("n").cast(pl.Float64)).alias("win_rate"),
        pl.col("mean").alias("avg_return"),
        pl.when((pl.col("n") >= 2) & (spread > ZERO_VARIANCE))
        .then(pl.col("mean") / spread)
        .otherwise(0.0)
        .cast(pl.Float64)
        .alias("sharpe_ratio"),
        "max_drawdown",
        "horizon_bars",
    ).filter(pl.col("sample_size") >= MIN_DISCOVERY_SAMPLE)
    if metrics.is_empty():
        return _empty_discovery()
    name, description = _label_expressions()
    trades_per_year = MINUTES_PER_YEAR / (pl.col("horizon_bars") * pl.col("timeframe").cast(pl.Float64))
    ranked = (
        metrics.with_columns(
            enabled_expression().alias("enabled"),
            (pl.col("sharpe_ratio") * trades_per_year.sqrt()).alias("sharpe_annualized"),
            (-pl.col("max_drawdown")).alias("drawdown_depth"),
            name.alias("name"),
            description.alias("description"),
        )
        .sort(
            ["enabled", "sharpe_ratio", "win_rate", "avg_return", "sample_size", "drawdown_depth", "name"],
            descending=[True] * 5 + [False, False],
        )
        .unique("name", keep="first", maintain_order=True)
        # Strategies carry a timeframe (DECISIONS.md 16): the cap and the rank apply per timeframe, so
        # fast timeframes with many samples cannot crowd the daily ones out.
        .filter(pl.int_range(pl.len()).over("timeframe") < MAX_DISCOVERED_STRATEGIES)
        .with_columns(
            pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over("timeframe").alias("rank"),
            pl.col("timeframe").cast(pl.Int16),
        )
    )
    strategies = ranked.select(list(STRATEGY_SCHEMA))
    rules = (
        ranked.unpivot(
            on=["token_a", "token_b"],
            index=["name", "rank", "regime", "sector", "cycle", "min_confidence"],
            value_name="pattern_slug",
        )
        .drop_nulls("pattern_slug")
        .sort("rank", "name", "pattern_slug")
        .select(list(RULE_SCHEMA))
    )
    return Discovery(strategies.cast(STRATEGY_SCHEMA), rules.cast(RULE_SCHEMA))  # type: ignore[arg-type]


def strategy_alignment(stacks: pl.DataFrame, strategies: pl.DataFrame, rules: pl.DataFrame) -> pl.DataFrame:
    """Best strategy alignment per decision stack.

    ``stacks``: coin_id, timeframe, timestamp, tokens (list of base slugs), token_confidence
    (aligned list), regime, sector, cycle. ``strategies`` / ``rules`` as produced by
    :func:`discover_strategies` (``rank`` optional). A strategy without rules never matches.
    Returns coin_id, timeframe, timestamp, strategy_alignment (1.0 without a match) and
    strategy_names (≤ 2 best names, each cut to 48 characters, ", "-joined; null without a match).
    """
    frame = stacks.with_row_index("stack_row")
    tf_dtype = stacks.schema["timeframe"]
    eligible = strategies.filter(pl.col("enabled") & (pl.col("sample_size") >= MIN_DISCOVERY_SAMPLE)).select(
        "name",
        pl.col("timeframe").cast(tf_dtype),
        alignment_expression().alias("alignment"),
        (pl.col("rank") if "rank" in strategies.columns else pl.lit(0)).cast(pl.Int64).alias("rank"),
    )
    strategy_rules = rules.join(eligible, on="name").with_columns(
        pl.col("min_confidence").fill_null(0.0),
        pl.col("pattern_slug").n_unique().over("name").alias("rule_count"),
    )
    present = (
        frame.select(
            "stack_row",
            "timeframe",
            *(pl.col(c).fill_null(WILDCARD) for c in ("regime", "sector", "cycle")),
            pl.col("tokens").alias("token"),
            "token_confidence",
        )
        .explode(["token", "token_confidence"])
        .drop_nulls("token")
        .group_by(
            "stack_row",
            "timeframe",
            "regime",
            "sector",
            "cycle",
            "token",
        )
        .agg(pl.col("token_confidence").fill_null(0.0).max())
    )
    matched = (
        present.join(
            strategy_rules,
            left_on=["timeframe", "token"],
            right_on=["timeframe", "pattern_slug"],
            suffix="_rule",
        )
        .filter(
            ((pl.col("regime_rule") == WILDCARD) | (pl.col("regime_rule") == pl.col("regime")))
            & ((pl.col("sector_rule") == WILDCARD) | (pl.col("sector_rule") == pl.col("sector")))
            & ((pl.col("cycle_rule") == WILDCARD) | (pl.col("cycle_rule") == pl.col("cycle")))
            & (pl.col("token_confidence") >= pl.col("min_confidence"))
        )
        .group_by("stack_row", "name")
        .agg(
            pl.col("token").n_unique().alias("matched_rules"),
            pl.col("rule_count").first(),
            pl.col("alignment").first(),
            pl.col("rank").first(),
        )
        .filter(pl.col("matched_rules") == pl.col("rule_count"))
    )
    order = [pl.col("alignment"), -pl.col("rank"), pl.col("name")]
    best = matched.group_by("stack_row").agg(
        pl.col("alignment").max().alias("strategy_alignment"),
        pl.col("name")
        .sort_by(order, descending=[True, True, False])
        .head(ALIGNMENT_MAX_NAMES)
        .str.slice(0, ALIGNMENT_NAME_LENGTH)
        .str.join(", ")
        .alias("strategy_names"),
    )
    return frame.join(best, on="stack_row", how="left").select(
        "coin_id",
        "timeframe",
        "timestamp",
        pl.col("strategy_alignment").fill_null(1.0).cast(pl.Float64),
        pl.col("strategy_names").cast(pl.String),
    )
