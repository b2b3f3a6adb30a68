"""Run tags IRIS puts on its own runs.

``iris/group`` names the asset group a run belongs to, for the queued run coordinator's
``tag_concurrency_limits`` (``deploy/dagster.yaml``): a backfill of one group then queues against
that group's limit instead of starving the live chain. A job that spans groups is tagged with the
group it starts from (the daily chain after new candles counts as ``indicators``).
"""

from __future__ import annotations

GROUP_TAG = "iris/group"


def group_tag(group: str) -> dict[str, str]:
    """The run tags of a job whose runs belong to asset group ``group``."""
    return {GROUP_TAG: group}
