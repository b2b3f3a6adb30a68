"""FastAPI application factory: the composition root of the read API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from iris_api.auth import install_api_token
from iris_api.database import verify_read_role
from iris_api.errors import RequestIdMiddleware, install_error_handlers
from iris_api.params import COMMON_ERRORS
from iris_api.routes import (
    anomalies,
    charts,
    coins,
    cross_market,
    health,
    indicators,
    market,
    patterns,
    portfolio,
    predictions,
    signals,
)
from iris_api.runtime import build_runtime
from iris_api.settings import ApiSettings

API_PREFIX = "/api/v1"
ROUTERS = (coins.router, indicators.router, market.router, anomalies.router, signals.router, portfolio.router,
           patterns.router, cross_market.router, predictions.router, charts.router, health.router)


def _operation_id(route: APIRoute) -> str:
    """``<tag>_<function>``, e.g. ``market_read_market_radar`` (reference B.1)."""
    return f"{route.tags[0]}_{route.name}" if route.tags else route.name


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    """The read API with one router per domain under ``/api/v1``.

    Startup checks that connections can assume the read-only role and refuses to start otherwise
    (unless ``IRIS_API_ALLOW_WRITE=true``); shutdown releases the pool and Redis.
    """
    runtime = build_runtime(settings or ApiSettings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Few threads: sync routes mostly wait on PostgreSQL/Redis, and dozens of threads contending
        # for the GIL cost more CPU than the requests themselves.
        anyio.to_thread.current_default_thread_limiter().total_tokens = runtime.settings.api_threads
        for engine in (runtime.engine, runtime.loop_engine):
            await run_in_threadpool(verify_read_role, engine, runtime.settings)
        yield
        runtime.close()

    app = FastAPI(
        title="IRIS read API",
        version="1.0.0",
        summary="Materialized market intelligence: coins, candles, metrics, signals, radar, flow, anomalies, "
                "decisions, backtests, strategies, portfolio.",
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    install_api_token(app, runtime.settings, api_prefix=API_PREFIX)  # before the request id: it wraps this
    app.add_middleware(RequestIdMiddleware)
    api = APIRouter(prefix=API_PREFIX, responses=COMMON_ERRORS)
    for router in ROUTERS:
        api.include_router(router)
    app.include_router(api)
    return app
