"""Launch and follow an asset backfill through the running Dagster webserver (the UI's own path)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import requests

_LAUNCH = """mutation($params: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $params) {
  __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message }
  ... on InvalidSubsetError { message } ... on UnauthorizedError { message } } }"""
_STATUS = """query($id: String!) { partitionBackfillOrError(backfillId: $id) {
  ... on PartitionBackfill { status runs(limit: 1000) { runId status } } } }"""
_DONE = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}


@dataclass(frozen=True, slots=True)
class BackfillOutcome:
    """How a backfill ended."""

    backfill_id: str
    status: str
    runs: int
    failed_runs: int
    seconds: float


def _post(url: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = requests.post(f"{url}/graphql", json={"query": query, "variables": variables}, timeout=30)
    response.raise_for_status()
    data: dict[str, Any] = response.json()["data"]
    return data


def launch_backfill(url: str, assets: list[str], first_day: str, last_day: str) -> str:
    """Submit a backfill of ``assets`` over the inclusive day range; returns its id."""
    params = {"partitionsByAssets": [
        {"assetKey": {"path": [asset]}, "partitions": {"range": {"start": first_day, "end": last_day}}}
        for asset in assets
    ]}
    result = _post(url, _LAUNCH, {"params": params})["launchPartitionBackfill"]
    assert isinstance(result, dict)
    if result["__typename"] != "LaunchBackfillSuccess":
        raise RuntimeError(f"backfill refused: {result.get('message', result['__typename'])}")
    return str(result["backfillId"])


def wait_for_backfill(url: str, backfill_id: str, *, timeout_s: float = 3600, poll_s: float = 2.0) -> BackfillOutcome:
    """Poll until the backfill finishes (or ``timeout_s`` passes)."""
    started = time.monotonic()
    while True:
        state = _post(url, _STATUS, {"id": backfill_id})["partitionBackfillOrError"]
        assert isinstance(state, dict)
        runs = state.get("runs") or []
        if state["status"] in _DONE or time.monotonic() - started > timeout_s:
            return BackfillOutcome(
                backfill_id=backfill_id, status=str(state["status"]), runs=len(runs),
                failed_runs=sum(1 for r in runs if r["status"] == "FAILURE"),
                seconds=time.monotonic() - started,
            )
        time.sleep(poll_s)
