"""A slow, scalar statement of the reference's detector rules (§2.3) to check the vectorised engine.

Each rule looks at one window (plain Python lists, newest value last) exactly as the specification
words it and returns ``(direction, raw confidence)`` or None. Indicator columns are read at absolute
bar positions. The calibrated formation detectors are stated here in their *reference* form only
(the engine must fire wherever these do); broadening and wedges in their fixed form (DECISIONS 11).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from statistics import fmean

import numpy as np

Result = tuple[int, float] | None


@dataclass
class Window:
    """The last ``size`` bars up to bar ``t`` and the whole series' indicator arrays."""

    t: int
    start: int
    o: list[float]
    h: list[float]
    l: list[float]  # noqa: E741
    c: list[float]
    v: list[float]
    ind: dict[str, np.ndarray]

    @classmethod
    def of(cls, columns: dict[str, list[float]], t: int, size: int, ind: dict[str, np.ndarray]) -> Window:
        """The window of ``size`` bars ending at ``t`` from whole-series columns (open, high, low, close, volume)."""
        s = max(0, t - size + 1)
        o, h, l, c, v = (columns[name][s : t + 1] for name in ("open", "high", "low", "close", "volume"))  # noqa: E741
        return cls(t, s, o, h, l, c, v, ind)

    def at(self, name: str, position: int) -> float | None:
        """Indicator ``name`` at window position ``position`` (None when undefined)."""
        value = float(self.ind[name][self.start + position])
        return None if np.isnan(value) else value

    def last(self, name: str, k: int) -> list[float | None]:
        """Indicator values at the last ``k`` bars (oldest first)."""
        return [self.at(name, len(self.c) - k + i) for i in range(k)]


def pct(a: float, b: float) -> float:
    return 0.0 if b == 0 else (a - b) / b


def within(a: float, b: float, tol: float) -> bool:
    return a == b or abs(a - b) / max(abs(a), abs(b), 1e-9) <= tol


def slope(values: list[float]) -> float:
    n = len(values)
    mx = (n - 1) / 2
    my = fmean(values)
    return sum((i - mx) * (y - my) for i, y in enumerate(values)) / sum((i - mx) ** 2 for i in range(n))


def spread(values: list[float]) -> float:
    return max(values) - min(values)


def pivots(values: list[float], kind: str) -> list[tuple[int, float]]:
    found = []
    for i in range(2, len(values) - 2):
        side = values[i - 2 : i] + values[i + 1 : i + 3]
        if (kind == "high" and values[i] >= max(side)) or (kind == "low" and values[i] <= min(side)):
            found.append((i, values[i]))
    return found


def vr(volumes: list[float]) -> float:
    base = volumes[-21:-1]
    mean = fmean(base) if base else 0.0
    return 0.0 if mean <= 0 else volumes[-1] / mean


def defined(values: list[float | None]) -> list[float]:
    return [v for v in values if v is not None]


RULES: dict[str, tuple[int, int, Callable[[Window], Result]]] = {}


def rule(slug: str, min_bars: int, size: int) -> Callable[[Callable[[Window], Result]], Callable[[Window], Result]]:
    def register(fn: Callable[[Window], Result]) -> Callable[[Window], Result]:
        RULES[slug] = (min_bars, size, fn)
        return fn

    return register


def load_rules() -> dict[str, tuple[int, int, Callable[[Window], Result]]]:
    """Every scalar rule (importing the rule modules registers them)."""
    import tests.unit.patterns.pattern_oracle_continuation
    import tests.unit.patterns.pattern_oracle_indicators
    import tests.unit.patterns.pattern_oracle_structural
    import tests.unit.patterns.pattern_oracle_volume  # noqa: F401

    return RULES
