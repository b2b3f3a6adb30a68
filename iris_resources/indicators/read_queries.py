"""Query service of the read API for metrics, indicator rows, signals and projections.

Every method runs exactly one statement whatever the page size (tests count them); none writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, Text, cast, func, select, tuple_
from sqlalchemy.sql.elements import ColumnElement

from iris_resources.db.persistence_log import log_query
from iris_resources.indicators.api_read_models import (
    CoinMetricsRow,
    IndicatorRow,
    MetricsVersion,
    ProjectionRead,
    ProjectionVersion,
    RegimeDetail,
    SignalRow,
    SmaPoint,
)
from iris_resources.indicators.tables import coin_metrics, indicators, projections, signals
from iris_resources.market_data.tables import coins, sectors

_INDICATOR_COLUMNS = [c for c in indicators.c if c.name not in ("coin_id", "timeframe")]
_METRIC_COLUMNS = [c for c in coin_metrics.c if c.name != "coin_id"]


def _regime_details() -> ColumnElement[Any]:
    """All of a coin's (timeframe, regime, confidence) as a JSON array, correlated to ``coins``."""
    inner = coin_metrics.alias("regimes")
    return (
        select(func.jsonb_agg(
            func.jsonb_build_array(inner.c.timeframe, inner.c.market_regime, inner.c.regime_confidence)
        ).label("details"))
        .where(inner.c.coin_id == coins.c.id, inner.c.market_regime.is_not(None))
        .scalar_subquery()
    )


def _metrics_select(*, with_details: bool) -> Select:
    details = [_regime_details().label("regime_details")] if with_details else []
    return (
        select(coins.c.id.label("coin_id"), coins.c.symbol, coins.c.name, sectors.c.code.label("sector"),
               coins.c.sort_order, *_METRIC_COLUMNS, *details)
        .select_from(coin_metrics)
        .join(coins, coins.c.id == coin_metrics.c.coin_id)
        .join(sectors, sectors.c.id == coins.c.sector_id)
        .where(coins.c.deleted_at.is_(None))
    )


def _metrics_row(mapping: Any) -> CoinMetricsRow:
    values = dict(mapping)
    raw = values.pop("regime_details", None) or ()
    details = tuple(sorted((RegimeDetail(int(tf), str(regime), conf) for tf, regime, conf in raw),
                           key=lambda d: d.timeframe))
    return CoinMetricsRow(**values, regime_details=details)


def _signal_select() -> Select:
    return (
        select(signals.c.id, signals.c.coin_id, coins.c.symbol, coins.c.name, sectors.c.code.label("sector"),
               signals.c.timeframe, signals.c.signal_type, signals.c.source, signals.c.direction,
               signals.c.confidence, signals.c.priority_score, signals.c.context_score, signals.c.regime_alignment,
               signals.c.market_regime, signals.c.candle_timestamp, signals.c.created_at)
        .join(coins, coins.c.id == signals.c.coin_id)
        .join(sectors, sectors.c.id == coins.c.sector_id)
        .where(coins.c.deleted_at.is_(None))
    )


class IndicatorReadQueries:
    """Coin metrics, per-candle indicators, signals and materialized projections."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    # -- coin metrics -------------------------------------------------------------------------
    def metrics_version(self) -> MetricsVersion:
        """Newest materialization and source time of the primary metrics, their count, and the
        newest coin change (a coin renamed or deleted changes the list too)."""
        coins_updated = select(func.max(coins.c.updated_at)).scalar_subquery()
        row = self._connection.execute(
            select(func.max(coin_metrics.c.updated_at), func.max(coin_metrics.c.candle_timestamp), func.count(),
                   coins_updated).where(coin_metrics.c.is_primary.is_(True))
        ).one()
        return MetricsVersion(generated_at=row[0], source_timestamp=row[1], rows=int(row[2]),
                              coins_updated_at=row[3])

    def list_primary_metrics(self, *, limit: int, after: tuple[int, str] | None = None
                             ) -> tuple[CoinMetricsRow, ...]:
        """Each coin's primary metrics row with its regimes on every timeframe, by ``sort_order``
        then symbol, after the keyset ``after``."""
        statement = (
            _metrics_select(with_details=True).where(coin_metrics.c.is_primary.is_(True))
            .order_by(coins.c.sort_order, coins.c.symbol).limit(limit)
        )
        if after is not None:
            statement = statement.where(tuple_(coins.c.sort_order, coins.c.symbol) > tuple_(*after))
        result = tuple(_metrics_row(row._mapping) for row in self._connection.execute(statement))
        log_query("indicators", "api_list_primary_metrics", count=len(result))
        return result

    def coin_metrics(self, coin_id: int) -> tuple[CoinMetricsRow, ...]:
        """Every timeframe's metrics row of one coin, by timeframe."""
        statement = (_metrics_select(with_details=False).where(coin_metrics.c.coin_id == coin_id)
                     .order_by(coin_metrics.c.timeframe))
        result = tuple(_metrics_row(row._mapping) for row in self._connection.execute(statement))
        log_query("indicators", "api_coin_metrics", count=len(result))
        return result

    # -- indicator rows -----------------------------------------------------------------------
    def indicator_page(self, coin_id: int, timeframe: int, *, limit: int, before: datetime | None = None,
                       start: datetime | None = None, end: datetime | None = None) -> tuple[IndicatorRow, ...]:
        """Up to ``limit`` indicator rows, NEWEST first, older than ``before``, in ``[start, end)``."""
        statement = (
            select(*_INDICATOR_COLUMNS)
            .where(indicators.c.coin_id == coin_id, indicators.c.timeframe == timeframe)
            .order_by(indicators.c.timestamp.desc()).limit(limit)
        )
        if before is not None:
            statement = statement.where(indicators.c.timestamp < before)
        if start is not None:
            statement = statement.where(indicators.c.timestamp >= start)
        if end is not None:
            statement = statement.where(indicators.c.timestamp < end)
        result = tuple(IndicatorRow(**row._mapping) for row in self._connection.execute(statement))
        log_query("indicators", "api_indicator_page", count=len(result), timeframe=timeframe)
        return result

    def sma_points(self, coin_id: int, timeframe: int, start: datetime, end: datetime) -> tuple[SmaPoint, ...]:
        """SMA 20/50 of the candles in ``[start, end]``, oldest first."""
        statement = (
            select(indicators.c.timestamp, indicators.c.sma_20, indicators.c.sma_50)
            .where(indicators.c.coin_id == coin_id, indicators.c.timeframe == timeframe,
                   indicators.c.timestamp >= start, indicators.c.timestamp <= end)
            .order_by(indicators.c.timestamp)
        )
        return tuple(SmaPoint(**row._mapping) for row in self._connection.execute(statement))

    # -- signals ------------------------------------------------------------------------------
    def list_signals(
        self,
        *,
        limit: int,
        after: tuple[datetime, int] | None = None,
        symbol: str | None = None,
        coin_id: int | None = None,
        timeframe: int | None = None,
        signal_types: Sequence[str] = (),
        sources: Sequence[str] = (),
    ) -> tuple[SignalRow, ...]:
        """Signals newest candle first (then newest id), filtered, after the keyset ``after``."""
        statement = _signal_select().order_by(signals.c.candle_timestamp.desc(), signals.c.id.desc()).limit(limit)
        if after is not None:
            statement = statement.where(tuple_(signals.c.candle_timestamp, signals.c.id) < tuple_(*after))
        if symbol is not None:
            statement = statement.where(coins.c.symbol == symbol.strip().upper())
        if coin_id is not None:
            statement = statement.where(signals.c.coin_id == coin_id)
        if timeframe is not None:
            statement = statement.where(signals.c.timeframe == timeframe)
        if signal_types:
            statement = statement.where(signals.c.signal_type.in_(list(signal_types)))
        if sources:
            statement = statement.where(signals.c.source.in_(list(sources)))
        result = tuple(SignalRow(**row._mapping) for row in self._connection.execute(statement))
        log_query("indicators", "api_list_signals", count=len(result))
        return result

    def signals_between(self, coin_id: int, timeframe: int, start: datetime, end: datetime,
                        source: str | None = None) -> tuple[SignalRow, ...]:
        """A coin's signals on candles in ``[start, end]``, oldest first (chart markers)."""
        statement = (
            _signal_select()
            .where(signals.c.coin_id == coin_id, signals.c.timeframe == timeframe,
                   signals.c.candle_timestamp >= start, signals.c.candle_timestamp <= end)
            .order_by(signals.c.candle_timestamp, signals.c.id)
        )
        if source is not None:
            statement = statement.where(signals.c.source == source)
        return tuple(SignalRow(**row._mapping) for row in self._connection.execute(statement))

    # -- projections --------------------------------------------------------------------------
    def projection_versions(self) -> tuple[ProjectionVersion, ...]:
        """Every materialized projection's identity, by name."""
        statement = select(projections.c.name, projections.c.generated_at, projections.c.source_timestamp,
                           projections.c.run_id).order_by(projections.c.name)
        return tuple(ProjectionVersion(**row._mapping) for row in self._connection.execute(statement))

    def projection_version(self, name: str) -> ProjectionVersion | None:
        """When projection ``name`` was last materialized (cheap: no payload)."""
        row = self._connection.execute(
            select(projections.c.name, projections.c.generated_at, projections.c.source_timestamp,
                   projections.c.run_id).where(projections.c.name == name)
        ).first()
        return ProjectionVersion(**row._mapping) if row is not None else None

    def projection(self, name: str) -> ProjectionRead | None:
        """Projection ``name`` with its payload as JSON text."""
        row = self._connection.execute(
            select(projections.c.name, projections.c.generated_at, projections.c.source_timestamp,
                   projections.c.run_id, cast(projections.c.payload, Text).label("payload_json"))
            .where(projections.c.name == name)
        ).first()
        log_query("indicators", "api_projection", count=int(row is not None), name=name)
        return ProjectionRead(**row._mapping) if row is not None else None
