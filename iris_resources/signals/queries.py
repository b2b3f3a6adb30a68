"""Inputs of the decision engines, as Polars frames (one statement each).

Every read is bounded by the run window and returns only what a bar could have known: snapshots
with ``as_of`` at or before the window's end are loaded and the engines pick, per bar, the newest one
at or before that bar.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import polars as pl
from sqlalchemy import (
    ARRAY,
    Connection,
    Integer,
    Select,
    String,
    Table,
    and_,
    any_,
    case,
    cast,
    func,
    literal,
    select,
    true,
    union_all,
)

from iris_resources.cross_market.tables import coin_relations, sector_metrics
from iris_resources.db.persistence_log import log_query
from iris_resources.db.values import integer_rows
from iris_resources.indicators.queries import read_frame
from iris_resources.indicators.tables import indicators, signals
from iris_resources.market_data.key_ranges import series_window
from iris_resources.market_data.tables import coins, sectors
from iris_resources.market_data.timeframes import STORED_TIMEFRAMES
from iris_resources.patterns.outcome_scopes import is_base_pattern, per_scope
from iris_resources.patterns.tables import market_cycles, signal_outcomes
from iris_resources.signals.tables import strategies, strategy_performance, strategy_rules

_SIGNAL_COLUMNS = (signals.c.coin_id, signals.c.timeframe, signals.c.candle_timestamp.label("timestamp"),
                   signals.c.signal_type, signals.c.direction, signals.c.confidence, signals.c.priority_score,
                   signals.c.context_score, signals.c.regime_alignment, signals.c.market_regime)
_IDS: dict[str, pl.DataType | type[pl.DataType]] = {"coin_id": pl.Int32, "timeframe": pl.Int16}
# Snapshots are taken at day ends; three days covers a weekend-free daily cadence with margin.
SNAPSHOT_REACH = timedelta(days=3)
# An outcome is known at its candle's close plus at most 72 h, and no timeframe is longer than a day.
OUTCOME_REACH = timedelta(days=1, hours=72)
# An outcome's result is known 24 h after its candle closes, or 72 h when the 72 h return is set.
_SHORT_HORIZON, _LONG_HORIZON = timedelta(hours=24), timedelta(hours=72)
_HORIZON_SPREAD = _LONG_HORIZON - _SHORT_HORIZON


def _typed(frame: pl.DataFrame, schema: dict[str, pl.DataType | type[pl.DataType]] | None = None) -> pl.DataFrame:
    overrides = {**_IDS, **(schema or {})}
    return frame.cast({k: v for k, v in overrides.items() if k in frame.columns}) if not frame.is_empty() else frame


class DecisionQueries:
    """Reads for investment decisions, final signals, fusion, backtests and strategies."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def coin_sectors(self, coin_ids: Sequence[int]) -> pl.DataFrame:
        """coin_id, symbol, sector_id, sector (name)."""
        frame = read_frame(self._connection, select(
            coins.c.id.label("coin_id"), coins.c.symbol, coins.c.sector_id, sectors.c.name.label("sector"))
            .join(sectors, sectors.c.id == coins.c.sector_id).where(coins.c.id.in_(list(coin_ids))))
        return _typed(frame, {"sector_id": pl.Int32})

    def pattern_stacks(self, coin_ids: Sequence[int], start: datetime, end: datetime) -> pl.DataFrame:
        """Pattern, cluster and hierarchy signals with candle time in ``[start, end)``."""
        frame = read_frame(self._connection, select(*_SIGNAL_COLUMNS).where(
            signals.c.coin_id.in_(list(coin_ids)), signals.c.source == "pattern",
            signals.c.candle_timestamp >= start, signals.c.candle_timestamp < end))
        log_query("signals", "pattern_stacks", count=frame.height)
        return _typed(frame)

    def fusion_signals(self, coin_ids: Sequence[int], start: datetime, end: datetime) -> pl.DataFrame:
        """Signals of every source in ``[start, end)`` plus, per coin and timeframe, those at the three
        newest distinct candle times before ``start`` (the fusion window's warm-up), in one statement."""
        keys = select(coins.c.id.label("coin_id"), literal(0).label("pad")).where(
            coins.c.id.in_(list(coin_ids))).subquery("keys")
        timeframes = integer_rows((15, 60, 240, 1440), "timeframe", "tfs")
        recent = (
            select(signals.c.candle_timestamp)
            .where(signals.c.coin_id == keys.c.coin_id, signals.c.timeframe == timeframes.c.timeframe,
                   signals.c.candle_timestamp < start, signals.c.candle_timestamp >= start - timedelta(days=365))
            .group_by(signals.c.candle_timestamp)
            .order_by(signals.c.candle_timestamp.desc()).limit(3)
            .lateral("recent")
        )
        warm = (
            select(keys.c.coin_id, timeframes.c.timeframe, func.min(recent.c.candle_timestamp).label("since"))
            .select_from(keys.join(timeframes, true()).join(recent, true()))
            .group_by(keys.c.coin_id, timeframes.c.timeframe).subquery("warm")
        )
        lower = func.coalesce(warm.c.since, start)
        statement = (
            select(*_SIGNAL_COLUMNS)
            .select_from(signals.outerjoin(warm, and_(warm.c.coin_id == signals.c.coin_id,
                                                      warm.c.timeframe == signals.c.timeframe)))
            .where(signals.c.coin_id.in_(list(coin_ids)), signals.c.candle_timestamp < end,
                   signals.c.candle_timestamp >= func.least(lower, start),
                   signals.c.candle_timestamp >= start - timedelta(days=365))
        )
        frame = read_frame(self._connection, statement)
        log_query("signals", "fusion_signals", count=frame.height)
        return _typed(frame)

    def bar_context(self, coin_ids: Sequence[int], start: datetime, end: datetime) -> pl.DataFrame:
        """Per bar of every timeframe: regime, trend score, ATR, close, 24h volume and cycle phase."""
        ids = list(coin_ids)
        # Both tables read along their keys (``series_window``): joined on the keys alone, the cycles of
        # the whole history were hashed for every chunk of coins.
        statement = (
            select(indicators.c.coin_id, indicators.c.timeframe, indicators.c.timestamp,
                   indicators.c.market_regime.label("regime"), indicators.c.trend_score,
                   indicators.c.atr_14.label("atr"), indicators.c.close.label("price"), indicators.c.volume_24h,
                   market_cycles.c.cycle_phase)
            .select_from(indicators.outerjoin(market_cycles, and_(
                market_cycles.c.coin_id == indicators.c.coin_id, market_cycles.c.timeframe == indicators.c.timeframe,
                market_cycles.c.timestamp == indicators.c.timestamp, *series_window(market_cycles, ids, start, end))))
            .where(*series_window(indicators, ids, start, end))
        )
        frame = read_frame(self._connection, statement)
        log_query("signals", "bar_context", count=frame.height)
        return _typed(frame, {"trend_score": pl.Int16})

    def sector_snapshots(self, start: datetime, end: datetime) -> pl.DataFrame:
        """sector_id, timeframe, as_of, sector_strength, relative_strength, trend, is_top_sector — snapshots
        from shortly before ``start`` up to ``end``; the top sector has the highest relative strength."""
        rank = func.row_number().over(
            partition_by=(sector_metrics.c.timeframe, sector_metrics.c.as_of),
            order_by=(sector_metrics.c.relative_strength.desc().nulls_last(), sector_metrics.c.sector_id))
        frame = read_frame(self._connection, select(
            sector_metrics.c.sector_id, sector_metrics.c.timeframe, sector_metrics.c.as_of,
            sector_metrics.c.sector_strength, sector_metrics.c.relative_strength, sector_metrics.c.trend,
            (rank == 1).label("is_top_sector"))
            .where(sector_metrics.c.as_of >= start - SNAPSHOT_REACH, sector_metrics.c.as_of <= end))
        return _typed(frame, {"sector_id": pl.Int32})

    def relation_snapshots(self, start: datetime, end: datetime) -> pl.DataFrame:
        """Active lead/lag relations as of each snapshot from shortly before ``start`` to ``end``."""
        frame = read_frame(self._connection, select(
            coin_relations.c.leader_coin_id, coin_relations.c.follower_coin_id, coin_relations.c.timeframe,
            coin_relations.c.as_of, coin_relations.c.confidence, coin_relations.c.correlation)
            .where(coin_relations.c.active.is_(True), coin_relations.c.as_of >= start - SNAPSHOT_REACH,
                   coin_relations.c.as_of <= end))
        return _typed(frame, {"leader_coin_id": pl.Int32, "follower_coin_id": pl.Int32})

    def known_pattern_outcomes(self, since: datetime, until: datetime, *, tail_before: datetime | None = None,
                               tail: int = 200) -> pl.DataFrame:
        """Base-pattern outcomes (slug, timeframe, regime, known_at, win) of signals since ``since`` whose
        result was known by ``until``: known_at = candle close + the horizon that produced the result.

        With ``tail_before``, of the outcomes known before it only what a last-``tail`` rolling window
        looked up at or after ``tail_before`` can see is read: per (slug, timeframe, regime) — a null
        regime being a group of its own — the ``tail`` newest in (known_at, win) order (the order
        ``success_asof`` breaks ties in), plus every outcome known from ``tail_before`` to ``until``.
        The pooled (slug, timeframe) window needs nothing more: an outcome among its ``tail`` newest is
        among the ``tail`` newest of its own regime. Rows tied on (known_at, win) are interchangeable, so
        rolling rates at or after ``tail_before`` equal those over the full read.
        """
        columns, where = _outcome_columns(signal_outcomes), _outcome_filter(signal_outcomes, since, until)
        if tail_before is None:
            statement = select(*columns).where(*where)
        else:
            statement = _outcome_tails(columns, where, since, until, tail_before, tail)
        frame = read_frame(self._connection, statement)
        log_query("signals", "known_pattern_outcomes", count=frame.height)
        return _typed(frame)

    def latest_before(self, table: Table, coin_ids: Sequence[int], start: datetime) -> pl.DataFrame:
        """The newest stored row per (coin, timeframe) of a decision log before ``start``.

        Index descents instead of a scan: per coin, a recursive "next larger timeframe" walk of the
        (coin_id, timeframe, timestamp) key, then the newest row of each pair. A DISTINCT ON over
        every earlier row grew with the log (0.7 s per 25 coins after half a year; this takes 20 ms).
        """
        def next_timeframe(coin: Any, after: Any | None = None) -> Any:
            # min() over an index prefix is one descent; past the coin's last timeframe it is null.
            inner = table.alias("next_pair")
            bound = () if after is None else (inner.c.timeframe > after,)
            return select(func.min(inner.c.timeframe)).where(
                inner.c.coin_id == coin, inner.c.timestamp < start, *bound).scalar_subquery()

        wanted = integer_rows(coin_ids, "coin_id", "wanted")
        pairs = select(wanted.c.coin_id, next_timeframe(wanted.c.coin_id).label("timeframe")).cte(
            "pairs", recursive=True)
        pairs = pairs.union_all(select(pairs.c.coin_id, next_timeframe(pairs.c.coin_id, pairs.c.timeframe))
                                .where(pairs.c.timeframe.is_not(None)))
        newest = table.alias("newest")
        last = (select(newest.c.coin_id, newest.c.timeframe, newest.c.timestamp, newest.c.decision,
                       newest.c.confidence)
                .where(newest.c.coin_id == pairs.c.coin_id, newest.c.timeframe == pairs.c.timeframe,
                       newest.c.timestamp < start)
                .order_by(newest.c.timestamp.desc()).limit(1).lateral("last_row"))
        frame = read_frame(self._connection, select(
            last.c.coin_id, last.c.timeframe, last.c.timestamp, last.c.decision, last.c.confidence)
            .select_from(pairs.join(last, true())).where(pairs.c.timeframe.is_not(None)))
        return _typed(frame)

    def strategy_snapshots(self, start: datetime, end: datetime) -> tuple[pl.DataFrame, pl.DataFrame]:
        """(strategies, rules) of the discovery snapshots a bar in ``[start, end)`` may use: the newest
        snapshot at or before ``start`` and every later one before ``end``."""
        base = select(func.max(strategy_performance.c.as_of)).where(
            strategy_performance.c.as_of <= start).scalar_subquery()
        performance = read_frame(self._connection, select(
            strategies.c.name, strategies.c.timeframe, strategy_performance.c.as_of, strategy_performance.c.enabled,
            strategy_performance.c.sample_size, strategy_performance.c.win_rate, strategy_performance.c.avg_return,
            strategy_performance.c.sharpe_ratio, strategy_performance.c.max_drawdown)
            .join(strategies, strategies.c.id == strategy_performance.c.strategy_id)
            .where(strategy_performance.c.as_of >= func.coalesce(base, start), strategy_performance.c.as_of < end))
        rules = read_frame(self._connection, select(
            strategies.c.name, strategy_rules.c.pattern_slug, strategy_rules.c.regime, strategy_rules.c.sector,
            strategy_rules.c.cycle, strategy_rules.c.min_confidence)
            .join(strategies, strategies.c.id == strategy_rules.c.strategy_id))
        return _typed(performance), rules

    def outcomes_for_backtests(self, since: datetime) -> pl.DataFrame:
        """Evaluated signal outcomes since ``since`` with the signal's confidence."""
        frame = read_frame(self._connection, select(
            signal_outcomes.c.coin_id, signal_outcomes.c.timeframe, signal_outcomes.c.signal_type,
            signal_outcomes.c.candle_timestamp, signals.c.confidence, signal_outcomes.c.result_return,
            signal_outcomes.c.result_drawdown)
            .join(signals, and_(signals.c.coin_id == signal_outcomes.c.coin_id,
                                signals.c.timeframe == signal_outcomes.c.timeframe,
                                signals.c.candle_timestamp == signal_outcomes.c.candle_timestamp,
                                signals.c.signal_type == signal_outcomes.c.signal_type))
            .where(signal_outcomes.c.candle_timestamp >= since, signal_outcomes.c.result_return.is_not(None),
                   signal_outcomes.c.result_drawdown.is_not(None)))
        log_query("signals", "outcomes_for_backtests", count=frame.height)
        return _typed(frame)


def _known_at(table: Any) -> Any:
    """When an outcome's result became known: its candle's close plus the horizon that produced it."""
    close = table.c.candle_timestamp + func.make_interval(0, 0, 0, 0, 0, table.c.timeframe)
    horizon = case((table.c.return_72h.is_not(None), literal(_LONG_HORIZON)), else_=literal(_SHORT_HORIZON))
    return close + horizon


def _outcome_columns(table: Any) -> tuple[Any, ...]:
    """slug, timeframe, regime, known_at, win of the outcomes in ``table`` (``signal_outcomes`` or an alias)."""
    return (func.substr(table.c.signal_type, 9, type_=String).label("slug"), table.c.timeframe,
            table.c.market_regime.label("regime"), _known_at(table).label("known_at"),
            (table.c.result_return > 0).label("win"))


def _outcome_filter(table: Any, since: datetime, until: datetime) -> tuple[Any, ...]:
    """Evaluated base-pattern outcomes of signals since ``since`` whose result was known by ``until``."""
    return (*is_base_pattern(table.c.signal_type), table.c.candle_timestamp >= since,
            table.c.result_return.is_not(None), _known_at(table) <= until)


def _outcome_coin_ids() -> Any:
    """Every coin id in ``signal_outcomes`` as one array, by a skip scan of the primary key (one index
    descent per coin: a recursive "next larger id" instead of a DISTINCT over every row)."""
    inner = signal_outcomes.alias("next_coin")
    ids = select(func.min(signal_outcomes.c.coin_id).label("id")).cte("coin_ids", recursive=True)
    ids = ids.union_all(select(select(func.min(inner.c.coin_id)).where(inner.c.coin_id > ids.c.id)
                               .scalar_subquery()).where(ids.c.id.is_not(None)))
    return select(func.array_agg(ids.c.id)).where(ids.c.id.is_not(None)).scalar_subquery()


def _scope_tails(scopes: Any, same_regime: Callable[[Any], Any], since: datetime, until: datetime,
                 tail_before: datetime, tail: int) -> Select[Any]:
    """The ``tail`` newest outcomes in (known_at, win) order known before ``tail_before`` of every scope.

    ``known_at`` is the candle close plus 24 h or 72 h, so it is not in index order; candle time is.
    Let c be the candle time of the ``tail``-th newest outcome by candle time among those known before
    ``tail_before`` (within one scope, so one timeframe and one bar length b). Those ``tail`` outcomes
    are known at c + b + 24 h or later, so the ``tail``-th newest known_at K is at least c + b + 24 h.
    An outcome that can rank among the ``tail`` newest by (known_at, win) has known_at >= K, and its
    candle time is known_at - b - (24 h or 72 h) >= K - b - 72 h >= c - 48 h. So every outcome of
    the true tail — and every outcome tied with its last one — has candle time >= c - 48 h: ranking
    only those (a range of the index) by (known_at, win) and keeping ``tail`` gives the same rows as
    ranking the whole scope (outcomes tied on (known_at, win) are identical rows of this read).
    With fewer than ``tail`` outcomes there is no c and the whole scope (since ``since``) is kept.
    """
    def in_scope(table: Any) -> tuple[Any, ...]:
        # known before tail_before implies a candle at least 24 h (+ its bar) earlier: an index bound.
        return (table.c.timeframe == scopes.c.timeframe, table.c.signal_type == scopes.c.signal_type,
                same_regime(table), *_outcome_filter(table, since, until), _known_at(table) < tail_before,
                table.c.candle_timestamp < tail_before - _SHORT_HORIZON)

    nth = signal_outcomes.alias("nth_newest")
    cut = (select(nth.c.candle_timestamp).where(*in_scope(nth)).order_by(nth.c.candle_timestamp.desc())
           .offset(tail - 1).limit(1).correlate(scopes).scalar_subquery())
    recent = signal_outcomes.alias("recent")
    columns = _outcome_columns(recent)
    newest = (select(*columns)
              .where(*in_scope(recent),
                     recent.c.candle_timestamp >= func.coalesce(cut - _HORIZON_SPREAD, literal(since)))
              .order_by(_known_at(recent).desc(), (recent.c.result_return > 0).desc())
              .limit(tail).lateral("newest"))
    return select(*newest.c).select_from(scopes.join(newest, true()))


def _outcome_tails(columns: tuple[Any, ...], where: tuple[Any, ...], since: datetime, until: datetime,
                   tail_before: datetime, tail: int) -> Select[Any]:
    """The ``tail`` newest outcomes per (slug, timeframe, regime) known before ``tail_before``, picked per
    scope from the newest rows of ``ix_signal_outcomes_scope_ts`` (never a scan or a sort of the
    history), united with every outcome known from ``tail_before`` on.

    Scopes are (timeframe, signal_type, regime): every base-pattern type is ``pattern_`` + its slug
    (``iris_assets/patterns/catalog.py``), so they are the read's (slug, timeframe, regime) groups."""
    kept = per_scope(lambda scopes, same_regime: _scope_tails(scopes, same_regime, since, until, tail_before,
                                                              tail)) if tail > 0 else ()
    # known_at >= tail_before means a candle at most one day + the 72 h horizon earlier: with every
    # coin and timeframe spelled out, that bound is a range scan of the primary key, not a table scan.
    later = select(*columns).where(
        *where, _known_at(signal_outcomes) >= tail_before,
        signal_outcomes.c.coin_id == any_(cast(_outcome_coin_ids(), ARRAY(Integer))),
        signal_outcomes.c.timeframe == any_(literal(list(STORED_TIMEFRAMES))),
        signal_outcomes.c.candle_timestamp >= tail_before - OUTCOME_REACH)
    both = union_all(*kept, later).subquery("outcomes")
    return select(*both.c)


__all__ = ["DecisionQueries"]
