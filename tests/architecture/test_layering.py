"""Architecture contracts, checked by scanning the source (they must not erode silently)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("iris_resources", "iris_assets", "iris_api")
# Pure analytics engines: every domain package of iris_assets except its Dagster ``assets/`` room.
DOMAIN_PACKAGES = ("market_data", "indicators", "anomalies", "patterns", "signals", "cross_market",
                   "predictions", "portfolio")
IO_LIBRARIES = ("sqlalchemy", "psycopg", "redis", "dagster", "fastapi", "iris_resources", "httpx", "requests")


def _modules(*packages: str) -> Iterator[Path]:
    for package in packages:
        yield from sorted((ROOT / package).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    """Every module a file imports, anywhere in it (functions and TYPE_CHECKING blocks included)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _calls(path: Path, attribute: str) -> list[int]:
    return [
        node.lineno
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == attribute
    ]


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize(("package", "forbidden"), [
    ("iris_resources", ("iris_assets", "iris_api")),
    ("iris_api", ("iris_assets",)),
])
def test_packages_import_only_downwards(package: str, forbidden: tuple[str, ...]) -> None:
    offenders = [
        f"{_rel(path)} imports {name}"
        for path in _modules(package)
        for name in _imports(path)
        if name.split(".")[0] in forbidden
    ]
    assert offenders == []


def test_only_units_of_work_commit_or_roll_back() -> None:
    """Repositories, query services, engines and resources never end a transaction themselves."""
    allowed_roots = ("iris_assets/", "iris_api/commands/", "iris_resources/db/uow.py", "iris_resources/db/resources.py")
    offenders = [
        f"{_rel(path)}:{line} calls .{name}()"
        for path in _modules(*PACKAGES)
        if not _rel(path).startswith(allowed_roots)
        for name in ("commit", "rollback")
        for line in _calls(path, name)
    ]
    assert offenders == []


def test_engines_and_repositories_never_commit() -> None:
    offenders = [
        f"{_rel(path)}:{line}"
        for path in _modules("iris_resources")
        if path.name in ("repository.py", "queries.py")
        for line in _calls(path, "commit") + _calls(path, "rollback")
    ]
    assert offenders == []


def test_query_services_never_write() -> None:
    writers = {"insert", "update", "delete", "pg_insert", "copy_frame"}
    offenders = []
    for path in _modules("iris_resources"):
        if path.name != "queries.py":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                offenders += [f"{_rel(path)} imports {a.name}" for a in node.names if a.name in writers]
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                upper = node.value.upper()
                if any(word in upper for word in ("INSERT INTO", "UPDATE ", "DELETE FROM", "FROM STDIN")):
                    offenders.append(f"{_rel(path)}:{node.lineno} writes SQL")
    assert offenders == []


def test_read_models_are_frozen_slotted_dataclasses() -> None:
    offenders = []
    for path in _modules("iris_resources"):
        if path.name != "read_models.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ClassDef):
                continue
            keywords = {
                kw.arg: getattr(kw.value, "value", None)
                for deco in node.decorator_list if isinstance(deco, ast.Call)
                for kw in deco.keywords
            }
            if keywords.get("frozen") is not True or keywords.get("slots") is not True:
                offenders.append(f"{_rel(path)}:{node.name}")
    assert offenders == []


def _engine_modules() -> list[Path]:
    return [
        path
        for domain in DOMAIN_PACKAGES
        for path in _modules(f"iris_assets/{domain}")
        if "assets" not in path.relative_to(ROOT / "iris_assets" / domain).parts[:-1]
    ]


def test_analytics_engines_do_no_io() -> None:
    paths = _engine_modules()
    assert any(p.name == "resample.py" for p in paths)  # the scan sees the engines
    offenders = [
        f"{_rel(path)} imports {name}"
        for path in paths if path.exists()
        for name in _imports(path)
        if any(name == lib or name.startswith(lib + ".") for lib in IO_LIBRARIES)
    ]
    assert offenders == []


def test_every_module_and_public_function_has_a_docstring_where_dagster_shows_it() -> None:
    """Assets, resources and routes carry docstrings (the Dagster UI and OpenAPI show them)."""
    offenders = []
    for path in _modules(*PACKAGES):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                decorated = any(
                    "asset" in ast.unparse(d) or "router" in ast.unparse(d) for d in node.decorator_list
                )
                resource = isinstance(node, ast.ClassDef) and any("Resource" in ast.unparse(b) for b in node.bases)
                if (decorated or resource) and not ast.get_docstring(node):
                    offenders.append(f"{_rel(path)}:{node.name}")
    assert offenders == []


def test_the_indicators_table_has_a_column_for_every_engine_output() -> None:
    from iris_assets.indicators.engine import ALL_COLUMNS, CANDLE_COLUMNS
    from iris_resources.indicators.columns import CANDLE_PATTERN_COLUMNS, ENGINE_FLOAT_COLUMNS

    assert ENGINE_FLOAT_COLUMNS + CANDLE_PATTERN_COLUMNS == ALL_COLUMNS
    assert tuple(CANDLE_COLUMNS) == CANDLE_PATTERN_COLUMNS
