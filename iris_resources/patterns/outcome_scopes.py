"""The scopes of the evaluated base-pattern outcomes, found along ``ix_signal_outcomes_scope_ts``.

A scope is (timeframe, signal type, regime): the groups success rates and pattern statistics are
kept over. Reads that need "the newest N outcomes of every scope" walk these scopes and take each
one's newest rows from the index, instead of ranking every stored outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, func, select, true, tuple_

from iris_resources.patterns.tables import signal_outcomes


def is_base_pattern(kind: Any) -> tuple[Any, ...]:
    """A pattern signal type that is neither a cluster nor a hierarchy (those have no slug statistics)."""
    return kind.like("pattern_%"), ~kind.like("pattern_cluster_%"), ~kind.like("pattern_hierarchy_%")


def _outcome_scopes() -> tuple[Any, Any]:
    """(scopes with a regime, scopes without one): CTEs of (timeframe, signal_type[, regime]) holding at
    least one evaluated base-pattern outcome, found by skip scans of ``ix_signal_outcomes_scope_ts``
    (one index descent per scope instead of a DISTINCT over every outcome)."""
    evaluated = signal_outcomes.c.result_return.is_not(None)
    first = (select(signal_outcomes.c.timeframe, signal_outcomes.c.signal_type).where(evaluated)
             .order_by(signal_outcomes.c.timeframe, signal_outcomes.c.signal_type).limit(1).subquery("first_pair"))
    pairs = select(first.c.timeframe, first.c.signal_type).cte("outcome_pairs", recursive=True)
    step = signal_outcomes.alias("next_pair")
    following = (select(step.c.timeframe, step.c.signal_type)
                 .where(step.c.result_return.is_not(None),
                        tuple_(step.c.timeframe, step.c.signal_type) > tuple_(pairs.c.timeframe, pairs.c.signal_type))
                 .order_by(step.c.timeframe, step.c.signal_type).limit(1).lateral("following_pair"))
    pairs = pairs.union_all(select(following.c.timeframe, following.c.signal_type)
                            .select_from(pairs.join(following, true())))

    def next_regime(scope: Any, after: Any | None) -> Any:
        # min() over an index prefix is one descent; it never returns a null regime, so the walk ends.
        inner = signal_outcomes.alias("next_regime")
        bound = () if after is None else (inner.c.market_regime > after,)
        return select(func.min(inner.c.market_regime)).where(
            inner.c.result_return.is_not(None), inner.c.timeframe == scope.c.timeframe,
            inner.c.signal_type == scope.c.signal_type, *bound).scalar_subquery()

    regimes = (select(pairs.c.timeframe, pairs.c.signal_type, next_regime(pairs, None).label("regime"))
               .where(*is_base_pattern(pairs.c.signal_type)).cte("outcome_regimes", recursive=True))
    regimes = regimes.union_all(select(regimes.c.timeframe, regimes.c.signal_type,
                                       next_regime(regimes, regimes.c.regime)).where(regimes.c.regime.is_not(None)))
    with_regime = select(regimes.c.timeframe, regimes.c.signal_type, regimes.c.regime).where(
        regimes.c.regime.is_not(None)).cte("regime_scopes")
    blank = signal_outcomes.alias("blank_regime")
    without_regime = select(pairs.c.timeframe, pairs.c.signal_type).where(
        *is_base_pattern(pairs.c.signal_type),
        select(blank.c.timeframe).where(blank.c.result_return.is_not(None), blank.c.timeframe == pairs.c.timeframe,
                                        blank.c.signal_type == pairs.c.signal_type,
                                        blank.c.market_regime.is_(None)).exists()).cte("blank_scopes")
    return with_regime, without_regime


SameRegime = Callable[[Any], Any]


def per_scope(rows: Callable[[Any, SameRegime], Select[Any]]) -> tuple[Select[Any], Select[Any]]:
    """``rows(scopes, same_regime)`` for the scopes with a regime and for those without one.

    ``scopes`` is a CTE of (timeframe, signal_type[, regime]) to correlate with; ``same_regime(table)`` is
    the regime condition for an alias of ``signal_outcomes``. A null regime is a scope of its own and
    equality never matches it, so it gets its own ``IS NULL`` branch."""
    with_regime, without_regime = _outcome_scopes()
    return (rows(with_regime, lambda table: table.c.market_regime == with_regime.c.regime),
            rows(without_regime, lambda table: table.c.market_regime.is_(None)))
