"""The Dagster resource that yields the configured candle source."""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from iris_resources.sources.base import CandleSource


class CandleSourceResource(dg.ConfigurableResource):
    """Where candles come from: ``synthetic`` (default), ``file:PATH`` or ``exchange:ID``."""

    spec: str = Field(default="synthetic", description="synthetic | file:PATH | exchange:ID")
    seed: int = Field(default=7, description="Seed of the synthetic market.")
    n_coins: int = Field(default=20, description="Coins in the synthetic universe.")
    base_timeframe: int = Field(default=15, description="Base timeframe in minutes.")

    def get_source(self) -> CandleSource:
        """Build the source described by ``spec``."""
        from iris_resources.sources.factory import build_source

        return build_source(self.spec, seed=self.seed, n_coins=self.n_coins, base_timeframe=self.base_timeframe)
