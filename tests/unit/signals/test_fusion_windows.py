"""Fusion windows as row ranges (``fusion_windows``) against a direct per-window computation."""

from __future__ import annotations

import numpy as np

from iris_assets.signals.fusion_windows import SignalRows, member_rows, top_kinds, window_bounds, window_scores

LIMIT, GROUPS = 5, 3


def _market(seed: int) -> tuple[SignalRows, np.ndarray, np.ndarray, np.ndarray]:
    """Rows of two keys with groups of 1..4 signals; returns rows, group starts/ends, first group of each key."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 5, size=12)
    keys = np.repeat([0, 1], 6)
    ends = np.cumsum(sizes)
    starts = ends - sizes
    group = np.repeat(np.arange(sizes.size), sizes)
    rows = SignalRows(group, rng.uniform(0.1, 1.0, group.size), rng.integers(-1, 2, group.size).astype(np.int8),
                      rng.integers(0, 2, group.size).astype(np.int8), np.zeros(group.size, np.int32))
    first = np.where(keys == 0, 0, 6)
    return rows, starts, ends, first


def test_windows_are_the_latest_rows_of_the_newest_three_timestamps_of_their_key() -> None:
    for seed in range(20):
        rows, starts, ends, first = _market(seed)
        lo = window_bounds(starts, ends, first, LIMIT, GROUPS)
        for g in range(starts.size):
            # the rows of g's key up to g, newest first, limited, then cut to 3 distinct groups
            history = [r for r in range(ends[g] - 1, -1, -1) if first[rows.group[r]] == first[g]][:LIMIT]
            newest = sorted({int(rows.group[r]) for r in history}, reverse=True)[:GROUPS]
            expected = [r for r in history if rows.group[r] in newest]
            assert list(range(ends[g] - 1, lo[g] - 1, -1)) == expected


def test_side_sums_and_members_follow_weights_and_recency() -> None:
    table = np.ones((2, 2, 3))
    table[1, 1, 2], table[1, 1, 0] = 1.2, 0.8  # regime 1, archetype 1: bullish ×1.2, bearish ×0.8
    recency = np.array([1.0, 0.9, 0.8])
    for seed in range(20):
        rows, starts, ends, first = _market(seed)
        lo = window_bounds(starts, ends, first, LIMIT, GROUPS)
        groups = np.arange(starts.size)
        regime = groups % 2
        scores = window_scores(rows, lo, ends, groups, regime, table, recency, LIMIT)
        window, picked, score = member_rows(rows, lo, ends, groups, regime, table, recency)
        for g in groups:
            members = range(lo[g], ends[g])
            weighted = {r: rows.static[r] * table[regime[g], rows.arch[r], rows.sign[r] + 1]
                        * recency[g - rows.group[r]] for r in members}
            bullish = sum(v for r, v in weighted.items() if rows.sign[r] > 0)
            bearish = sum(v for r, v in weighted.items() if rows.sign[r] < 0)
            assert np.isclose(scores.bullish[g], bullish, rtol=0, atol=1e-12)
            assert np.isclose(scores.bearish[g], bearish, rtol=0, atol=1e-12)
            assert scores.count[g] == len(members)
            mine = window == g
            assert picked[mine].tolist() == list(members)
            assert np.allclose(score[mine], [weighted[r] for r in members], rtol=0, atol=1e-15)


def test_top_kinds_rank_by_absolute_sum_then_kind_and_drop_zero_sums() -> None:
    window = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 2])
    kind = np.array([3, 1, 3, 2, 4, 5, 0, 2, 0, 1])
    value = np.array([0.5, -0.5, -0.5, 0.25, -1.0, 0.75, 0.25, -0.75, 0.5, 0.0])
    # window 0: kind 3 sums to 0 (left out), |kind 4| = 1.0, |kind 1| = 0.5, |kind 2| = 0.25
    # window 1: kinds 0, 2 and 5 tie at 0.75 exactly (ties by kind); window 2 has only a zero sum
    got_window, got_kind = top_kinds(window, kind, value, 2)
    assert list(zip(got_window.tolist(), got_kind.tolist(), strict=True)) == [(0, 4), (0, 1), (1, 0), (1, 2)]
