"""Keyset pagination walks every list completely, without duplicates, whatever the page size."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

PREFIX = "/api/v1"
# (list path with {symbol}, extra params, item identity)
LISTS = [
    ("/coins", {}, lambda item: item["symbol"]),
    ("/coins/metrics", {}, lambda item: item["symbol"]),
    ("/coins/{symbol}/history", {"interval": "15m"}, lambda item: item["timestamp"]),
    ("/coins/{symbol}/history", {"interval": "1h"}, lambda item: item["timestamp"]),
    ("/coins/{symbol}/indicators", {"interval": "4h"}, lambda item: item["timestamp"]),
    ("/signals", {}, lambda item: item["id"]),
    ("/signals", {"timeframe": 60}, lambda item: item["id"]),
    ("/coins/{symbol}/signals", {}, lambda item: item["id"]),
    ("/anomalies", {}, lambda item: item["id"]),
    ("/anomalies", {"status": ["new", "active", "cooling", "resolved"]}, lambda item: item["id"]),
]


def _walk(client: TestClient, path: str, params: dict[str, Any], limit: int) -> tuple[list[Any], int]:
    items: list[Any] = []
    pages, cursor = 0, None
    while True:
        paging = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        response = client.get(PREFIX + path, params={**params, **paging})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["count"] == len(body["data"]) <= limit
        items.extend(body["data"])
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return items, pages
        assert pages < 10_000


@pytest.mark.parametrize(("path", "params", "identity"), LISTS, ids=[f"{p}{q}" for p, q, _ in LISTS])
@pytest.mark.parametrize("limit", [1, 4])
def test_walking_the_pages_yields_the_whole_list_once(
    client: TestClient, symbols: list[str], path: str, params: dict[str, Any], identity: Any, limit: int
) -> None:
    path = path.replace("{symbol}", symbols[0])
    whole, _ = _walk(client, path, params, 5000 if "history" in path else 2000 if "indicators" in path else 500)
    if limit == 1 and len(whole) > 60:  # keep the one-by-one walk short: compare its first 60 steps
        walked: list[Any] = []
        cursor = None
        for _ in range(60):
            body = client.get(PREFIX + path, params={**params, "limit": 1, **({"cursor": cursor} if cursor else {})}
                              ).json()
            walked.extend(body["data"])
            cursor = body["next_cursor"]
        ascending = "history" in path or "indicators" in path
        expected = whole[-60:][::-1] if ascending else whole[:60]
        assert [identity(i) for i in walked] == [identity(i) for i in expected]
        return
    paged, pages = _walk(client, path, params, limit)
    keys = [identity(item) for item in paged]
    assert len(keys) == len(set(keys)), "duplicates across pages"
    assert sorted(map(str, keys)) == sorted(str(identity(item)) for item in whole)
    assert len(whole) > limit and pages == -(-len(whole) // limit)


def test_time_series_pages_go_back_in_time_each_ascending(client: TestClient, symbols: list[str]) -> None:
    first = client.get(f"{PREFIX}/coins/{symbols[0]}/history", params={"interval": "1h", "limit": 10}).json()
    second = client.get(f"{PREFIX}/coins/{symbols[0]}/history",
                        params={"interval": "1h", "limit": 10, "cursor": first["next_cursor"]}).json()
    for body in (first, second):
        stamps = [c["timestamp"] for c in body["data"]]
        assert stamps == sorted(stamps)
    assert second["data"][-1]["timestamp"] < first["data"][0]["timestamp"]
