"""Optional API token for non-public deployments (``IRIS_API_TOKEN``).

Unset, the API is public. Set, every request must carry the token as ``Authorization: Bearer
<token>`` or ``X-API-Key: <token>``, except the open paths: ``/api/v1/health`` (what load balancers
and orchestrators probe) and the OpenAPI document with its ``/docs`` and ``/redoc`` pages (they
describe the routes, which the source already does, and hold no data; Swagger UI's *Authorize*
button then sends the token). Anything else without a valid token gets a 401 in the shared error
envelope, before any route, dependency or database connection is involved.

Tokens are compared as SHA-256 digests with :func:`hmac.compare_digest`: constant time, and the
comparison does not even reveal the token's length. The token itself is never logged.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from iris_api.errors import ApiError, error_response
from iris_api.settings import ApiSettings

OPEN_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})
HEALTH_PATH = "/health"
_SCHEMES = {"bearerAuth": {"type": "http", "scheme": "bearer"},
            "apiKeyAuth": {"type": "apiKey", "in": "header", "name": "X-API-Key"}}


def _digest(value: bytes) -> bytes:
    return hashlib.sha256(value).digest()


def presented_token(headers: Iterable[tuple[bytes, bytes]]) -> bytes | None:
    """The token a request carries: ``Authorization: Bearer …`` first, else ``X-API-Key``."""
    api_key = None
    for name, value in headers:
        if name == b"authorization":
            scheme, _, credentials = value.strip().partition(b" ")
            if scheme.lower() == b"bearer" and credentials.strip():
                return credentials.strip()
        elif name == b"x-api-key" and value.strip():
            api_key = value.strip()
    return api_key


class ApiTokenMiddleware:
    """Refuses requests without the configured token (pure ASGI, microseconds per request)."""

    def __init__(self, app: ASGIApp, token: str, open_paths: Iterable[str]) -> None:
        self.app = app
        self._expected = _digest(token.encode())
        self._open = frozenset(open_paths)

    def authorized(self, headers: Iterable[tuple[bytes, bytes]]) -> bool:
        """Whether ``headers`` carry the token (constant-time comparison of digests)."""
        presented = presented_token(headers)
        return presented is not None and hmac.compare_digest(_digest(presented), self._expected)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self._open or self.authorized(scope["headers"]):
            await self.app(scope, receive, send)
            return
        error = ApiError(401, "unauthorized", "A valid API token is required: send 'Authorization: Bearer <token>' "
                                              "or 'X-API-Key: <token>'.")
        response = error_response(Request(scope), error)
        response.headers["WWW-Authenticate"] = 'Bearer realm="iris"'
        await response(scope, receive, send)


def _document(schema: dict[str, Any], open_paths: frozenset[str]) -> None:
    """Declare both schemes, require one of them on every operation but the open ones, list the 401."""
    schema.setdefault("components", {}).setdefault("securitySchemes", {}).update(_SCHEMES)
    unauthorized = {"description": "Missing or invalid API token.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorPublic"}}}}
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            if path in open_paths:
                operation["security"] = []
            else:
                operation["security"] = [{"bearerAuth": []}, {"apiKeyAuth": []}]
                operation.setdefault("responses", {}).setdefault("401", unauthorized)


def install_api_token(app: FastAPI, settings: ApiSettings, *, api_prefix: str) -> None:
    """Require ``settings.api_token`` on every route but the open ones; nothing when it is unset.

    Install before the request-id middleware so that a refused request still gets its id.
    """
    if settings.api_token is None:
        return
    open_paths = OPEN_PATHS | {api_prefix + HEALTH_PATH}
    app.add_middleware(ApiTokenMiddleware, token=settings.api_token.get_secret_value(), open_paths=open_paths)
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _document(generate(), open_paths)
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]
