"""A candlestick chart as hand-written SVG: candles, SMA 20/50, signal, pattern, anomaly and decision markers.

Pure function of its inputs (no I/O): the route gathers the rows, this lays them out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape, quoteattr

WIDTH, HEIGHT = 1000, 520
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 40, 48
STYLE = (
    ".up{fill:#26a69a;stroke:#26a69a}.down{fill:#ef5350;stroke:#ef5350}.wick{stroke-width:1}"
    ".sma20{fill:none;stroke:#1e88e5;stroke-width:1.5}.sma50{fill:none;stroke:#fb8c00;stroke-width:1.5}"
    ".bullish{fill:#2e7d32}.bearish{fill:#c62828}.neutral{fill:#757575}"
    ".anomaly{fill:none;stroke:#8e24aa;stroke-width:2}.grid{stroke:#e0e0e0}"
    ".pattern{fill:#ffb300;stroke:#6d4c41;stroke-width:0.8}.decision{font-weight:bold;font-size:11px}"
    ".decision.buy{fill:#1b5e20}.decision.sell{fill:#b71c1c}.decision.hold{fill:#616161}"
    "text{font:11px sans-serif;fill:#424242}.title{font:bold 14px sans-serif}"
)


@dataclass(frozen=True, slots=True)
class ChartCandle:
    """One candle to draw."""

    timestamp: datetime
    open: float
    high: float
    low: float
    close: float


@dataclass(frozen=True, slots=True)
class ChartMarker:
    """A marker at a candle. ``kind``: ``bullish``/``bearish``/``neutral`` (classic signals, arrows),
    ``anomaly`` (circle), ``pattern`` (diamond) or ``decision_buy``/``decision_sell``/``decision_hold``
    (a letter above the chart area of that candle: B, S or H)."""

    timestamp: datetime
    kind: str
    label: str


def _fmt(value: float) -> str:
    return f"{value:.2f}"


def _price_label(value: float) -> str:
    return f"{value:,.6g}" if abs(value) < 1 else f"{value:,.2f}"


def candlestick_svg(title: str, candles: Sequence[ChartCandle], sma_20: Sequence[tuple[datetime, float | None]],
                    sma_50: Sequence[tuple[datetime, float | None]], markers: Sequence[ChartMarker]) -> str:
    """The SVG document; one ``<rect class="body …">`` per candle (candles in ascending time)."""
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img">', f"<style>{STYLE}</style>",
             f'<title>{escape(title)}</title>', f'<text class="title" x="{LEFT}" y="24">{escape(title)}</text>']
    if not candles:
        parts.append(f'<text x="{WIDTH // 2}" y="{HEIGHT // 2}" text-anchor="middle">no candles</text></svg>')
        return "".join(parts)
    lows = [c.low for c in candles] + [v for _, v in (*sma_20, *sma_50) if v is not None]
    highs = [c.high for c in candles] + [v for _, v in (*sma_20, *sma_50) if v is not None]
    low, high = min(lows), max(highs)
    span = (high - low) or abs(high) or 1.0
    low, high = low - span * 0.05, high + span * 0.05
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / len(candles)
    index = {c.timestamp: i for i, c in enumerate(candles)}

    def x(i: int) -> float:
        return LEFT + step * (i + 0.5)

    def y(price: float) -> float:
        return TOP + (high - price) / (high - low) * plot_h

    for k in range(5):  # horizontal grid with price labels
        price = low + (high - low) * k / 4
        level = _fmt(y(price))
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{level}" y2="{level}"/>'
                     f'<text x="{LEFT - 6}" y="{_fmt(y(price) + 4)}" text-anchor="end">{_price_label(price)}</text>')
    for i in sorted({0, len(candles) // 2, len(candles) - 1}):  # time labels
        stamp = candles[i].timestamp.strftime("%Y-%m-%d %H:%M")
        parts.append(f'<text x="{_fmt(x(i))}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle">{stamp}</text>')
    body_w = max(step * 0.7, 1.0)
    for i, c in enumerate(candles):
        kind = "up" if c.close >= c.open else "down"
        top, bottom = y(max(c.open, c.close)), y(min(c.open, c.close))
        parts.append(f'<line class="wick {kind}" x1="{_fmt(x(i))}" x2="{_fmt(x(i))}" y1="{_fmt(y(c.high))}" '
                     f'y2="{_fmt(y(c.low))}"/>')
        parts.append(f'<rect class="body {kind}" x="{_fmt(x(i) - body_w / 2)}" y="{_fmt(top)}" '
                     f'width="{_fmt(body_w)}" height="{_fmt(max(bottom - top, 0.8))}"/>')
    for name, series in (("sma20", sma_20), ("sma50", sma_50)):
        points = " ".join(f"{_fmt(x(index[ts]))},{_fmt(y(v))}" for ts, v in series if v is not None and ts in index)
        if points:
            parts.append(f'<polyline class="{name}" points="{points}"/>')
    stacked: dict[tuple[int, bool], int] = {}  # several markers on one candle stack outwards
    for marker in markers:
        at = index.get(marker.timestamp)
        if at is None:
            continue
        i, c = at, candles[at]
        label = f"<title>{escape(marker.label)}</title>"
        if marker.kind.startswith("decision_"):
            side = marker.kind.removeprefix("decision_")
            parts.append(f'<text class="marker decision {side}" x="{_fmt(x(i))}" y="{TOP - 4}" '
                         f'text-anchor="middle">{side[0].upper()}{label}</text>')
            continue
        above = marker.kind in ("anomaly", "bearish", "pattern")
        offset = 11 * stacked.get((i, above), 0)
        stacked[(i, above)] = stacked.get((i, above), 0) + 1
        if marker.kind == "pattern":  # diamond above the candle
            cy = y(c.high) - 9 - offset
            parts.append(f'<path class="marker pattern" d="M{_fmt(x(i))},{_fmt(cy - 5)} l4,5 l-4,5 l-4,-5 z">'
                         f'{label}</path>')
        elif marker.kind == "anomaly":
            parts.append(f'<circle class="marker anomaly" cx="{_fmt(x(i))}" cy="{_fmt(y(c.high) - 9 - offset)}" '
                         f'r="4">{label}</circle>')
        elif marker.kind == "bearish":  # arrow above the candle, pointing down
            tip = y(c.high) - 4 - offset
            parts.append(f'<path class="marker bearish" d="M{_fmt(x(i))},{_fmt(tip)} l-5,-8 h10 z">{label}</path>')
        else:  # bullish or neutral: arrow below the candle, pointing up
            tip = y(c.low) + 4 + offset
            css = "bullish" if marker.kind == "bullish" else "neutral"
            parts.append(f'<path class="marker {css}" d="M{_fmt(x(i))},{_fmt(tip)} l-5,8 h10 z">{label}</path>')
    legend = [("sma20", "SMA 20"), ("sma50", "SMA 50")]
    for k, (css, text) in enumerate(legend):
        lx = WIDTH - RIGHT - 180 + k * 90
        parts.append(f'<line class={quoteattr(css)} x1="{lx}" x2="{lx + 18}" y1="20" y2="20"/>'
                     f'<text x="{lx + 22}" y="24">{text}</text>')
    parts.append("</svg>")
    return "".join(parts)
