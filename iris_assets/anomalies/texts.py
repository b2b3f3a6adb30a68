"""Small helpers for the explainability templates (the reference gives the fields, not the words)."""

from __future__ import annotations

_LABELS = {15: "15m", 60: "1h", 240: "4h", 1440: "1d"}


def timeframe_label(minutes: int) -> str:
    """``15 → "15m"``, ``60 → "1h"``; other minute counts as ``"<n>m"``."""
    return _LABELS.get(minutes, f"{minutes}m")


def signed_pct(value: float) -> str:
    """A fraction as a signed percentage with two decimals (``0.0312 → "+3.12%"``)."""
    return f"{value * 100:+.2f}%"


def pct(value: float) -> str:
    """A fraction as a percentage with two decimals."""
    return f"{value * 100:.2f}%"


def sigmas(z: float) -> str:
    """A z-score in words; flat baselines give astronomically large ones, which read as "over 100"."""
    return f"{z:.1f} standard deviations" if z < 100 else "over 100 standard deviations"
