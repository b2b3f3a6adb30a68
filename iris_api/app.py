"""FastAPI application factory."""

from __future__ import annotations

from fastapi import FastAPI

from iris_api.routes import health


def create_app() -> FastAPI:
    """The read API with every router mounted under ``/api/v1``."""
    app = FastAPI(title="IRIS read API", version="0.1.0")
    app.include_router(health.router, prefix="/api/v1")
    return app
