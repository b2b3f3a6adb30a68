"""Prepare the process environment every IRIS/Dagster process shares."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from iris_resources.db.migrate import upgrade
from iris_resources.orchestration.instance import STORAGE_URL_ENV, storage_url, write_dagster_home
from iris_resources.services.runtime import ServiceUrls, ensure_services
from iris_resources.settings import IrisSettings


@dataclass(frozen=True, slots=True)
class PreparedRuntime:
    """Running services, a migrated database and a ready DAGSTER_HOME."""

    urls: ServiceUrls
    dagster_home: Path


def prepare(settings: IrisSettings, *, migrate: bool = True) -> PreparedRuntime:
    """Start embedded services if needed, migrate, write DAGSTER_HOME, and export the environment.

    Child processes (``dagster dev``, run workers, the API) inherit ``IRIS_DATA_DIR``,
    ``DAGSTER_HOME`` and the storage URL, so they find the same servers without configuration.
    """
    urls = ensure_services(settings)
    if migrate:
        upgrade(urls.database_url)
    home = Path(os.environ.get("DAGSTER_HOME") or settings.data_dir / "dagster").resolve()
    write_dagster_home(home)
    os.environ["DAGSTER_HOME"] = str(home)
    os.environ["IRIS_DATA_DIR"] = str(settings.data_dir)
    os.environ[STORAGE_URL_ENV] = storage_url(urls.dagster_database_url)
    return PreparedRuntime(urls=urls, dagster_home=home)
