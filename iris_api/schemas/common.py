"""Snapshot metadata (DECISIONS.md 30) shared by every analytical response, and page fields."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Consistency = Literal["strong", "snapshot", "eventual", "derived", "cached"]
FreshnessClass = Literal["real_time", "near_real_time", "delayed", "historical", "unknown"]


class PublicModel(BaseModel):
    """Base of every response schema: no undocumented fields."""

    model_config = ConfigDict(extra="forbid")


class SnapshotPublic(PublicModel):
    """Where the data came from and how old it is."""

    generated_at: datetime = Field(
        description="When this snapshot was produced: the materialization time for derived products "
                    "(projections, metrics), the request time for live reads.")
    staleness_ms: int | None = Field(
        description="generated_at minus the newest source timestamp in the data; null when there is none.")
    freshness_class: FreshnessClass
    consistency: Consistency = Field(
        description="`derived`: a materialized product; `snapshot`: one consistent read of the tables.")
    source_run_id: str | None = Field(description="The Dagster run that materialized the data, when known.")


class PagePublic(SnapshotPublic):
    """A page of a keyset-paginated list."""

    count: int = Field(description="Items on this page.")
    limit: int
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")
