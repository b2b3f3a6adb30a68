"""Query service of the read API for patterns, pattern signals, signal outcomes, regimes and market cycles.

Every method runs exactly one statement whatever the page size (tests count them); none writes.
Statements are built once per shape (which filters are present) and executed with bound values.

Lists are keyset-paginated on their full sort key. Where the documented order mixes directions, the
key is written so that one row comparison covers it: a descending float is negated (``-confidence``
ascending), a small rank is chosen so that its natural direction is the list's. "Newest per coin and
timeframe" (cycles) is one index probe per (coin, timeframe) on the primary key (a LATERAL
``ORDER BY timestamp DESC LIMIT 1``), never a scan of the history.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Connection,
    DateTime,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    null,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.sql.elements import ColumnElement

from iris_resources.db.keyset import before, beyond, page_params, timeframe_values, upper_symbol
from iris_resources.db.persistence_log import log_query
from iris_resources.indicators.tables import coin_metrics, regime_changes, signals
from iris_resources.market_data.tables import coins, sectors
from iris_resources.patterns.api_read_models import (
    CoinRegimeRow,
    MarketCycleRow,
    PatternRow,
    PatternSignalRow,
    PatternStatisticRow,
    RegimeChangeRow,
    SignalOutcomeRow,
)
from iris_resources.patterns.tables import market_cycles, pattern_registry, pattern_statistics, signal_outcomes

# Every timeframe a coin may be analysed on (the per-timeframe LATERAL probes iterate over these).
TIMEFRAMES = (1, 5, 15, 60, 240, 1440)
# The order a coin's canonical regime falls back in when its primary row has none (reference 3.1).
CANONICAL_ORDER = (1440, 240, 60, 15)
PATTERN_KINDS = ("pattern", "cluster", "hierarchy")
HORIZONS = ("4b", "12b", "24b", "24h", "72h")












# Patterns -------------------------------------------------------------------------------------------

_STATISTIC_COLUMNS = (
    pattern_statistics.c.timeframe, pattern_statistics.c.market_regime, pattern_statistics.c.total_signals,
    pattern_statistics.c.total_signals, pattern_statistics.c.successful_signals, pattern_statistics.c.success_rate,
    pattern_statistics.c.avg_return, pattern_statistics.c.avg_drawdown, pattern_statistics.c.temperature,
    pattern_statistics.c.enabled, pattern_statistics.c.updated_at,
)  # PatternStatisticRow's field order (sample_size = total_signals, as the reference reports it)
_REGIME_ORDER = case((pattern_statistics.c.market_regime == "all", 0), else_=1)  # the global bucket first


def _statistics(timeframe: bool) -> ColumnElement[Any]:
    """A pattern's statistics as a JSON array of arrays, by timeframe (``all`` regime first), correlated
    to the registry row."""
    statement = (
        select(func.coalesce(func.jsonb_agg(aggregate_order_by(
            func.jsonb_build_array(*_STATISTIC_COLUMNS), pattern_statistics.c.timeframe, _REGIME_ORDER,
            pattern_statistics.c.market_regime)), func.jsonb_build_array()))
        .where(pattern_statistics.c.pattern_slug == pattern_registry.c.slug)
    )
    if timeframe:
        statement = statement.where(pattern_statistics.c.timeframe == bindparam("timeframe"))
    return statement.scalar_subquery()


@lru_cache(maxsize=16)
def _patterns(one: bool, after: bool, category: bool, timeframe: bool) -> Select:
    registry = pattern_registry
    statement = select(registry.c.slug, registry.c.category, registry.c.bias, registry.c.lookback,
                       registry.c.cpu_cost, registry.c.lifecycle_state, registry.c.enabled, registry.c.updated_at,
                       _statistics(timeframe))
    if one:
        return statement.where(registry.c.slug == bindparam("slug"))
    key = (registry.c.category, registry.c.slug)
    statement = statement.order_by(*key).limit(bindparam("limit"))
    if after:
        statement = statement.where(beyond(key))
    if category:
        statement = statement.where(registry.c.category == bindparam("category"))
    return statement


def _statistic_row(values: Sequence[Any]) -> PatternStatisticRow:
    (timeframe, regime, sample_size, total, successful, rate, avg_return, avg_drawdown, temperature, enabled,
     updated_at) = values
    return PatternStatisticRow(timeframe, regime, sample_size, total, successful, rate, avg_return, avg_drawdown,
                               temperature, enabled, datetime.fromisoformat(updated_at))


def _pattern_row(row: Sequence[Any]) -> PatternRow:
    slug, category, bias, lookback, cpu_cost, lifecycle_state, enabled, updated_at, statistics = row
    return PatternRow(slug, category, bias, lookback, cpu_cost, lifecycle_state, enabled, updated_at,
                      tuple(_statistic_row(values) for values in statistics or ()))


# Pattern signals ------------------------------------------------------------------------------------

_type = signals.c.signal_type
_IS_CLUSTER = _type.startswith("pattern_cluster_", autoescape=True)
_IS_HIERARCHY = _type.startswith("pattern_hierarchy_", autoescape=True)
_KIND = case((_IS_CLUSTER, "cluster"), (_IS_HIERARCHY, "hierarchy"), else_="pattern")
# Within a candle: base patterns, then clusters, then hierarchy (reference 7.1): descending 2, 1, 0.
_KIND_RANK = case((_IS_CLUSTER, 1), (_IS_HIERARCHY, 0), else_=2)
_SLUG = case((_IS_CLUSTER | _IS_HIERARCHY, cast(null(), String)), else_=func.substr(_type, len("pattern_") + 1))
_PATTERN_KEY = (signals.c.candle_timestamp, _KIND_RANK, signals.c.confidence, signals.c.id)
_DAWN = cast(literal("-infinity"), DateTime(timezone=True))  # fewer matching rows than the page holds


def pattern_signal_key(row: PatternSignalRow) -> tuple[Any, ...]:
    """The keyset of a row of a coin's pattern signals (every part descending)."""
    return (row.candle_timestamp, {"pattern": 2, "cluster": 1, "hierarchy": 0}[row.kind], row.confidence, row.id)


def _cluster_membership(page: Any) -> ColumnElement[Any]:
    """The cluster signal types raised on the page row's coin, timeframe and candle (unique-key probe)."""
    return func.array(
        select(signals.c.signal_type)
        .where(signals.c.coin_id == page.c.coin_id, signals.c.timeframe == page.c.timeframe,
               signals.c.candle_timestamp == page.c.candle_timestamp, _IS_CLUSTER)
        .order_by(signals.c.signal_type)
        .scalar_subquery()
    )


def _pattern_filters(statement: Select, after: bool, timeframe: bool, kinds: bool) -> Select:
    statement = statement.where(signals.c.coin_id == bindparam("coin_id"), signals.c.source == "pattern")
    if after:  # the plain bound lets the index start at the cursor
        statement = statement.where(signals.c.candle_timestamp <= bindparam("after_0"), before(_PATTERN_KEY))
    if timeframe:
        statement = statement.where(signals.c.timeframe == bindparam("timeframe"))
    if kinds:
        statement = statement.where(_KIND.in_(bindparam("kinds", expanding=True)))
    return statement


@lru_cache(maxsize=16)
def _coin_patterns(after: bool, timeframe: bool, kinds: bool) -> Select:
    """A page of the coin's pattern signals first (signals only), then its coin, cycle phase and cluster
    membership for those rows alone.

    The page's first sort key is the candle time, so it lies within the newest ``limit`` candle times
    of the matching rows: a backward walk of the ``(coin_id, candle_timestamp)`` index finds the oldest
    of them (``bound``), and only rows from there on are sorted, not the coin's whole history."""
    newest = _pattern_filters(select(signals.c.candle_timestamp), after, timeframe, kinds)
    bound = (newest.order_by(signals.c.candle_timestamp.desc()).offset(bindparam("bound_offset")).limit(1)
             .correlate(None))  # its own scan of signals, not the outer row
    rows = _pattern_filters(
        select(signals.c.id, signals.c.coin_id, signals.c.timeframe, signals.c.signal_type, _KIND.label("kind"),
               _KIND_RANK.label("kind_rank"), _SLUG.label("pattern_slug"), signals.c.direction, signals.c.confidence,
               signals.c.priority_score, signals.c.context_score, signals.c.regime_alignment,
               signals.c.market_regime, signals.c.candle_timestamp, signals.c.created_at)
        .where(signals.c.candle_timestamp >= func.coalesce(bound.scalar_subquery(), _DAWN))
        .order_by(*(part.desc() for part in _PATTERN_KEY))
        .limit(bindparam("limit")), after, timeframe, kinds)
    page = rows.subquery("page")
    cycle = and_(market_cycles.c.coin_id == page.c.coin_id, market_cycles.c.timeframe == page.c.timeframe,
                 market_cycles.c.timestamp == page.c.candle_timestamp)
    return (
        select(page.c.id, page.c.coin_id, coins.c.symbol, coins.c.name, sectors.c.code, page.c.timeframe,
               page.c.signal_type, page.c.kind, page.c.pattern_slug, page.c.direction, page.c.confidence,
               page.c.priority_score, page.c.context_score, page.c.regime_alignment, page.c.market_regime,
               market_cycles.c.cycle_phase, market_cycles.c.confidence, _cluster_membership(page),
               page.c.candle_timestamp, page.c.created_at)
        .select_from(page.join(coins, coins.c.id == page.c.coin_id).join(sectors, sectors.c.id == coins.c.sector_id)
                     .outerjoin(market_cycles, cycle))
        .order_by(page.c.candle_timestamp.desc(), page.c.kind_rank.desc(), page.c.confidence.desc(),
                  page.c.id.desc())
    )


# Signal outcomes ------------------------------------------------------------------------------------

_RESULT = case((signal_outcomes.c.result_return.is_(None), cast(null(), String)),
               (signal_outcomes.c.result_return > 0, "win"), else_="loss")


@lru_cache(maxsize=16)
def _signal_history(after: bool, timeframe: bool, types: bool) -> Select:
    """One coin's outcomes newest first: a merge of one index-ordered page per timeframe (primary key
    ``(coin_id, timeframe, candle_timestamp, signal_type)``), never a sort of the coin's whole history."""
    table = signal_outcomes
    tfs = timeframe_values(TIMEFRAMES)
    per_timeframe = (
        select(table.c.timeframe, table.c.candle_timestamp, table.c.signal_type, table.c.direction,
               table.c.market_regime, table.c.entry_price, *(table.c[f"return_{h}"] for h in HORIZONS),
               *(table.c[f"mae_{h}"] for h in HORIZONS), table.c.result_return, table.c.result_drawdown,
               _RESULT.label("result"), table.c.evaluated_at)
        .where(table.c.coin_id == bindparam("coin_id"), table.c.timeframe == tfs.c.timeframe)
        .order_by(table.c.candle_timestamp.desc(), table.c.signal_type.desc())
        .limit(bindparam("limit"))
    )
    if after:
        per_timeframe = per_timeframe.where(
            table.c.candle_timestamp <= bindparam("after_0"),
            before((table.c.candle_timestamp, table.c.timeframe, table.c.signal_type)))
    if types:
        per_timeframe = per_timeframe.where(table.c.signal_type.in_(bindparam("types", expanding=True)))
    page = per_timeframe.lateral("page")
    statement = (
        select(*page.c).select_from(tfs.join(page, true()))
        .order_by(page.c.candle_timestamp.desc(), page.c.timeframe.desc(), page.c.signal_type.desc())
        .limit(bindparam("limit"))
    )
    if timeframe:
        statement = statement.where(tfs.c.timeframe == bindparam("timeframe"))
    return statement


# Regimes --------------------------------------------------------------------------------------------

_newest_change = (
    select(regime_changes.c.regime, regime_changes.c.previous_regime, regime_changes.c.timestamp)
    .where(regime_changes.c.coin_id == coin_metrics.c.coin_id, regime_changes.c.timeframe == coin_metrics.c.timeframe)
    .order_by(regime_changes.c.timestamp.desc())
    .limit(1)
    .lateral("newest_change")
)
_COIN_REGIMES = (
    select(coin_metrics.c.timeframe, coin_metrics.c.market_regime, coin_metrics.c.regime_confidence,
           coin_metrics.c.is_primary, coin_metrics.c.candle_timestamp, _newest_change.c.regime,
           _newest_change.c.timestamp, _newest_change.c.previous_regime)
    .select_from(coin_metrics.outerjoin(_newest_change, true()))
    .where(coin_metrics.c.coin_id == bindparam("coin_id"))
    .order_by(coin_metrics.c.timeframe)
)


def canonical_regime(rows: Sequence[CoinRegimeRow]) -> CoinRegimeRow | None:
    """The primary timeframe's row when it has a regime, else the first of 1440, 240, 60, 15 that has one."""
    known = {row.timeframe: row for row in rows if row.regime is not None}
    primary = next((row for row in known.values() if row.is_primary), None)
    return primary or next((known[tf] for tf in CANONICAL_ORDER if tf in known), None)


_CHANGE_KEY = (regime_changes.c.timestamp, regime_changes.c.coin_id, regime_changes.c.timeframe)


@lru_cache(maxsize=32)
def _regime_changes(after: bool, symbol: bool, timeframe: bool, regime: bool) -> Select:
    statement = (
        select(regime_changes.c.coin_id, coins.c.symbol, coins.c.name, regime_changes.c.timeframe,
               regime_changes.c.regime, regime_changes.c.previous_regime, regime_changes.c.confidence,
               regime_changes.c.timestamp)
        .join(coins, coins.c.id == regime_changes.c.coin_id)
        .where(coins.c.deleted_at.is_(None))
        .order_by(*(part.desc() for part in _CHANGE_KEY))
        .limit(bindparam("limit"))
    )
    if after:
        statement = statement.where(regime_changes.c.timestamp <= bindparam("after_0"), before(_CHANGE_KEY))
    if symbol:
        statement = statement.where(coins.c.symbol == bindparam("symbol"))
    if timeframe:
        statement = statement.where(regime_changes.c.timeframe == bindparam("timeframe"))
    if regime:
        statement = statement.where(regime_changes.c.regime == bindparam("regime"))
    return statement


# Market cycles --------------------------------------------------------------------------------------

def cycle_key(row: MarketCycleRow) -> tuple[Any, ...]:
    """The keyset of a cycle row: confidence descending, then the coin's sort order, symbol, timeframe."""
    return (-row.confidence, row.sort_order, row.symbol, row.timeframe)


@lru_cache(maxsize=32)
def _cycles(after: bool, symbol: bool, timeframe: bool, phase: bool) -> Select:
    tfs = timeframe_values(TIMEFRAMES)
    newest = (
        select(market_cycles.c.cycle_phase, market_cycles.c.confidence, market_cycles.c.timestamp)
        .where(market_cycles.c.coin_id == coins.c.id, market_cycles.c.timeframe == tfs.c.timeframe)
        .order_by(market_cycles.c.timestamp.desc())
        .limit(1)
        .lateral("newest")
    )
    key = (-newest.c.confidence, coins.c.sort_order, coins.c.symbol, tfs.c.timeframe)
    statement = (
        select(coins.c.id, coins.c.symbol, coins.c.name, coins.c.sort_order, tfs.c.timeframe,
               newest.c.cycle_phase, newest.c.confidence, newest.c.timestamp)
        .select_from(coins.join(tfs, true()).join(newest, true()))
        .where(coins.c.deleted_at.is_(None))
        .order_by(*key)
        .limit(bindparam("limit"))
    )
    if after:
        statement = statement.where(beyond(key))
    if symbol:
        statement = statement.where(coins.c.symbol == bindparam("symbol"))
    if timeframe:
        statement = statement.where(tfs.c.timeframe == bindparam("timeframe"))
    if phase:
        statement = statement.where(newest.c.cycle_phase == bindparam("phase"))
    return statement


class PatternReadQueries:
    """The pattern registry and statistics, pattern signals and outcomes of a coin, regimes and cycles
    (of non-deleted coins)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def patterns(self, *, limit: int, after: Sequence[Any] | None = None, category: str | None = None,
                 timeframe: int | None = None) -> tuple[PatternRow, ...]:
        """Registry rows by category then slug, after the keyset ``after``, each with its statistics
        (only those of ``timeframe`` when given)."""
        params = page_params(limit, after, category=category, timeframe=timeframe)
        statement = _patterns(False, after is not None, category is not None, timeframe is not None)
        rows = self._connection.execute(statement, params).all()
        log_query("patterns", "api_patterns", count=len(rows))
        return tuple(_pattern_row(row) for row in rows)

    def pattern(self, slug: str, *, timeframe: int | None = None) -> PatternRow | None:
        """One registry row with its statistics; ``None`` when the slug is unknown."""
        row = self._connection.execute(_patterns(True, False, False, timeframe is not None),
                                       page_params(None, None, slug=slug, timeframe=timeframe)).first()
        log_query("patterns", "api_pattern", count=int(row is not None))
        return _pattern_row(row) if row is not None else None

    def coin_patterns(self, coin_id: int, *, limit: int, after: Sequence[Any] | None = None,
                      timeframe: int | None = None, kinds: Sequence[str] = ()) -> tuple[PatternSignalRow, ...]:
        """A coin's pattern, cluster and hierarchy signals: newest candle first, then base patterns before
        clusters before hierarchy, then confidence and id (descending), after the keyset ``after``."""
        params = page_params(limit, after, coin_id=coin_id, timeframe=timeframe, kinds=list(kinds) if kinds else None,
                         bound_offset=limit - 1)
        rows = self._connection.execute(_coin_patterns(after is not None, timeframe is not None, bool(kinds)),
                                        params).all()
        log_query("patterns", "api_coin_patterns", count=len(rows))
        return tuple(PatternSignalRow(*row) for row in rows)

    def signal_history(self, coin_id: int, *, limit: int, after: Sequence[Any] | None = None,
                       timeframe: int | None = None, signal_types: Sequence[str] = ()
                       ) -> tuple[SignalOutcomeRow, ...]:
        """A coin's signal outcomes by candle time, timeframe and signal type (all descending), after the
        keyset ``after``."""
        params = page_params(limit, after, coin_id=coin_id, timeframe=timeframe,
                         types=list(signal_types) if signal_types else None)
        statement = _signal_history(after is not None, timeframe is not None, bool(signal_types))
        rows = self._connection.execute(statement, params).all()
        log_query("patterns", "api_signal_history", count=len(rows))
        return tuple(SignalOutcomeRow(*row) for row in rows)

    def coin_regimes(self, coin_id: int) -> tuple[CoinRegimeRow, ...]:
        """A coin's regime on every timeframe it has metrics for, by ascending timeframe."""
        rows = self._connection.execute(_COIN_REGIMES, {"coin_id": coin_id}).all()
        log_query("patterns", "api_coin_regimes", count=len(rows))
        return tuple(
            CoinRegimeRow(timeframe=tf, regime=regime, confidence=confidence, is_primary=primary,
                          candle_timestamp=candle, since=changed if regime is not None and change == regime else None,
                          previous_regime=previous if regime is not None and change == regime else None)
            for tf, regime, confidence, primary, candle, change, changed, previous in rows)

    def regime_changes(self, *, limit: int, after: Sequence[Any] | None = None, symbol: str | None = None,
                       timeframe: int | None = None, regime: str | None = None) -> tuple[RegimeChangeRow, ...]:
        """Regime changes newest first (then coin id and timeframe, descending), after the keyset ``after``."""
        params = page_params(limit, after, symbol=upper_symbol(symbol), timeframe=timeframe, regime=regime)
        statement = _regime_changes(after is not None, symbol is not None, timeframe is not None, regime is not None)
        rows = self._connection.execute(statement, params).all()
        log_query("patterns", "api_regime_changes", count=len(rows))
        return tuple(RegimeChangeRow(*row) for row in rows)

    def market_cycles(self, *, limit: int, after: Sequence[Any] | None = None, symbol: str | None = None,
                      timeframe: int | None = None, phase: str | None = None) -> tuple[MarketCycleRow, ...]:
        """Each coin's newest cycle phase per timeframe by confidence (descending), then the coin's sort
        order, symbol and timeframe, after the keyset ``after`` (see :func:`cycle_key`)."""
        params = page_params(limit, after, symbol=upper_symbol(symbol), timeframe=timeframe, phase=phase)
        statement = _cycles(after is not None, symbol is not None, timeframe is not None, phase is not None)
        rows = self._connection.execute(statement, params).all()
        log_query("patterns", "api_market_cycles", count=len(rows))
        return tuple(MarketCycleRow(*row) for row in rows)

