"""``iris``: start services, migrate, run the demo, serve the UI and the API."""

from __future__ import annotations

import argparse
import logging
import sys
import warnings

from iris_resources.settings import IrisSettings, get_settings


def _settings(args: argparse.Namespace) -> IrisSettings:
    settings = get_settings()
    updates: dict[str, object] = {}
    if getattr(args, "source", None):
        updates["source"] = args.source
    if getattr(args, "coins", None):
        updates["synthetic_coins"] = args.coins
    return settings.model_copy(update=updates) if updates else settings


def cmd_services(args: argparse.Namespace) -> int:
    from iris_resources.services.runtime import ensure_services, status, stop_services

    settings = _settings(args)
    if args.action == "start":
        urls = ensure_services(settings)
        print(f"postgres: {urls.database_url.split('@')[-1]}\nredis:    {urls.redis_url.split('@')[-1]}")
    elif args.action == "stop":
        stopped = stop_services(settings)
        print(", ".join(f"{name}: {'stopped' if done else 'not running'}" for name, done in stopped.items()))
    else:
        current = status(settings)
        print(f"postgres: {current.postgres}\nredis:    {current.redis}")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from iris_assets.cli.environment import prepare

    runtime = prepare(_settings(args))
    print(f"migrated {runtime.urls.database_url.split('@')[-1]}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from iris_assets.cli.demo import format_summary, run_demo
    from iris_assets.cli.environment import prepare

    settings = _settings(args)
    runtime = prepare(settings)
    symbols = [s.strip().upper() for s in args.symbols.split(",")] if args.symbols else []
    summary = run_demo(settings, runtime.urls.database_url, days=args.days, symbols=symbols)
    print(format_summary(summary))
    if args.no_serve:
        return 0 if all(step.success for step in summary.steps) else 1
    from iris_assets.cli.serve import serve

    return serve(settings)


def cmd_up(args: argparse.Namespace) -> int:
    from iris_assets.cli.environment import prepare
    from iris_assets.cli.serve import serve

    settings = _settings(args)
    prepare(settings)
    return serve(settings)


def cmd_api(args: argparse.Namespace) -> int:
    from iris_assets.cli.environment import prepare
    from iris_assets.cli.serve import serve

    settings = _settings(args)
    prepare(settings)
    return serve(settings, ui=False)


def cmd_backfill(args: argparse.Namespace) -> int:
    from datetime import UTC, date, datetime, timedelta

    from iris_assets.cli.backfill import launch_backfill, wait_for_backfill

    settings = _settings(args)
    last = date.fromisoformat(args.end) if args.end else datetime.now(UTC).date() - timedelta(days=1)
    first = date.fromisoformat(args.start) if args.start else last - timedelta(days=args.days - 1)
    url = args.url or f"http://127.0.0.1:{settings.dagster_port}"
    backfill_id = launch_backfill(url, args.assets.split(","), first.isoformat(), last.isoformat())
    print(f"backfill {backfill_id}: {args.assets} {first}…{last} submitted to {url}")
    if args.no_wait:
        return 0
    outcome = wait_for_backfill(url, backfill_id)
    print(f"backfill {backfill_id}: {outcome.status} after {outcome.seconds:.0f}s, "
          f"{outcome.runs} runs ({outcome.failed_runs} failed)")
    return 0 if outcome.status in ("COMPLETED", "COMPLETED_SUCCESS") else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="iris", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    services = commands.add_parser("services", help="start, stop or inspect the embedded services")
    services.add_argument("action", choices=["start", "stop", "status"])
    services.set_defaults(func=cmd_services)

    commands.add_parser("migrate", help="start services if needed and migrate").set_defaults(func=cmd_migrate)

    demo = commands.add_parser("demo", help="load a universe, materialize every asset, print a summary")
    demo.add_argument("--symbols", default="", help="comma-separated symbols (default: the whole universe)")
    # 60 days: enough daily bars for 1d patterns, decisions, backtests and strategies on every coin.
    demo.add_argument("--days", type=int, default=60, help="complete UTC days to load (default 60)")
    demo.add_argument("--coins", type=int, default=None, help="coins in the synthetic universe (default 20)")
    demo.add_argument("--source", default=None, help="synthetic | file:PATH | exchange:ID")
    demo.add_argument("--no-serve", action="store_true", help="exit after the summary")
    demo.set_defaults(func=cmd_demo)

    backfill = commands.add_parser("backfill", help="backfill daily partitions through the running Dagster")
    backfill.add_argument("--assets", default="candles,candle_aggregates", help="comma-separated asset keys")
    backfill.add_argument("--days", type=int, default=30, help="days ending yesterday (default 30)")
    backfill.add_argument("--start", default=None, help="first day (YYYY-MM-DD)")
    backfill.add_argument("--end", default=None, help="last day, inclusive (YYYY-MM-DD)")
    backfill.add_argument("--url", default=None, help="Dagster webserver (default http://127.0.0.1:3000)")
    backfill.add_argument("--no-wait", action="store_true", help="submit and return")
    backfill.set_defaults(func=cmd_backfill)

    commands.add_parser("up", help="services + migrations + Dagster UI + API").set_defaults(func=cmd_up)
    commands.add_parser("api", help="services + migrations + API only").set_defaults(func=cmd_api)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``iris`` console script."""
    warnings.filterwarnings("ignore", message=".*beta.*")
    level = get_settings().log_level
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if level != "DEBUG":  # structured persistence events are for tests and debugging sessions
        logging.getLogger("iris.persistence").setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
