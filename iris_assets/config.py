"""Run configuration shared by the market data assets."""

from __future__ import annotations

import dagster as dg
from pydantic import Field


class MarketScope(dg.Config):
    """Which symbols a run touches; empty means the whole enabled universe."""

    symbols: list[str] = Field(default_factory=list, description="Restrict the run to these symbols.")
