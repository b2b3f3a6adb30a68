"""Unit of work: the one owner of a database transaction.

Entry points (assets, sensors, CLI commands) open it with ``with transaction.begin() as uow:``,
write through the repositories it exposes, and call ``uow.commit()``. Leaving the block without
commit rolls back. Hooks registered with ``add_after_commit`` run only after a successful commit,
in order; a rolled-back transaction discards them. ``commit()`` may be called repeatedly: each call
commits the work since the previous one and starts a fresh transaction.

Each commit first bumps the data versions of the domains whose repositories the unit of work has
used (``iris_resources.events.versions``), in the same transaction: the read API's cached bodies
follow the data exactly, whether or not the write also appended events.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine

from iris_resources.db.persistence_log import log_event
from iris_resources.db.statistics import analyze_grown_tables, forget_bulk_rows
from iris_resources.events.versions import bump_data_versions, domains_of_repositories

if TYPE_CHECKING:
    from iris_resources.anomalies.repository import AnomalyRepository
    from iris_resources.cross_market.repository import CrossMarketRepository
    from iris_resources.events.outbox import EventOutbox
    from iris_resources.indicators.repository import IndicatorRepository
    from iris_resources.market_data.repository import (
        CandleAggregateRepository,
        CandleRepository,
        CoinRepository,
    )
    from iris_resources.patterns.repository import PatternRepository
    from iris_resources.portfolio.repository import PortfolioRepository
    from iris_resources.predictions.repository import PredictionRepository
    from iris_resources.signals.repository import DecisionRepository

AfterCommitHook = Callable[[], object]


class UnitOfWork:
    """A transaction on one connection, with repositories bound to it."""

    def __init__(self, engine: Engine, publisher: Callable[[], object] | None = None,
                 isolation_level: str | None = None) -> None:
        self._engine = engine
        # Relays committed outbox rows to Redis; failures leave them for the next sweep.
        self._publisher = publisher
        self._isolation_level = isolation_level
        self._connection: Connection | None = None
        self._hooks: list[AfterCommitHook] = []
        self.uow_id = uuid.uuid4().hex[:8]

    # -- context management -------------------------------------------------------------------
    def __enter__(self) -> UnitOfWork:
        # SQLAlchemy 2 autobegins a transaction on the first statement and after every commit.
        self._connection = self._engine.connect()
        if self._isolation_level is not None:
            # Several reads that must see one snapshot (e.g. a windowed replay): REPEATABLE READ.
            self._connection = self._connection.execution_options(isolation_level=self._isolation_level)
        log_event("uow.begin", uow_id=self.uow_id)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection = self._connection
        try:
            if connection is None:
                return
            if exc_type is not None:
                log_event("uow.exit_error", level=logging.ERROR, uow_id=self.uow_id, error=repr(exc))
                connection.rollback()
            elif connection.in_transaction():
                log_event("uow.rollback_uncommitted", uow_id=self.uow_id)
                connection.rollback()
            forget_bulk_rows(connection)
            self._hooks = []
        finally:
            if connection is not None:
                connection.close()
            self._connection = None

    # -- transaction control ------------------------------------------------------------------
    @property
    def connection(self) -> Connection:
        """The connection repositories and query services use inside this unit of work."""
        if self._connection is None:
            raise RuntimeError("unit of work used outside its `with` block")
        return self._connection

    def commit(self) -> None:
        """Bump the data versions of the domains written, commit, then run the after-commit hooks
        registered since the last commit, in order."""
        domains = domains_of_repositories(name for name in _REPOSITORIES if name in self.__dict__)
        bump_data_versions(self.connection, domains)
        self.connection.commit()
        log_event("uow.commit", uow_id=self.uow_id, domains=list(domains))
        hooks, self._hooks = self._hooks, []
        for hook in hooks:
            hook()
        if "events" in self.__dict__ and self.events.appended:
            self.events.appended.clear()
            self._publish()
        analyze_grown_tables(self._engine, forget_bulk_rows(self.connection))

    def _publish(self) -> None:
        if self._publisher is None:
            return
        try:
            self._publisher()
        except Exception as exc:  # the data is committed; the outbox keeps the events for the next sweep
            log_event("uow.publish_deferred", level=logging.WARNING, uow_id=self.uow_id, error=type(exc).__name__)

    def rollback(self) -> None:
        """Discard the work (and hooks) since the last commit; the unit of work stays usable."""
        self.connection.rollback()
        forget_bulk_rows(self.connection)
        self._hooks = []
        if "events" in self.__dict__:
            self.events.appended.clear()
        log_event("uow.rollback", uow_id=self.uow_id)

    def flush(self) -> None:
        """Core statements execute immediately; kept so repositories can order writes explicitly."""
        log_event("uow.flush", uow_id=self.uow_id)

    def add_after_commit(self, hook: AfterCommitHook) -> None:
        """Run ``hook`` after the next successful commit (never after a rollback)."""
        self._hooks.append(hook)

    # -- repositories -------------------------------------------------------------------------
    @cached_property
    def coins(self) -> CoinRepository:
        from iris_resources.market_data.repository import CoinRepository

        return CoinRepository(self.connection)

    @cached_property
    def candles(self) -> CandleRepository:
        from iris_resources.market_data.repository import CandleRepository

        return CandleRepository(self.connection)

    @cached_property
    def candle_aggregates(self) -> CandleAggregateRepository:
        from iris_resources.market_data.repository import CandleAggregateRepository

        return CandleAggregateRepository(self.connection)

    @cached_property
    def indicators(self) -> IndicatorRepository:
        from iris_resources.indicators.repository import IndicatorRepository

        return IndicatorRepository(self.connection)

    @cached_property
    def events(self) -> EventOutbox:
        from iris_resources.events.outbox import EventOutbox

        return EventOutbox(self.connection)

    @cached_property
    def anomalies(self) -> AnomalyRepository:
        from iris_resources.anomalies.repository import AnomalyRepository

        return AnomalyRepository(self.connection)

    @cached_property
    def cross_market(self) -> CrossMarketRepository:
        from iris_resources.cross_market.repository import CrossMarketRepository

        return CrossMarketRepository(self.connection)

    @cached_property
    def predictions(self) -> PredictionRepository:
        from iris_resources.predictions.repository import PredictionRepository

        return PredictionRepository(self.connection)

    @cached_property
    def patterns(self) -> PatternRepository:
        from iris_resources.patterns.repository import PatternRepository

        return PatternRepository(self.connection)

    @cached_property
    def decisions(self) -> DecisionRepository:
        from iris_resources.signals.repository import DecisionRepository

        return DecisionRepository(self.connection)

    @cached_property
    def portfolio(self) -> PortfolioRepository:
        from iris_resources.portfolio.repository import PortfolioRepository

        return PortfolioRepository(self.connection)


# Every repository a unit of work exposes (its cached properties; ``events`` writes no domain data).
_REPOSITORIES = tuple(name for name, value in vars(UnitOfWork).items()
                      if isinstance(value, cached_property) and name != "events")
