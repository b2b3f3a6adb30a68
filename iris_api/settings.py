"""Settings of the read API (environment variables with the ``IRIS_`` prefix).

``IRIS_DATABASE_URL`` / ``IRIS_REDIS_URL`` are the same variables the rest of IRIS reads; unset, the
API finds the embedded services through ``iris_resources.services.runtime``.
"""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

READ_ROLE = "iris_api_reader"


class ApiSettings(BaseSettings):
    """Every knob the read API reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="IRIS_", env_file=".env", extra="ignore")

    database_url: SecretStr | None = Field(default=None, description="PostgreSQL; unset = the embedded server.")
    redis_url: SecretStr | None = Field(default=None, description="Redis; unset = the embedded server.")

    api_token: SecretStr | None = Field(
        default=None, description="Bearer token / API key every route but health and the docs requires; unset = "
                                  "public (see iris_api.auth).")

    api_allow_write: bool = Field(
        default=False, description="Skip the read-only role (development only); otherwise the API refuses to "
                                   "start when it cannot assume it.")
    api_read_role: str = Field(default=READ_ROLE, pattern=r"^[a-z_][a-z0-9_]*$",
                               description="Role every API connection switches to (SET ROLE).")

    api_threads: int = Field(default=8, ge=1, description="Threads running the (sync) routes; more only add GIL "
                                                         "contention since routes mostly wait on PostgreSQL.")
    api_pool_size: int = Field(default=8, ge=1, description="Connections kept open per API process.")
    api_pool_overflow: int = Field(default=8, ge=0, description="Extra connections under bursts.")
    api_pool_timeout_s: float = Field(default=5.0, gt=0, description="Wait for a free connection, then 503.")
    api_pool_pre_ping: bool = Field(
        default=False, description="Ping before each checkout (one extra round trip per request; without it a "
                                   "server restart costs one failed request per pooled connection).")
    api_pool_recycle_s: int = Field(default=1800, ge=60, description="Reopen connections older than this.")
    api_connect_timeout_s: int = Field(default=3, ge=1, description="Give up opening a database connection after.")
    api_statement_timeout_ms: int = Field(default=5_000, ge=100, description="Per-statement timeout.")

    api_inline_statement_timeout_ms: int = Field(
        default=500, ge=10, description="Timeout of the version lookups hot routes run on the event loop.")
    api_redis_timeout_s: float = Field(default=0.25, gt=0, description="Redis socket timeout for the cache.")
    api_cache_enabled: bool = True
    api_cache_ttl_s: int = Field(default=300, ge=1, description="Lifetime of a cached body.")
    api_cache_local_entries: int = Field(default=256, ge=0, description="Bodies each process also keeps in memory.")
    api_cache_local_max_bytes: int = Field(
        default=256 * 1024, ge=0, description="Larger bodies are cached in Redis only (bounds each process's memory).")
    api_version_max_age_ms: int = Field(
        default=500, ge=0, description="How long a process trusts the data versions it read (cached routes): "
                                       "a body is never served more than this after a commit that changed its data.")
    api_cache_retry_after_s: float = Field(
        default=5.0, ge=0, description="After a Redis failure, serve from the database this long before retrying.")
    api_cache_prefix: str = Field(default="iris:api:v1", description="Key prefix of cached bodies.")

    # Freshness classes by staleness (newest source data → snapshot generation).
    api_fresh_real_time_ms: int = 60_000
    api_fresh_near_real_time_ms: int = 30 * 60_000
    api_fresh_delayed_ms: int = 24 * 3_600_000

    @field_validator("api_token")
    @classmethod
    def _strong_token(cls, value: SecretStr | None) -> SecretStr | None:
        """A set token is stripped (secret files end in a newline) and must be at least 16 characters:
        an empty or short value is a misconfiguration, not a request for a public API."""
        if value is None:
            return None
        token = value.get_secret_value().strip()
        if len(token) < 16:
            raise ValueError("IRIS_API_TOKEN must be at least 16 characters; unset it for a public API")
        return SecretStr(token)
