"""The main job: load a universe, materialize every asset, print a summary."""

from __future__ import annotations

import textwrap
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg
from sqlalchemy import func, select

from iris_assets.definitions import ALL_ASSETS
from iris_assets.resources import build_resources
from iris_resources.anomalies.tables import market_anomalies
from iris_resources.cross_market.tables import coin_relations, market_leaders, sector_rotations
from iris_resources.db.engine import create_db_engine
from iris_resources.indicators.tables import coin_metrics as coin_metrics_table
from iris_resources.indicators.tables import feature_snapshots, indicators, regime_changes, signals
from iris_resources.market_data.tables import candle_aggregates, candle_gaps, candle_rejects, candles, coins
from iris_resources.market_data.timeframes import parse_timeframe
from iris_resources.portfolio.tables import portfolio_actions, portfolio_equity, portfolio_state
from iris_resources.predictions.tables import market_predictions
from iris_resources.settings import IrisSettings
from iris_resources.signals.tables import (
    final_signals,
    investment_decisions,
    market_decisions,
    signal_backtests,
    strategies,
)
from iris_resources.sources.factory import build_source


@dataclass(frozen=True, slots=True)
class StepTiming:
    """One materialization step of the demo."""

    assets: str
    partitions: str
    seconds: float
    success: bool


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """What the demo did and what is now stored."""

    steps: tuple[StepTiming, ...]
    table_rows: tuple[tuple[str, int], ...]
    window: tuple[datetime, datetime]
    top_coins: tuple[dict[str, Any], ...] = ()
    portfolio: dict[str, Any] | None = None


def demo_window(settings: IrisSettings, days: int) -> tuple[datetime, datetime]:
    """Whole UTC days to load: the last ``days`` complete days, or the span of a file source."""
    if settings.source.startswith("file:"):
        source = build_source(settings.source, base_timeframe=parse_timeframe(settings.base_timeframe))
        batch = source.fetch([c.symbol for c in source.universe()], datetime(1970, 1, 1, tzinfo=UTC),
                             datetime(2100, 1, 1, tzinfo=UTC))
        first = batch.candles.get_column("timestamp").min()
        last = batch.candles.get_column("timestamp").max()
        assert isinstance(first, datetime) and isinstance(last, datetime)
        start = datetime(first.year, first.month, first.day, tzinfo=UTC)
        floor = datetime.fromisoformat(settings.partitions_start).replace(tzinfo=UTC)
        end = datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1)
        if end <= floor:
            raise SystemExit(f"{settings.source}: data ends {last:%Y-%m-%d}, before the first partition "
                             f"{floor:%Y-%m-%d} (set IRIS_PARTITIONS_START earlier)")
        return max(start, floor), end
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=days), today


def _scoped(asset: dg.AssetsDefinition) -> bool:
    """Whether the asset takes the ``MarketScope`` run config."""
    return "symbols" in getattr(asset.op.config_schema.as_field().config_type, "fields", {})


def _materialize(selection: Sequence[dg.AssetsDefinition], resources: dict[str, object],
                 instance: dg.DagsterInstance, *, window: tuple[datetime, datetime] | None,
                 symbols: list[str]) -> StepTiming:
    tags: dict[str, str] = {"iris/origin": "demo"}
    partitions = "-"
    if window is not None:
        first, last = window[0], window[1] - timedelta(days=1)
        tags["dagster/asset_partition_range_start"] = f"{first:%Y-%m-%d}"
        tags["dagster/asset_partition_range_end"] = f"{last:%Y-%m-%d}"
        partitions = f"{first:%Y-%m-%d}…{last:%Y-%m-%d}"
    run_config = {
        "ops": {a.op.name: {"config": {"symbols": symbols}} for a in selection if _scoped(a)},
        # The summary is the demo's output; step-by-step events stay in the Dagster UI.
        "loggers": {"console": {"config": {"log_level": "WARNING"}}},
    }
    started = time.perf_counter()
    result = dg.materialize(list(selection), resources=resources, instance=instance, tags=tags,
                            run_config=run_config, raise_on_error=True)
    return StepTiming(
        assets=", ".join(k.to_user_string() for a in selection for k in a.keys), partitions=partitions,
        seconds=time.perf_counter() - started, success=result.success,
    )


def run_demo(settings: IrisSettings, database_url: str, *, days: int, symbols: list[str]) -> DemoSummary:
    """Materialize the whole asset graph over the demo window, in dependency order."""
    instance = dg.DagsterInstance.get()
    resources = build_resources(settings, database_url=database_url)
    window = demo_window(settings, days)
    if not symbols:  # the source's own universe, not every coin other sources added earlier
        symbols = [c.symbol for c in resources["candle_source"].get_source().universe()]
    # Unpartitioned roots (the universe), then every daily partition of the range in one run, then
    # the latest-state products that read them.
    partitioned = [a for a in ALL_ASSETS if a.partitions_def is not None]
    roots = [a for a in ALL_ASSETS if a.partitions_def is None
             and (dg.AssetKey("coins") in a.keys or dg.AssetKey("pattern_registry") in a.keys)]
    latest = [a for a in ALL_ASSETS if a.partitions_def is None and a not in roots]
    steps = [
        _materialize(roots, resources, instance, window=None, symbols=symbols),
        _materialize(partitioned, resources, instance, window=window, symbols=symbols),
        _materialize(latest, resources, instance, window=None, symbols=symbols),
    ]
    return DemoSummary(steps=tuple(steps), table_rows=table_counts(database_url), window=window,
                       top_coins=top_coins(database_url), portfolio=portfolio_summary(database_url))


def table_counts(database_url: str) -> tuple[tuple[str, int], ...]:
    """Row counts of the tables the demo fills."""
    engine = create_db_engine(database_url, pool_size=1)
    try:
        with engine.connect() as connection:
            return tuple(
                (table.name, connection.execute(select(func.count()).select_from(table)).scalar_one())
                for table in (coins, candles, candle_aggregates, candle_gaps, candle_rejects, indicators,
                              signals, regime_changes, feature_snapshots, coin_metrics_table, market_anomalies,
                              coin_relations, market_leaders, sector_rotations, market_predictions,
                              investment_decisions, final_signals, market_decisions, signal_backtests, strategies,
                              portfolio_actions, portfolio_equity)
            )
    finally:
        engine.dispose()


def top_coins(database_url: str, limit: int = 5) -> tuple[dict[str, Any], ...]:
    """The most active coins by their primary-timeframe metrics."""
    engine = create_db_engine(database_url, pool_size=1)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(coins.c.symbol, coin_metrics_table.c.price_current, coin_metrics_table.c.price_change_24h_pct,
                       coin_metrics_table.c.price_change_7d_pct, coin_metrics_table.c.market_regime,
                       coin_metrics_table.c.activity_bucket)
                .join(coins, coins.c.id == coin_metrics_table.c.coin_id)
                .where(coin_metrics_table.c.is_primary)
                .order_by(coin_metrics_table.c.activity_score.desc().nulls_last())
                .limit(limit)
            ).mappings().all()
            return tuple(dict(r) for r in rows)
    finally:
        engine.dispose()


def portfolio_summary(database_url: str) -> dict[str, Any] | None:
    """The paper account at the end of the demo: trades by reason, PnL, equity and max drawdown."""
    engine = create_db_engine(database_url, pool_size=1)
    try:
        with engine.connect() as connection:
            state = connection.execute(select(portfolio_state)).mappings().first()
            if state is None:
                return None
            reasons: dict[str, int] = dict(connection.execute(select(portfolio_actions.c.reason, func.count())
                                              .group_by(portfolio_actions.c.reason)).tuples().all())
            drawdown = connection.execute(select(func.min(portfolio_equity.c.drawdown))).scalar_one()
            return {**dict(state), "fills_by_reason": reasons, "max_drawdown": drawdown or 0.0}
    finally:
        engine.dispose()


def format_summary(summary: DemoSummary) -> str:
    """A plain-text summary table."""
    lines = [f"IRIS demo over {summary.window[0]:%Y-%m-%d} … {summary.window[1]:%Y-%m-%d} (UTC, end exclusive)", ""]
    lines.append(f"{'run':<4} {'partitions':<23} {'seconds':>8}  {'status':<7} assets")
    for number, step in enumerate(summary.steps, start=1):
        wrapped = textwrap.wrap(step.assets, width=72) or [""]
        lines.append(f"{number:<4} {step.partitions:<23} {step.seconds:>8.1f}  "
                     f"{'ok' if step.success else 'FAILED':<7} {wrapped[0]}")
        lines += [f"{'':<46}{more}" for more in wrapped[1:]]
    lines += ["", f"{'table':<24} {'rows':>12}"]
    lines += [f"{name:<24} {count:>12,}" for name, count in summary.table_rows]
    if summary.top_coins:
        lines += ["", "most active coins (primary timeframe)",
                  f"{'symbol':<10} {'close':>12} {'24h %':>8} {'7d %':>8} {'regime':<16} {'activity':<8}"]
        lines += [
            f"{c['symbol']:<10} {c['price_current']:>12.4f} {c['price_change_24h_pct'] or 0:>8.2f} "
            f"{c['price_change_7d_pct'] or 0:>8.2f} {c['market_regime'] or '-':<16} {c['activity_bucket']:<8}"
            for c in summary.top_coins
        ]
    if summary.portfolio:
        p = summary.portfolio
        fills = ", ".join(f"{reason} {count}" for reason, count in sorted(p["fills_by_reason"].items()))
        lines += ["", "paper portfolio (from final signals)",
                  f"fills {sum(p['fills_by_reason'].values())} ({fills or 'none'}); "
                  f"open positions {p['open_positions']}",
                  f"capital {p['capital']:,.2f}  realized {p['realized_pnl']:+,.2f}  "
                  f"unrealized {p['unrealized_pnl']:+,.2f}  equity {p['equity']:,.2f}  "
                  f"max drawdown {p['max_drawdown']:.2%}"]
    lines += ["", "embedded services keep running for `iris up`; stop them with `iris services stop`"]
    return "\n".join(lines)
