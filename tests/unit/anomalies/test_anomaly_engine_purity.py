"""The anomaly engine stays pure: standard library, NumPy, Polars and itself; small modules."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import iris_assets.anomalies

PACKAGE = Path(iris_assets.anomalies.__file__).parent
ALLOWED_ROOTS = {"numpy", "polars", "iris_assets"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_engine_imports_only_the_standard_library_numpy_polars_and_itself() -> None:
    offenders = [
        f"{path.name} imports {name}"
        for path in sorted(PACKAGE.glob("*.py"))
        for name in _imports(path)
        if name.split(".")[0] not in ALLOWED_ROOTS | set(sys.stdlib_module_names)
        or (name.startswith("iris_assets") and not name.startswith("iris_assets.anomalies"))
    ]

    assert offenders == []


def test_every_engine_module_stays_under_250_lines() -> None:
    sizes = {path.name: len(path.read_text().splitlines()) for path in PACKAGE.glob("*.py")}

    assert {name: size for name, size in sizes.items() if size >= 250} == {}
