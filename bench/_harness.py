"""Shared plumbing of the benchmarks: a throwaway migrated database on a real server."""

from __future__ import annotations

import json
import os
import resource
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from iris_resources.db.admin import drop_database, ensure_database
from iris_resources.db.migrate import upgrade
from iris_resources.services import embedded_postgres
from iris_resources.services.runtime import with_database


@contextmanager
def scratch_database(prefix: str = "iris_bench") -> Iterator[str]:
    """A migrated database on ``IRIS_DATABASE_URL``'s server, or on a throwaway embedded server."""
    external = os.environ.get("IRIS_DATABASE_URL")
    pgdata: Path | None = None
    if external:
        server = with_database(external, "postgres")
    else:
        pgdata = Path(tempfile.mkdtemp(prefix="iris-bench-pg-")) / "pgdata"
        server = embedded_postgres.start(pgdata, preferred_port=0).url
    url = with_database(server, f"{prefix}_{uuid.uuid4().hex[:8]}")
    ensure_database(url)
    try:
        upgrade(url)
        yield url
    finally:
        drop_database(url)
        if pgdata is not None:
            embedded_postgres.destroy(pgdata)
            shutil.rmtree(pgdata.parent, ignore_errors=True)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def print_result(payload: dict[str, object]) -> None:
    """The benchmark's last line: ``RESULT {json}``."""
    print("RESULT " + json.dumps(payload, sort_keys=True))
