"""A detector's output over many bars at once, and the step that turns one bar of it into a ``Finding``.

The fast-path detectors are written as kernels ``(PreparedSeries, ends) -> DetectorBatch``: arrays of
components, metrics and confidences, one entry per evaluated bar. The history scan scores and runs
the lifecycle on those arrays and builds ``Finding`` objects (with their texts) only for the few bars
that create, refresh or transition an anomaly. The single-context ``detect_*`` functions run the
same kernels on one bar, so both paths share every formula.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from iris_assets.anomalies.constants import SCOPE_ASSET
from iris_assets.anomalies.findings import Explainability, Finding, Subject
from iris_assets.anomalies.series import BoolArray, FloatArray, IntArray

Labels = Mapping[str, npt.NDArray[Any]]
Renderer = Callable[["DetectorBatch", int, Subject], tuple[str, Explainability]]
SUMMARY_MAX = 255  # market_anomalies.summary is varchar(255)


@dataclass(frozen=True, slots=True)
class DetectorBatch:
    """Per-bar detector output: row ``i`` is the evaluation at candle position ``ends[i]``.

    Components of rows where ``fired`` is False are meaningless (the detector returned None there).
    """

    anomaly_type: str
    ends: IntArray
    fired: BoolArray
    components: Mapping[str, FloatArray]
    metrics: Mapping[str, FloatArray]
    confidence: FloatArray
    render: Renderer
    confirmation_hits: IntArray | None = None
    confirmation_target: int = 1
    isolated: BoolArray | None = None
    labels: Labels = field(default_factory=dict)
    extras: Mapping[str, FloatArray] = field(default_factory=dict)  # numbers only the texts use

    def __post_init__(self) -> None:
        # Fill the defaults once: the lifecycle reads them bar by bar.
        if self.confirmation_hits is None:
            object.__setattr__(self, "confirmation_hits", np.ones(self.ends.shape[0], dtype=np.intp))
        if self.isolated is None:
            object.__setattr__(self, "isolated", np.ones(self.ends.shape[0], dtype=np.bool_))

    @property
    def hits(self) -> IntArray:
        """Confirmation hits per row (1 for detectors without confirmation)."""
        assert self.confirmation_hits is not None
        return self.confirmation_hits

    @property
    def isolated_mask(self) -> BoolArray:
        """Whether each row's move is isolated (True unless the detector says otherwise)."""
        assert self.isolated is not None
        return self.isolated

    def label(self, name: str, row: int) -> str:
        """A per-row text label (direction, mode …)."""
        return str(self.labels[name][row])

    def finding(self, row: int, subject: Subject) -> Finding | None:
        """The reference-shaped ``Finding`` for one row, or None where the detector did not fire."""
        if not bool(self.fired[row]):
            return None
        summary, explainability = self.render(self, row, subject)
        return Finding(
            anomaly_type=self.anomaly_type,
            summary=summary[:SUMMARY_MAX],
            component_scores={name: float(values[row]) for name, values in self.components.items()},
            metrics={name: float(values[row]) for name, values in self.metrics.items()},
            confidence=float(self.confidence[row]),
            explainability=explainability,
            confirmation_hits=int(self.hits[row]),
            confirmation_target=self.confirmation_target,
            scope=SCOPE_ASSET,
            isolated=bool(self.isolated_mask[row]),
        )


def concat_batches(parts: Sequence[DetectorBatch]) -> DetectorBatch:
    """One batch from batches of the same detector over consecutive slices of the evaluated bars."""
    if len(parts) == 1:
        return parts[0]
    first = parts[0]

    def joined(name: str, mapping: Callable[[DetectorBatch], Mapping[str, npt.NDArray[Any]]]) -> npt.NDArray[Any]:
        return np.concatenate([mapping(part)[name] for part in parts])

    return DetectorBatch(
        anomaly_type=first.anomaly_type,
        ends=np.concatenate([part.ends for part in parts]),
        fired=np.concatenate([part.fired for part in parts]),
        components={name: joined(name, lambda part: part.components) for name in first.components},
        metrics={name: joined(name, lambda part: part.metrics) for name in first.metrics},
        confidence=np.concatenate([part.confidence for part in parts]),
        render=first.render,
        confirmation_hits=np.concatenate([part.hits for part in parts]),
        confirmation_target=first.confirmation_target,
        isolated=np.concatenate([part.isolated_mask for part in parts]),
        labels={name: joined(name, lambda part: part.labels) for name in first.labels},
        extras={name: joined(name, lambda part: part.extras) for name in first.extras},
    )


def _silent_render(batch: DetectorBatch, row: int, subject: Subject) -> tuple[str, Explainability]:
    raise AssertionError("a silent batch never fires")


def silent(anomaly_type: str, ends: IntArray) -> DetectorBatch:
    """A batch where the detector cannot run at all (e.g. no benchmark): it never fires."""
    nothing = np.zeros(ends.shape[0])
    return DetectorBatch(
        anomaly_type=anomaly_type,
        ends=ends,
        fired=np.zeros(ends.shape[0], dtype=np.bool_),
        components={},
        metrics={},
        confidence=nothing,
        render=_silent_render,
    )
