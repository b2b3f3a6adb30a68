"""A picture of a coin: SVG candlesticks with SMA 20/50, classic signals, patterns, anomalies and decisions."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from iris_api.chart import ChartCandle, ChartMarker, candlestick_svg
from iris_api.deps import EngineDep, read_connection
from iris_api.errors import not_found
from iris_api.params import NOT_FOUND, NOT_MODIFIED, Interval, SymbolPath, interval_of
from iris_api.routes.coins import resolve_timeframe
from iris_api.snapshot import Rendered, http_date, respond
from iris_resources.anomalies.read_queries import AnomalyReadQueries
from iris_resources.indicators.read_queries import IndicatorReadQueries
from iris_resources.market_data.read_queries import MarketDataReadQueries
from iris_resources.signals.read_queries import SignalReadQueries

router = APIRouter(tags=["charts"])
CLASSIC_SOURCE = "indicator"  # the indicators asset's classic signals
PATTERN_SOURCE = "pattern"
_SIDES = {"STRONG_BUY": "buy", "BUY": "buy", "ACCUMULATE": "buy", "HOLD": "hold", "REDUCE": "sell", "SELL": "sell",
          "STRONG_SELL": "sell"}


def _pattern_markers(rows: tuple[Any, ...]) -> list[ChartMarker]:
    """The most confident base pattern of each candle (clusters and hierarchies are context, not marks)."""
    best: dict[datetime, Any] = {}
    for s in rows:
        if s.signal_type.startswith(("pattern_cluster_", "pattern_hierarchy_")):
            continue
        if s.candle_timestamp not in best or s.confidence > best[s.candle_timestamp].confidence:
            best[s.candle_timestamp] = s
    return [ChartMarker(ts, "pattern", f"{s.signal_type.removeprefix('pattern_')} {s.direction} ({s.confidence:.2f})")
            for ts, s in sorted(best.items())]


@router.get(
    "/coins/{symbol}/chart",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {"schema": {"type": "string"}}},
                     "description": "An SVG document."}, **NOT_FOUND, **NOT_MODIFIED},
)
def read_coin_chart(
    request: Request,
    symbol: SymbolPath,
    engine: EngineDep,
    interval: Interval = Interval.H1,
    limit: Annotated[int, Query(ge=10, le=1000)] = 200,
) -> Response:
    """SVG candlestick chart of the newest ``limit`` closed candles, with SMA 20/50 from the
    indicators, classic signals (arrows), the most confident detected pattern per candle (diamonds),
    anomalies (circles) and final-signal decision changes (B / S / H above the candle)."""
    with read_connection(engine) as connection:
        coin = MarketDataReadQueries(connection).get_coin(symbol)
        if coin is None:
            raise not_found("coin", symbol.strip().upper(), domain="market_data")
        timeframe = resolve_timeframe(coin, interval, "market_data")
        rows = tuple(reversed(MarketDataReadQueries(connection).candle_page(coin, timeframe, limit=limit)))
        smas, markers = [], []
        if rows:
            first, last = rows[0].timestamp, rows[-1].timestamp
            smas = list(IndicatorReadQueries(connection).sma_points(coin.id, timeframe, first, last))
            markers = [ChartMarker(s.candle_timestamp, s.direction, f"{s.signal_type} ({s.confidence:.2f})")
                       for s in IndicatorReadQueries(connection).signals_between(
                           coin.id, timeframe, first, last, source=CLASSIC_SOURCE)]
            markers += [ChartMarker(a.detected_at, "anomaly", f"{a.anomaly_type} {a.severity}: {a.summary}")
                        for a in AnomalyReadQueries(connection).anomalies_between(coin.id, timeframe, first, last)]
            markers += _pattern_markers(IndicatorReadQueries(connection).signals_between(
                coin.id, timeframe, first, last, source=PATTERN_SOURCE))
            decisions = SignalReadQueries(connection).decision_history("final", coin.id, limit=len(rows),
                                                                        timeframe=timeframe)
            markers += [ChartMarker(d.timestamp, f"decision_{_SIDES.get(d.decision, 'hold')}",
                                    f"{d.decision} ({d.confidence:.2f})")
                        for d in decisions if first <= d.timestamp <= last]
    candles = [ChartCandle(c.timestamp, c.open, c.high, c.low, c.close) for c in rows]
    svg = candlestick_svg(f"{coin.symbol} · {interval_of(timeframe)} · {coin.name}", candles,
                          [(p.timestamp, p.sma_20) for p in smas], [(p.timestamp, p.sma_50) for p in smas], markers)
    body = svg.encode()
    rendered = Rendered(body=body, etag=f'W/"{hashlib.sha256(body).hexdigest()[:32]}"',
                        last_modified=http_date(rows[-1].timestamp if rows else None))
    return respond(request, rendered, media_type="image/svg+xml")
