"""Sweeps the event outbox: publishes committed events the after-commit relay could not send."""

import dagster as dg

from iris_resources.db.resources import DatabaseResource
from iris_resources.events.resources import EventsResource


@dg.sensor(minimum_interval_seconds=15, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Publishes committed outbox events to the Redis Stream (catches up after Redis outages).")
def outbox_relay_sensor(context: dg.SensorEvaluationContext, database: DatabaseResource,
                        events: EventsResource) -> dg.SkipReason:
    """Relay whatever is still unpublished; never launches runs."""
    result = events.relay(database.engine)
    if result.failed:
        return dg.SkipReason(f"Redis unreachable, {result.published} published before the failure: {result.error}")
    return dg.SkipReason(f"published {result.published} events")
