"""``/coins/{symbol}/chart`` draws valid SVG: a body per candle, SMA lines, signal and anomaly markers."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from fastapi.testclient import TestClient

PREFIX = "/api/v1"
SVG = "{http://www.w3.org/2000/svg}"


def _parse(body: bytes) -> ET.Element:
    root = ET.fromstring(body)
    assert root.tag == f"{SVG}svg"
    return root


def _classes(root: ET.Element, tag: str) -> list[set[str]]:
    return [set(e.get("class", "").split()) for e in root.iter(f"{SVG}{tag}")]


@pytest.mark.parametrize(("interval", "limit"), [("1h", 200), ("15m", 60), ("4h", 30)])
def test_the_chart_is_valid_svg_with_one_body_per_candle(
    client: TestClient, symbols: list[str], interval: str, limit: int
) -> None:
    response = client.get(f"{PREFIX}/coins/{symbols[0]}/chart", params={"interval": interval, "limit": limit})
    assert response.status_code == 200 and response.headers["content-type"].startswith("image/svg+xml")
    root = _parse(response.content)
    candles = client.get(f"{PREFIX}/coins/{symbols[0]}/history", params={"interval": interval, "limit": limit})
    expected = candles.json()["count"]
    assert expected == min(limit, 5 * 1440 // {"1h": 60, "15m": 15, "4h": 240}[interval])
    bodies = [c for c in _classes(root, "rect") if "body" in c]
    assert len(bodies) == expected
    ups = sum(1 for c in candles.json()["data"] if c["close"] >= c["open"])
    assert sum(1 for c in bodies if "up" in c) == ups
    lines = {cls for c in _classes(root, "polyline") for cls in c}
    assert {"sma20"} <= lines


def test_signals_and_anomalies_are_marked_at_their_candles(client: TestClient, symbols: list[str]) -> None:
    history = client.get(f"{PREFIX}/coins/{symbols[0]}/history", params={"interval": "1h", "limit": 200}).json()
    first, last = history["data"][0]["timestamp"], history["data"][-1]["timestamp"]
    signals = [s for s in client.get(f"{PREFIX}/coins/{symbols[0]}/signals",
                                     params={"timeframe": 60, "source": "indicator", "limit": 500}).json()["data"]
               if first <= s["candle_timestamp"] <= last]
    anomalies = [a for a in client.get(f"{PREFIX}/anomalies", params={
        "symbol": symbols[0], "timeframe": 60, "limit": 500,
        "status": ["new", "active", "cooling", "resolved"]}).json()["data"] if first <= a["detected_at"] <= last]
    root = _parse(client.get(f"{PREFIX}/coins/{symbols[0]}/chart", params={"interval": "1h"}).content)
    markers = [c for tag in ("path", "circle") for c in _classes(root, tag) if "marker" in c]
    assert signals and anomalies
    assert sum(1 for c in markers if "anomaly" in c) == len(anomalies)
    assert sum(1 for c in markers if c & {"bullish", "bearish", "neutral"}) == len(signals)


def test_patterns_and_decisions_are_marked_at_their_candles(client: TestClient, symbols: list[str]) -> None:
    history = client.get(f"{PREFIX}/coins/{symbols[0]}/history", params={"interval": "1h", "limit": 200}).json()
    first, last = history["data"][0]["timestamp"], history["data"][-1]["timestamp"]
    patterns, cursor = [], None
    while True:  # every base pattern of the coin's 1h candles, page by page
        page = client.get(f"{PREFIX}/coins/{symbols[0]}/patterns", params={
            "timeframe": 60, "limit": 500, **({"cursor": cursor} if cursor else {})}).json()
        patterns += page["data"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    pattern_candles = {p["candle_timestamp"] for p in patterns if first <= p["candle_timestamp"] <= last
                       and not p["signal_type"].startswith(("pattern_cluster_", "pattern_hierarchy_"))}
    decisions = [d for d in client.get(f"{PREFIX}/coins/{symbols[0]}/decisions/history",
                                       params={"kind": "final", "timeframe": 60, "limit": 500}).json()["data"]
                 if first <= d["timestamp"] <= last]
    root = _parse(client.get(f"{PREFIX}/coins/{symbols[0]}/chart", params={"interval": "1h"}).content)
    assert pattern_candles and decisions
    assert sum(1 for c in _classes(root, "path") if "pattern" in c) == len(pattern_candles)
    letters = [e for e in root.iter(f"{SVG}text") if "decision" in e.get("class", "").split()]
    assert len(letters) == len(decisions)
    sides = {"STRONG_BUY": "buy", "BUY": "buy", "ACCUMULATE": "buy", "HOLD": "hold", "REDUCE": "sell",
             "SELL": "sell", "STRONG_SELL": "sell"}
    assert sorted(e.get("class", "").split()[-1] for e in letters) == sorted(sides[d["decision"]] for d in decisions)


def test_text_in_the_chart_is_escaped(client: TestClient, symbols: list[str], owner_engine: object) -> None:
    from sqlalchemy import Engine, text

    assert isinstance(owner_engine, Engine)
    with owner_engine.begin() as connection:
        connection.execute(text("UPDATE coins SET name = '<Bit & \"coin\">' WHERE symbol = :s"), {"s": symbols[0]})
    root = _parse(client.get(f"{PREFIX}/coins/{symbols[0]}/chart").content)
    assert "<Bit & \"coin\">" in (root.find(f"{SVG}title").text or "")


def test_a_chart_without_candles_is_still_an_svg(client: TestClient, symbols: list[str], owner_engine: object) -> None:
    from sqlalchemy import Engine, text

    assert isinstance(owner_engine, Engine)
    with owner_engine.begin() as connection:
        connection.execute(text("DELETE FROM candle_aggregates WHERE timeframe = 1440 AND coin_id = "
                                "(SELECT id FROM coins WHERE symbol = :s)"), {"s": symbols[1]})
    root = _parse(client.get(f"{PREFIX}/coins/{symbols[1]}/chart", params={"interval": "1d"}).content)
    assert not [c for c in _classes(root, "rect") if "body" in c]
