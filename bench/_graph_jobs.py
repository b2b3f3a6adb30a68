"""The jobs ``bench/backfill.py`` launches: the production code location (assets, checks, executor,
resources configured from the environment) in three selections, the way an operator's backfill
of every asset runs them: the universe, the daily-partitioned graph, the latest-state products.

Module-level factories so that Dagster can rebuild each job in a step process (``reconstructable``).
"""

from __future__ import annotations

from typing import Any

import dagster as dg

ROOTS, PARTITIONED, LATEST = "bench_roots", "bench_partitioned", "bench_latest"


def asset_groups() -> dict[str, list[Any]]:
    """The assets of each job, by job name."""
    from iris_assets.definitions import ALL_ASSETS

    partitioned = [a for a in ALL_ASSETS if a.partitions_def is not None]
    roots = [a for a in ALL_ASSETS if a.partitions_def is None and not any(
        dep for deps in a.asset_deps.values() for dep in deps)]
    latest = [a for a in ALL_ASSETS if a not in partitioned and a not in roots]
    return {ROOTS: roots, PARTITIONED: partitioned, LATEST: latest}


def _job(name: str) -> dg.JobDefinition:
    from iris_assets.definitions import defs

    selection = dg.AssetSelection.assets(*asset_groups()[name])
    return dg.Definitions.merge(defs, dg.Definitions(jobs=[dg.define_asset_job(name, selection=selection)])
                                ).resolve_job_def(name)


def roots_job() -> dg.JobDefinition:
    """The unpartitioned roots (universe, pattern registry, balances)."""
    return _job(ROOTS)


def partitioned_job() -> dg.JobDefinition:
    """Every daily-partitioned asset; a run covers one backfill range."""
    return _job(PARTITIONED)


def latest_job() -> dg.JobDefinition:
    """The latest-state products that follow the daily graph."""
    return _job(LATEST)


FACTORIES = {ROOTS: roots_job, PARTITIONED: partitioned_job, LATEST: latest_job}
