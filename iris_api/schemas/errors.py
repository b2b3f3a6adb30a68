"""The error envelope every failing request receives."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ErrorDetailPublic(BaseModel):
    """One problem with the request (a parameter, usually)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str | None = Field(default=None, description="The parameter at fault, e.g. `limit`.")
    location: str | None = Field(default=None, description="`query`, `path` or `header`.")
    message: str
    type: str | None = Field(default=None, description="Machine-readable kind, e.g. `less_than_equal`.")
    value: str | int | float | bool | None = Field(default=None, description="The offending input.")


class ErrorPublic(BaseModel):
    """The one error envelope (404, 405, 422, 500, 503)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(description="`resource_not_found`, `validation_failed`, `invalid_cursor`, "
                                  "`interval_unavailable`, `lookback_unavailable`, `route_not_found`, "
                                  "`database_unavailable`, "
                                  "`internal_error` …")
    message: str
    http_status: int
    category: str
    severity: Literal["warning", "error"]
    retryable: bool
    domain: str | None
    details: list[ErrorDetailPublic]
    request_id: str = Field(description="Also sent as the `X-Request-ID` header.")
