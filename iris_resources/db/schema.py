"""The one SQLAlchemy ``MetaData`` every domain's tables register on (Alembic reads it)."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, MetaData

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


def timestamptz(name: str, nullable: bool = False) -> Column:
    """A ``timestamp with time zone`` column (every IRIS time is UTC)."""
    return Column(name, DateTime(timezone=True), nullable=nullable)


def load_all_tables() -> MetaData:
    """Import every domain's table module so ``metadata`` is complete, and return it."""
    from iris_resources.anomalies import tables as _anomalies  # noqa: F401
    from iris_resources.cross_market import tables as _cross_market  # noqa: F401
    from iris_resources.events import tables as _events  # noqa: F401
    from iris_resources.indicators import tables as _indicators  # noqa: F401
    from iris_resources.market_data import tables as _market_data  # noqa: F401
    from iris_resources.patterns import tables as _patterns  # noqa: F401
    from iris_resources.portfolio import tables as _portfolio  # noqa: F401
    from iris_resources.predictions import tables as _predictions  # noqa: F401
    from iris_resources.signals import tables as _signals  # noqa: F401

    return metadata
