"""The O(n) rolling max/min equal the direct window reduction bit for bit, NaN windows included."""

from __future__ import annotations

import numpy as np
import pytest

from iris_assets.patterns._arrays import rolling_max, rolling_min, windows


@pytest.mark.parametrize("n", [1, 7, 50, 1000])
@pytest.mark.parametrize("width", [1, 2, 5, 20, 90])
@pytest.mark.parametrize("lag_", [0, 1, 3])
def test_rolling_extremes_match_the_direct_reduction(n: int, width: int, lag_: int) -> None:
    x = np.random.default_rng(n * 1000 + width * 10 + lag_).normal(size=n)
    if n > 10:
        x[[5, n // 2]] = np.nan  # a missing value makes every window that holds it NaN
    np.testing.assert_array_equal(rolling_max(x, width, lag_), windows(x, width, lag_).max(axis=1))
    np.testing.assert_array_equal(rolling_min(x, width, lag_), windows(x, width, lag_).min(axis=1))
