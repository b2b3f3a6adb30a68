"""Resolve the PostgreSQL and Redis every IRIS process talks to, starting embedded ones on request.

External servers come from ``IRIS_DATABASE_URL`` / ``IRIS_REDIS_URL``. Embedded servers write where
they listen to ``<data_dir>/runtime.json`` so that every other process (Dagster code server, run
workers, the API) finds them without configuration.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from iris_resources.services import embedded_postgres, embedded_redis
from iris_resources.settings import IrisSettings

APP_DATABASE = "iris"


class ServicesNotRunningError(RuntimeError):
    """Embedded mode is configured but the embedded services have not been started."""


@dataclass(frozen=True, slots=True)
class ServiceUrls:
    """Connection URLs of the application database, Dagster's database and Redis."""

    database_url: str
    dagster_database_url: str
    redis_url: str


def _runtime_file(settings: IrisSettings) -> Path:
    return settings.data_dir / "runtime.json"


def with_database(url: str, database: str) -> str:
    """``url`` pointing at another database on the same server."""
    return make_url(url).set(database=database).render_as_string(hide_password=False)


def _server_url(settings: IrisSettings, started: dict[str, str]) -> tuple[str, str]:
    if settings.database_url is not None:
        app_url = settings.database_url.get_secret_value()
        return app_url, with_database(app_url, settings.dagster_database)
    server = started["postgres_url"]
    return with_database(server, APP_DATABASE), with_database(server, settings.dagster_database)


def ensure_services(settings: IrisSettings) -> ServiceUrls:
    """Start whatever runs embedded (idempotent), create the databases, and return the URLs."""
    started: dict[str, str] = {}
    if settings.embedded_postgres:
        pg = embedded_postgres.start(settings.data_dir / "postgres", settings.embedded_pg_port)
        started["postgres_url"] = pg.url
    if settings.embedded_redis:
        rd = embedded_redis.start(settings.data_dir / "redis", settings.embedded_redis_port)
        started["redis_url"] = rd.url
    if started:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        _runtime_file(settings).write_text(json.dumps(started, indent=2))
    urls = _compose(settings, started)
    from iris_resources.db.admin import ensure_database

    ensure_database(urls.database_url)
    ensure_database(urls.dagster_database_url)
    return urls


def _compose(settings: IrisSettings, started: dict[str, str]) -> ServiceUrls:
    app_url, dagster_url = _server_url(settings, started)
    redis_url = (
        settings.redis_url.get_secret_value() if settings.redis_url is not None else started["redis_url"]
    )
    return ServiceUrls(database_url=app_url, dagster_database_url=dagster_url, redis_url=redis_url)


def resolve_urls(settings: IrisSettings) -> ServiceUrls:
    """The URLs of running services, without starting anything."""
    started: dict[str, str] = {}
    if settings.embedded_postgres or settings.embedded_redis:
        path = _runtime_file(settings)
        if not path.exists():
            raise ServicesNotRunningError(
                f"embedded services are not running (no {path}); start them with `iris services start`"
            )
        started = json.loads(path.read_text())
    return _compose(settings, started)


def stop_services(settings: IrisSettings) -> dict[str, bool]:
    """Stop the embedded services (external servers are never touched)."""
    stopped = {
        "postgres": embedded_postgres.stop(settings.data_dir / "postgres") if settings.embedded_postgres else False,
        "redis": embedded_redis.stop(settings.data_dir / "redis") if settings.embedded_redis else False,
    }
    _runtime_file(settings).unlink(missing_ok=True)
    return stopped


@dataclass(frozen=True, slots=True)
class ServiceStatus:
    """What ``iris services status`` prints."""

    postgres: str
    redis: str


def status(settings: IrisSettings) -> ServiceStatus:
    """Describe each service: external, embedded and running (with its port), or stopped."""
    def describe(embedded: bool, port: int | None) -> str:
        if not embedded:
            return "external"
        return f"embedded, running on 127.0.0.1:{port}" if port else "embedded, stopped"

    return ServiceStatus(
        postgres=describe(settings.embedded_postgres,
                          embedded_postgres.running_port(settings.data_dir / "postgres")),
        redis=describe(settings.embedded_redis, embedded_redis.running_port(settings.data_dir / "redis")),
    )


def as_dict(urls: ServiceUrls) -> dict[str, str]:
    """Plain mapping of the URLs (for environment export)."""
    return asdict(urls)
