"""The production instance configurations in ``deploy/`` are valid for the installed Dagster.

Each ``dagster.yaml`` goes through Dagster's own instance loader (``dagster_instance_config``) and
the config schema of the run coordinator and run launcher classes it names; ``deploy/dagster.yaml``
is then started for real against PostgreSQL, and the Kubernetes launcher is constructed from
``deploy/k8s/dagster.yaml`` (against a placeholder kubeconfig: constructing it talks to no cluster).
Deliberately broken copies must fail the same validation, so a passing test means something.
"""

from __future__ import annotations

import copy
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import dagster as dg
import pytest
import yaml
from dagster._config import validate_config
from dagster._core.errors import DagsterInvalidConfigError
from dagster._core.instance.config import dagster_instance_config
from dagster._core.run_coordinator import QueuedRunCoordinator
from dagster._core.storage.dagster_run import DagsterRun
from dagster._core.workspace.config_schema import ensure_workspace_config
from dagster._serdes import ConfigurableClass, ConfigurableClassData
from dagster._serdes.config_class import class_from_code_pointer
from dagster_k8s import K8sRunLauncher
from dagster_k8s.container_context import K8sContainerContext
from dagster_k8s.job import construct_dagster_k8s_job
from kubernetes.client import ApiClient
from sqlalchemy.engine import make_url

from iris_assets.definitions import defs
from iris_assets.run_tags import GROUP_TAG
from iris_resources.db.admin import drop_database, ensure_database
from iris_resources.services.runtime import with_database

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
INSTANCES = {"local": DEPLOY, "k8s": DEPLOY / "k8s"}
GROUP_LIMITS = ("run_coordinator", "config", "tag_concurrency_limits")


def _read(directory: Path) -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load((directory / "dagster.yaml").read_text())
    return config


def validate_instance(directory: Path) -> None:
    """Raise ``DagsterInvalidConfigError`` unless ``directory/dagster.yaml`` is a valid instance config,
    down to the config of the run coordinator and run launcher classes it names."""
    config, custom_class = dagster_instance_config(str(directory), "dagster.yaml")
    assert custom_class is None
    # Dagster checks a custom storage's config only when it builds the storage: check it here too.
    pointers = {"storage": config["storage"]["custom"], **{section: config[section]
                                                          for section in ("run_coordinator", "run_launcher")}}
    for section, pointer in pointers.items():
        data = ConfigurableClassData(pointer["module"], pointer["class"], "{}")  # maps dagster.core -> dagster._core
        configurable = cast("type[ConfigurableClass]", class_from_code_pointer(data.module_name, data.class_name))
        result = validate_config(configurable.config_type(), pointer.get("config") or {})
        if not result.success:
            raise DagsterInvalidConfigError(f"{directory}/dagster.yaml: {section}", result.errors, pointer)


def _limits(config: dict[str, Any]) -> dict[tuple[str, str | None], int]:
    section: Any = config
    for key in GROUP_LIMITS:
        section = section[key]
    return {(limit["key"], str(limit.get("value")) if "value" in limit else None): limit["limit"]
            for limit in section}


def _asset_groups() -> set[str]:
    graph = defs.resolve_asset_graph()
    return {str(graph.get(key).group_name) for key in graph.get_all_asset_keys()}


# -- validity ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(INSTANCES))
def test_the_instance_config_validates_against_dagsters_schema(name: str) -> None:
    validate_instance(INSTANCES[name])
    pointer = _read(INSTANCES[name])["storage"]["custom"]
    assert (pointer["module"], pointer["class"]) == ("iris_resources.orchestration.pooled_storage",
                                                     "PooledPostgresStorage")
    storage = pointer["config"]["postgres_db"]
    assert storage["scheme"] == "postgresql+psycopg2"  # SQLAlchemy 2.1: bare postgresql means psycopg 3
    assert {field: storage[field] for field in ("hostname", "username", "password")} == {  # by reference only
        "hostname": {"env": "DAGSTER_PG_HOST"}, "username": {"env": "DAGSTER_PG_USERNAME"},
        "password": {"env": "DAGSTER_PG_PASSWORD"}}


def _typo_in_storage(config: dict[str, Any]) -> None:
    db = config["storage"]["custom"]["config"]["postgres_db"]
    db["host_name"] = db.pop("hostname")


def _limit_as_text(config: dict[str, Any]) -> None:
    config["run_coordinator"]["config"]["tag_concurrency_limits"][0]["limit"] = "two"


def _limit_missing(config: dict[str, Any]) -> None:
    del config["run_coordinator"]["config"]["tag_concurrency_limits"][0]["limit"]


def _unknown_coordinator_field(config: dict[str, Any]) -> None:
    config["run_coordinator"]["config"]["max_concurent_runs"] = 4


def _unknown_launcher_field(config: dict[str, Any]) -> None:
    config["run_launcher"]["config"] = {**(config["run_launcher"].get("config") or {}), "job_namespce": "x"}


def _resources_as_text(config: dict[str, Any]) -> None:
    config["run_launcher"]["config"]["resources"] = "2Gi"


def _second_storage(config: dict[str, Any]) -> None:
    config["run_storage"] = {"module": "dagster.core.storage.runs", "class": "SqliteRunStorage",
                             "config": {"base_dir": "/tmp"}}


def _unknown_top_level_key(config: dict[str, Any]) -> None:
    config["run_coordinater"] = config.pop("run_coordinator")


BREAKAGES: dict[str, tuple[Callable[[dict[str, Any]], None], tuple[str, ...]]] = {
    "a typo in the storage": (_typo_in_storage, ("local", "k8s")),
    "a tag limit given as text": (_limit_as_text, ("local", "k8s")),
    "a tag limit without a limit": (_limit_missing, ("local", "k8s")),
    "an unknown queue field": (_unknown_coordinator_field, ("local", "k8s")),
    "an unknown launcher field": (_unknown_launcher_field, ("local", "k8s")),
    "launcher resources given as text": (_resources_as_text, ("k8s",)),
    "storage configured twice": (_second_storage, ("local", "k8s")),
    "a misspelt section": (_unknown_top_level_key, ("local", "k8s")),
}


@pytest.mark.parametrize(("name", "breakage"), [(name, breakage) for breakage, (_, names) in BREAKAGES.items()
                                                for name in names])
def test_a_deliberately_broken_copy_fails_validation(tmp_path: Path, name: str, breakage: str) -> None:
    config = copy.deepcopy(_read(INSTANCES[name]))
    BREAKAGES[breakage][0](config)
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(config))
    with pytest.raises(DagsterInvalidConfigError):
        validate_instance(tmp_path)


def test_the_workspace_files_validate() -> None:
    for path in (ROOT / "workspace.yaml", DEPLOY / "workspace.yaml"):
        ensure_workspace_config(yaml.safe_load(path.read_text()), str(path))
    with pytest.raises(DagsterInvalidConfigError):
        ensure_workspace_config({"load_from": [{"grpc_server": {"hostname": "x", "port": 4000}}]}, "broken.yaml")


# -- concurrency per asset group --------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(INSTANCES))
def test_every_asset_group_has_a_run_limit(name: str) -> None:
    config = _read(INSTANCES[name])
    limits = _limits(config)
    maximum = config["run_coordinator"]["config"]["max_concurrent_runs"]
    per_group = {value: limit for (key, value), limit in limits.items() if key == GROUP_TAG}
    assert set(per_group) == _asset_groups()
    assert all(1 <= limit < maximum for limit in per_group.values())
    # Backfills are capped in total and per backfill, below the queue's maximum: the live chain keeps room.
    assert limits[("dagster/backfill", None)] < maximum
    assert limits[("dagster/backfill", "{'applyLimitPerUniqueValue': True}")] < limits[("dagster/backfill", None)]
    # One run at a time per backfill: a range's warm-ups read the days before it, so ranges run in order.
    assert limits[("dagster/backfill", "{'applyLimitPerUniqueValue': True}")] == 1


def test_both_instances_share_storage_queue_and_retries() -> None:
    local, k8s = _read(INSTANCES["local"]), _read(INSTANCES["k8s"])
    for section in ("storage", "run_coordinator", "run_retries", "retention"):
        assert local[section] == k8s[section], section


def test_every_job_of_the_code_location_tags_its_runs_with_a_limited_group() -> None:
    limited = {value for (key, value) in _limits(_read(DEPLOY)) if key == GROUP_TAG}
    untagged = {job.name: (job.run_tags or {}).get(GROUP_TAG) for job in defs.jobs or ()
                if (job.run_tags or {}).get(GROUP_TAG) not in limited}
    assert untagged == {}


# -- starting them -----------------------------------------------------------------------------------------
@pytest.fixture
def dagster_database(server_url: str) -> Iterator[str]:
    """An empty database for Dagster's own storage (it keeps its own alembic history)."""
    url = with_database(server_url, f"iris_dagster_test_{uuid.uuid4().hex[:10]}")
    ensure_database(url)
    yield url
    drop_database(url)


def test_the_local_instance_starts_on_postgres_with_its_queue(
    dagster_database: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url = make_url(dagster_database)
    for name, value in {"HOST": url.host, "PORT": url.port or 5432, "DB": url.database,
                        "USERNAME": url.username, "PASSWORD": url.password or "unused"}.items():
        monkeypatch.setenv(f"DAGSTER_PG_{name}", str(value))
    shutil.copy(DEPLOY / "dagster.yaml", tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.get_runs() == []  # the run storage answers (tables created in PostgreSQL)
        assert instance.get_ref().storage_data.class_name == "PooledPostgresStorage"  # type: ignore[union-attr]
        coordinator = instance.run_coordinator
        assert isinstance(coordinator, QueuedRunCoordinator)
        queue = coordinator.get_run_queue_config()
        assert queue.max_concurrent_runs == 6
        limits = {(limit["key"], str(limit.get("value"))): limit["limit"] for limit in queue.tag_concurrency_limits}
        assert limits[(GROUP_TAG, "market_data")] == 2
        assert type(instance.run_launcher).__name__ == "DefaultRunLauncher"
        assert instance.run_retries_max_retries == 2
        assert instance.run_monitoring_enabled


_KUBECONFIG = """
apiVersion: v1
kind: Config
clusters: [{name: placeholder, cluster: {server: "https://127.0.0.1:6443"}}]
users: [{name: placeholder, user: {token: placeholder}}]
contexts: [{name: placeholder, context: {cluster: placeholder, user: placeholder}}]
current-context: placeholder
"""


def test_the_k8s_run_launcher_renders_the_run_pod_from_its_config(tmp_path: Path) -> None:
    section = _read(INSTANCES["k8s"])["run_launcher"]
    assert (section["module"], section["class"]) == ("dagster_k8s", "K8sRunLauncher")
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(_KUBECONFIG)
    # Outside a cluster: the same config, but the API client reads a placeholder kubeconfig.
    config = {**section["config"], "load_incluster_config": False, "kubeconfig_file": str(kubeconfig)}
    launcher = ConfigurableClassData(section["module"], section["class"], yaml.safe_dump(config)).rehydrate(
        as_type=K8sRunLauncher)
    # The Kubernetes Job the launcher would create for a run, rendered as the API would receive it.
    run = DagsterRun(job_name="candle_analytics_job", run_id=str(uuid.uuid4()), tags={GROUP_TAG: "indicators"})
    context = K8sContainerContext.create_for_run(run, launcher, include_run_tags=True)
    job = construct_dagster_k8s_job(
        job_config=context.get_k8s_job_config(job_image="iris:test", run_launcher=launcher),
        args=["dagster", "api", "execute_run"], job_name="dagster-run-test", pod_name="dagster-run-test",
        component="run_worker", user_defined_k8s_config=context.run_k8s_config)
    manifest = ApiClient().sanitize_for_serialization(job)
    pod = manifest["spec"]["template"]["spec"]
    [container] = pod["containers"]

    assert context.namespace == "iris-runs" and pod["serviceAccountName"] == "iris-run"
    assert {"secretRef": {"name": "iris-app"}} in container["envFrom"]
    assert {"configMapRef": {"name": "iris-config"}} in container["envFrom"]
    password = next(v for v in container["env"] if v["name"] == "DAGSTER_PG_PASSWORD")
    assert password["valueFrom"]["secretKeyRef"]["name"] == "iris-dagster-postgres"
    assert {"name": "exchange-credentials", "mountPath": "/run/secrets", "readOnly": True} in container["volumeMounts"]
    assert container["resources"]["limits"]["memory"] == "2560Mi"
    assert container["securityContext"]["runAsNonRoot"] is True
    assert (manifest["spec"]["backoffLimit"], manifest["spec"]["ttlSecondsAfterFinished"]) == (0, 86400)
    # No secret value anywhere in what Kubernetes receives: only names of Secrets.
    assert "password:" not in yaml.safe_dump(manifest).lower().replace("dagster_pg_password", "")
