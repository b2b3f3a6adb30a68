"""The resources every IRIS code location binds, configured from the environment."""

from __future__ import annotations

from typing import Any

from iris_resources.db.resources import DatabaseResource, TransactionResource
from iris_resources.events.resources import EventsResource
from iris_resources.market_data.timeframes import parse_timeframe
from iris_resources.settings import IrisSettings, get_settings
from iris_resources.sources.balances import ExchangeBalancesResource
from iris_resources.sources.resource import CandleSourceResource


def build_resources(settings: IrisSettings | None = None, database_url: str | None = None) -> dict[str, Any]:
    """Resources keyed by the parameter names assets use.

    Connection URLs stay out of resource config unless passed in (``database_url``): the database and
    Redis resources resolve them from the settings when a run starts, because the Dagster UI shows
    every resource's configured values, and a URL can carry a password.
    """
    settings = settings or get_settings()
    database = DatabaseResource(url=database_url, pool_size=settings.db_pool_size)
    events = EventsResource(stream=settings.event_stream, maxlen=settings.event_stream_maxlen)
    return {
        "database": database,
        "events": events,
        "transaction": TransactionResource(database=database, events=events),
        "exchange_balances": ExchangeBalancesResource(),
        "candle_source": CandleSourceResource(
            spec=settings.source,
            seed=settings.synthetic_seed,
            n_coins=settings.synthetic_coins,
            base_timeframe=parse_timeframe(settings.base_timeframe),
        ),
    }
