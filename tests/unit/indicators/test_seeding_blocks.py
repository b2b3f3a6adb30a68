"""Seed blocks: epoch-aligned, covering a run's window exactly once, with a seed that depends on the bar only."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest

from iris_assets.indicators.seeding import BLOCK_BARS, MIN_WARMUP, WARMUP_BARS, SeedBlock, seed_blocks

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TIMEFRAMES = (1, 5, 15, 60, 240, 1440)
CASES = 200


def moment(rng: random.Random) -> datetime:
    """A random instant (to the second) between 2015 and 2030."""
    return datetime(2015, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(15 * 365 * 86_400))


def duration(rng: random.Random, low: timedelta, high: timedelta) -> timedelta:
    return timedelta(seconds=rng.randint(int(low.total_seconds()), int(high.total_seconds())))


def span(timeframe: int) -> timedelta:
    return timedelta(minutes=timeframe * BLOCK_BARS)


def warmup(timeframe: int) -> timedelta:
    return max(timedelta(minutes=timeframe * WARMUP_BARS), MIN_WARMUP)


def block_containing(moment: datetime, timeframe: int, start: datetime, end: datetime) -> SeedBlock:
    matches = [b for b in seed_blocks(timeframe, start, end) if b.keep_start <= moment < b.stop]
    assert len(matches) == 1
    return matches[0]


def test_a_window_inside_one_block_gives_one_clipped_block() -> None:
    start = datetime(2024, 3, 1, tzinfo=UTC)
    end = datetime(2024, 3, 2, tzinfo=UTC)
    block_start = EPOCH + ((start - EPOCH) // span(15)) * span(15)

    result = list(seed_blocks(15, start, end))

    assert result == [SeedBlock(seed=block_start - timedelta(minutes=15 * WARMUP_BARS), keep_start=start, stop=end)]
    assert block_start <= start
    assert end <= block_start + span(15)


def test_a_window_across_a_block_boundary_is_split_at_the_boundary() -> None:
    boundary = EPOCH + 18_000 * span(60)  # some epoch-aligned block start in 2024
    start, end = boundary - timedelta(days=2), boundary + timedelta(days=3)

    result = list(seed_blocks(60, start, end))

    assert [(b.keep_start, b.stop) for b in result] == [(start, boundary), (boundary, end)]
    assert result[0].seed == boundary - span(60) - warmup(60)
    assert result[1].seed == boundary - warmup(60)


def test_the_warm_up_is_3000_bars_but_never_less_than_8_days() -> None:
    start = datetime(2024, 3, 1, tzinfo=UTC)

    one_minute = next(seed_blocks(1, start, start + timedelta(hours=1)))
    daily = next(seed_blocks(1440, start, start + timedelta(days=1)))

    one_minute_block = EPOCH + ((start - EPOCH) // span(1)) * span(1)
    assert one_minute_block - one_minute.seed == timedelta(days=8)
    daily_block = EPOCH + ((start - EPOCH) // span(1440)) * span(1440)
    assert daily_block - daily.seed == timedelta(days=3000)


def test_an_empty_or_reversed_window_at_a_block_start_gives_no_blocks() -> None:
    boundary = EPOCH + 100 * span(15)

    assert list(seed_blocks(15, boundary, boundary)) == []
    assert list(seed_blocks(15, boundary, boundary - timedelta(days=1))) == []


@pytest.mark.parametrize("timeframe", TIMEFRAMES)
def test_blocks_are_epoch_aligned_and_cover_the_window_exactly_once(timeframe: int) -> None:
    rng = random.Random(timeframe)
    for _ in range(CASES):
        start = moment(rng)
        end = start + duration(rng, timedelta(seconds=1), timedelta(days=800))

        result = list(seed_blocks(timeframe, start, end))

        assert result, "a non-empty window needs at least one block"
        assert result[0].keep_start == start
        assert result[-1].stop == end
        for previous, current in itertools.pairwise(result):
            assert previous.stop == current.keep_start  # contiguous: no gap, no overlap
        for block in result:
            assert block.keep_start < block.stop
            block_start = block.seed + warmup(timeframe)
            assert (block_start - EPOCH) % span(timeframe) == timedelta(0)  # epoch-aligned
            assert block_start <= block.keep_start
            assert block.stop <= block_start + span(timeframe)


@pytest.mark.parametrize("timeframe", TIMEFRAMES)
def test_a_bars_seed_does_not_depend_on_the_requested_window(timeframe: int) -> None:
    rng = random.Random(1000 + timeframe)
    bar_length = timedelta(minutes=timeframe)
    for _ in range(CASES):
        bar = EPOCH + ((moment(rng) - EPOCH) // bar_length) * bar_length
        wide = (
            bar - duration(rng, timedelta(0), timedelta(days=400)),
            bar + duration(rng, timedelta(minutes=1), timedelta(days=400)),
        )
        narrow = (
            bar - duration(rng, timedelta(0), timedelta(days=3)),
            bar + duration(rng, timedelta(minutes=1), timedelta(days=3)),
        )

        seeds = {block_containing(bar, timeframe, *window).seed for window in (wide, narrow, (bar, bar + bar_length))}

        assert len(seeds) == 1
        (seed,) = seeds
        assert warmup(timeframe) <= bar - seed < span(timeframe) + warmup(timeframe)


def test_the_same_bar_inside_a_day_run_and_a_year_run_gets_the_same_seed() -> None:
    bar = datetime(2024, 7, 15, 13, 45, tzinfo=UTC)
    day = block_containing(bar, 15, datetime(2024, 7, 15, tzinfo=UTC), datetime(2024, 7, 16, tzinfo=UTC))
    year = block_containing(bar, 15, datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC))

    assert day.seed == year.seed
    assert day.stop <= year.stop
