"""The code location's executor: a backfill range runs its independent steps side by side.

A live run (one partition, a sensor tick, an operator's single materialization) is a chain of
sub-second SQL-bound steps: a process per step would cost more than the step, so it stays in one
process. A run over a partition range (a backfill's ``BackfillPolicy.multi_run`` slice) is minutes
of work per step, and its graph has independent branches (anomalies, cross-market, feature
snapshots beside the pattern chain; the two decision assets beside each other). Such a run can
fan its steps out over ``step_processes()`` processes; how many pays depends on the CPUs (see there).

The processes come from a ``forkserver`` that has imported the code location once, so a step
starts in a fraction of a second instead of re-importing Dagster, Polars and IRIS (``spawn``).
Steps on the critical path (``dagster/priority``) start first when both slots are free, and the
other steps run ``nice``: they use what CPU the chain leaves idle instead of slowing it down.

The run that refreshes the latest-state products after a backfill fans out too when it holds two or
more whole-history scans (``HISTORY_SCAN``: strategies, backtests, pattern statistics): they are
independent of each other, so they run side by side instead of one after the other.

Fan-out needs what Dagster's multiprocess executor needs: a reconstructable job and a persistent
instance. Runs without them (``dg.materialize`` in tests and the demo, ``execute_in_process``) run
in process as before.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import suppress

import dagster as dg
from dagster._core.definitions.reconstruct import ReconstructableJob
from dagster._core.events import DagsterEvent, DagsterEventType
from dagster._core.execution.context.system import PlanOrchestrationContext
from dagster._core.execution.plan.plan import ExecutionPlan
from dagster._core.execution.retries import RetryMode
from dagster._core.executor.base import Executor
from dagster._core.executor.in_process import InProcessExecutor
from dagster._core.executor.multiprocess import MultiprocessExecutor

from iris_assets.parallel import available_cpus
from iris_resources.settings import get_settings

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
# Imported once by the forkserver; every step process forks from it with the code location loaded,
# and with the instance storage a step opens to report its events (0.45 s of imports per step otherwise).
PRELOAD_MODULES = ["dagster", "polars", "numpy", "iris_assets.definitions", "psycopg2",
                   "iris_resources.orchestration.pooled_storage"]
# The longest chain of a range run (indicators → pattern_signals → signal_outcomes → decisions):
# its steps take a free slot before side branches that are ready at the same time.
CRITICAL_PATH = {"dagster/priority": "10"}
# A step that scans the whole stored history (strategy discovery, backtests, pattern statistics): minutes
# of CPU after a year's backfill. A run holding two or more of them fans out like a range run, so they
# run side by side instead of one after the other (the latest-state run that follows a backfill).
HISTORY_SCAN = {"iris/history_scan": "true"}


def history_scan(priority: int) -> dict[str, str]:
    """Op tags of a history scan that takes a free slot before any step of lower ``priority``.

    Longest first: after a backfill the latest-state run holds the three scans beside short steps
    (coin metrics, the portfolio …); started in plan order, strategy discovery (the longest) waited
    for pattern statistics and ended the run alone (62 days: 18–45 s of a 47 s run)."""
    return {**HISTORY_SCAN, "dagster/priority": str(priority)}


# A fanned-out step that is not on the critical path runs at this lower CPU priority (``nice``): it
# fills the CPU time the chain leaves idle while waiting on PostgreSQL instead of slowing the chain.
SIDE_STEP_NICENESS = 10


def step_processes() -> int:
    """Steps of one backfill range that may run at once: ``IRIS_BACKFILL_STEP_PROCESSES``, or by
    default one per CPU. A step spends much of its time waiting for PostgreSQL (COPY in and out),
    so a second step uses the CPU the first leaves idle: on 2 CPUs a 62-day backfill took 410 s
    with two steps side by side against 470 s one at a time, although the pattern and anomaly
    steps also spread their per-coin work over worker processes."""
    return get_settings().backfill_step_processes or available_cpus()


def is_range_run(tags: dict[str, str]) -> bool:
    """True for a run over more than one partition (the slices a backfill policy launches)."""
    start, end = tags.get(RANGE_START_TAG), tags.get(RANGE_END_TAG)
    return bool(start and end and start != end)


class RangeParallelExecutor(Executor):
    """In process, except for partition-range runs and runs of several history scans that can fan out
    (see the module docstring)."""

    def __init__(self, retries: RetryMode, max_concurrent: int) -> None:
        self._retries = retries
        self._max_concurrent = max_concurrent
        self._in_process = InProcessExecutor(retries=retries, marker_to_close=None)

    @property
    def retries(self) -> RetryMode:
        return self._retries

    def fans_out(self, plan_context: PlanOrchestrationContext, execution_plan: ExecutionPlan) -> bool:
        """Whether this run's steps go to separate processes: a range run, or a run with several
        history scans (see ``HISTORY_SCAN``)."""
        heavy = (is_range_run(dict(plan_context.dagster_run.tags))
                 or len(_tagged_steps(execution_plan, HISTORY_SCAN)) >= 2)
        return (self._max_concurrent > 1 and len(execution_plan.step_keys_to_execute) > 1 and heavy
                and isinstance(plan_context.job, ReconstructableJob) and plan_context.instance.is_persistent)

    def execute(self, plan_context: PlanOrchestrationContext, execution_plan: ExecutionPlan
                ) -> Iterator[DagsterEvent]:
        if not self.fans_out(plan_context, execution_plan):
            yield from self._in_process.execute(plan_context, execution_plan)
            return
        parallel = MultiprocessExecutor(retries=self._retries, max_concurrent=self._max_concurrent,
                                        start_method="forkserver",
                                        explicit_forkserver_preload=PRELOAD_MODULES)
        critical = _tagged_steps(execution_plan, CRITICAL_PATH) | _tagged_steps(execution_plan, HISTORY_SCAN)
        for event in parallel.execute(plan_context, execution_plan):
            if event.event_type == DagsterEventType.STEP_WORKER_STARTED and event.step_key not in critical:
                lower_priority(event.pid)
            yield event


def _tagged_steps(execution_plan: ExecutionPlan, tags: dict[str, str]) -> set[str]:
    """Keys of the plan's steps that carry all of ``tags``."""
    return {key for key in execution_plan.step_keys_to_execute
            if (execution_plan.get_step_by_key(key).tags or {}).items() >= tags.items()}


def lower_priority(pid: int | None) -> None:
    """Give a side step's process (and the workers it starts afterwards) ``SIDE_STEP_NICENESS``."""
    if pid is None:
        return
    with suppress(ProcessLookupError, PermissionError):  # the step already ended, or the OS refuses: harmless
        os.setpriority(os.PRIO_PROCESS, pid, max(os.getpriority(os.PRIO_PROCESS, pid), SIDE_STEP_NICENESS))


@dg.executor(
    name="iris_range_parallel",
    config_schema={"max_concurrent": dg.Field(int, is_required=False,
                                              description="Step processes of a range run (default: "
                                                          "IRIS_BACKFILL_STEP_PROCESSES, 0 = one per CPU).")},
)
def range_parallel_executor(init_context: dg.InitExecutorContext) -> Executor:
    """In-process runs, except partition ranges, whose independent steps run in parallel processes."""
    configured = int(init_context.executor_config.get("max_concurrent") or 0)  # type: ignore[call-overload]
    return RangeParallelExecutor(retries=RetryMode.ENABLED, max_concurrent=configured or step_processes())
