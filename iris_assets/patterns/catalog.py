"""The detector catalog: the reference's 87 detectors (§2.3) plus the indicator engine's 8 candlesticks.

Bias is explicit (DECISIONS 10): ``bullish`` / ``bearish`` / ``neutral``, or ``two_sided`` when the
rule fires both ways and the detection carries the direction. Detectors the reference tagged with
one side although they fire both ways (§9 item 2: breakout_retest, consolidation_breakout, pennant,
rsi_divergence, macd_cross, macd_divergence, momentum_exhaustion, bollinger_squeeze,
volatility_expansion_breakout) are two-sided here, and so are the "neutral" rules whose firing
branch has a side (symmetrical/expanding triangle, narrow_range_breakout, mean_reversion_snap,
volume_divergence) and volume_climax (a climax after a rise is bearish, after a fall bullish).
"""

from __future__ import annotations

from dataclasses import dataclass

BULLISH, BEARISH, NEUTRAL, TWO_SIDED = "bullish", "bearish", "neutral", "two_sided"
CATEGORIES = ("structural", "continuation", "momentum", "volatility", "volume", "candlestick")
LIFECYCLE_STATES = ("ACTIVE", "EXPERIMENTAL", "COOLDOWN", "DISABLED")
DETECTING_STATES = frozenset({"ACTIVE", "EXPERIMENTAL"})
SUPPORTED_TIMEFRAMES = (15, 60, 240, 1440)
# Per-category clamp of a detection's confidence (reference §2.3; candlestick is ours).
CONFIDENCE_CLAMPS: dict[str, tuple[float, float]] = {
    "structural": (0.55, 0.95),
    "continuation": (0.55, 0.94),
    "momentum": (0.55, 0.94),
    "volatility": (0.55, 0.90),
    "volume": (0.55, 0.90),
    "candlestick": (0.55, 0.85),
}
_CATEGORY_COST = {"structural": 3, "continuation": 2, "momentum": 2, "volatility": 1, "volume": 2, "candlestick": 1}
_SLUG_COST = {"head_shoulders": 4, "inverse_head_shoulders": 4, "cup_and_handle": 4, "high_tight_flag": 3}
# Extra slugs that need current/average volume besides the volume category (reference §2.4).
_VOLUME_DEPENDENT = frozenset({"head_shoulders", "inverse_head_shoulders", "cup_and_handle", "breakout_retest"})


@dataclass(frozen=True, slots=True)
class PatternSpec:
    """One catalog entry.

    ``min_bars`` is the reference detector's own minimum (0: none; the pipeline's 30-candle floor
    applies to all), ``lookback`` the bars its window reads (the calibrated flag and triangle
    variants read further back than the reference's 35 / 60 bars). ``required_indicators`` and
    ``needs_trend`` / ``needs_volume`` drive the dependency gate (§2.4).
    """

    slug: str
    category: str
    bias: str
    min_bars: int
    lookback: int
    required_indicators: tuple[str, ...] = ()
    enabled: bool = True
    lifecycle: str = "ACTIVE"

    @property
    def cpu_cost(self) -> int:
        """Reference cost rule: a few named heavy detectors, otherwise by category."""
        return _SLUG_COST.get(self.slug, _CATEGORY_COST[self.category])

    @property
    def signal_type(self) -> str:
        """The signal name the detector writes (``pattern_<slug>``)."""
        return f"pattern_{self.slug}"

    @property
    def needs_trend(self) -> bool:
        """Structural and continuation detectors need EMA 50 and EMA/SMA 200 (≥ 200 candles)."""
        return self.category in ("structural", "continuation")

    @property
    def needs_volume(self) -> bool:
        """Volume detectors (and a few named others) need current and average volume."""
        return self.category == "volume" or self.slug in _VOLUME_DEPENDENT


def _group(category: str, rows: list[tuple[str, str, int, int]], **extra: tuple[str, ...]) -> tuple[PatternSpec, ...]:
    return tuple(
        PatternSpec(slug, category, bias, min_bars, lookback, required_indicators=extra.get(slug, ()))
        for slug, bias, min_bars, lookback in rows
    )


B, S, N, X = BULLISH, BEARISH, NEUTRAL, TWO_SIDED
STRUCTURAL = _group("structural", [
    ("head_shoulders", S, 40, 90), ("inverse_head_shoulders", B, 40, 90),
    ("double_top", S, 30, 90), ("triple_top", S, 30, 90),
    ("double_bottom", B, 30, 90), ("triple_bottom", B, 30, 90),
    ("ascending_triangle", B, 35, 90), ("descending_triangle", S, 35, 90), ("symmetrical_triangle", X, 35, 60),
    ("rising_wedge", S, 30, 45), ("falling_wedge", B, 30, 45),
    ("rectangle_top", S, 35, 45), ("rectangle_bottom", B, 35, 45),
    ("broadening_top", S, 40, 50), ("broadening_bottom", B, 40, 50), ("expanding_triangle", X, 40, 55),
    ("descending_channel_breakout", B, 35, 45), ("ascending_channel_breakdown", S, 35, 45),
    ("rounded_bottom", B, 55, 70), ("rounded_top", S, 55, 70),
    ("diamond_bottom", B, 45, 60), ("diamond_top", S, 45, 60), ("flat_base", B, 30, 35),
])
CONTINUATION = _group("continuation", [
    ("bull_flag", B, 30, 85), ("bear_flag", S, 30, 85), ("pennant", X, 28, 30), ("cup_and_handle", B, 60, 80),
    ("breakout_retest", X, 30, 40), ("consolidation_breakout", X, 24, 24), ("high_tight_flag", B, 30, 32),
    ("falling_channel_breakout", B, 35, 45), ("rising_channel_breakdown", S, 35, 45),
    ("measured_move_bullish", B, 36, 40), ("measured_move_bearish", S, 36, 40), ("base_breakout", B, 30, 34),
    ("volatility_contraction_breakout", B, 32, 36), ("volatility_contraction_breakdown", S, 32, 36),
    ("pullback_continuation_bullish", B, 28, 30), ("pullback_continuation_bearish", S, 28, 30),
    ("squeeze_breakout", B, 25, 25), ("trend_pause_breakout", B, 26, 28), ("handle_breakout", B, 45, 50),
    ("stair_step_continuation", B, 30, 30),
])
MOMENTUM = _group("momentum", [
    ("rsi_divergence", X, 30, 80), ("macd_cross", X, 35, 60), ("macd_divergence", X, 35, 80),
    ("momentum_exhaustion", X, 30, 50), ("rsi_reclaim", B, 20, 50), ("rsi_rejection", S, 20, 50),
    ("rsi_failure_swing_bullish", B, 24, 60), ("rsi_failure_swing_bearish", S, 24, 60),
    ("macd_zero_cross_bullish", B, 35, 60), ("macd_zero_cross_bearish", S, 35, 60),
    ("macd_histogram_expansion_bullish", B, 35, 60), ("macd_histogram_expansion_bearish", S, 35, 60),
    ("trend_acceleration", B, 20, 40), ("trend_deceleration", S, 20, 40),
], rsi_divergence=("rsi_14",), macd_cross=("macd", "macd_signal"), macd_divergence=("macd_histogram",),
   momentum_exhaustion=("rsi_14", "macd_histogram"))
VOLATILITY = _group("volatility", [
    ("bollinger_squeeze", X, 25, 60), ("bollinger_expansion", B, 25, 60), ("atr_spike", S, 0, 60),
    ("volatility_compression", N, 25, 50), ("volatility_expansion_breakout", X, 25, 50),
    ("atr_compression", N, 0, 50), ("atr_release", N, 0, 50), ("narrow_range_breakout", X, 8, 12),
    ("band_walk_bullish", B, 25, 40), ("band_walk_bearish", S, 25, 40), ("mean_reversion_snap", X, 25, 40),
    ("volatility_reversal_bullish", B, 25, 50), ("volatility_reversal_bearish", S, 25, 50),
], bollinger_squeeze=("bb_width",), bollinger_expansion=("bb_width",), atr_spike=("atr_14",))
VOLUME = _group("volume", [
    ("volume_spike", N, 0, 25), ("volume_climax", X, 20, 25), ("volume_divergence", X, 40, 40),
    ("volume_dry_up", B, 25, 25), ("volume_breakout_confirmation", B, 25, 25),
    ("accumulation_volume", B, 20, 20), ("distribution_volume", S, 20, 20), ("churn_bar", N, 0, 20),
    ("effort_result_divergence_bullish", B, 18, 18), ("effort_result_divergence_bearish", S, 18, 18),
    ("relative_volume_breakout", B, 20, 20),
    ("volume_follow_through_bullish", B, 12, 12), ("volume_follow_through_bearish", S, 12, 12),
    ("buying_climax", S, 16, 16), ("selling_climax", B, 16, 16),
    ("volume_trend_confirmation_bullish", B, 25, 25), ("volume_trend_confirmation_bearish", S, 25, 25),
])
# The indicator engine's TA-Lib candlesticks (not in the reference): new, so they start EXPERIMENTAL.
CANDLESTICK = tuple(
    PatternSpec(slug, "candlestick", bias, bars, bars, required_indicators=(slug,), lifecycle="EXPERIMENTAL")
    for slug, bias, bars in [
        ("cdl_engulfing", X, 2), ("cdl_hammer", B, 1), ("cdl_doji", N, 1), ("cdl_morning_star", B, 3),
        ("cdl_evening_star", S, 3), ("cdl_shooting_star", S, 1), ("cdl_3_white_soldiers", B, 3),
        ("cdl_3_black_crows", S, 3),
    ]
)

CATALOG: tuple[PatternSpec, ...] = STRUCTURAL + CONTINUATION + MOMENTUM + VOLATILITY + VOLUME + CANDLESTICK
BY_SLUG: dict[str, PatternSpec] = {spec.slug: spec for spec in CATALOG}


def spec_for(slug: str) -> PatternSpec:
    """The catalog entry of ``slug`` (a ``pattern_`` prefix is accepted); KeyError when unknown."""
    return BY_SLUG[slug.removeprefix("pattern_")]


def lifecycle_from_temperature(temperature: float, enabled: bool = True) -> str:
    """Reference §2.8: T ≤ -1 DISABLED, ≤ -0.2 COOLDOWN, < 0.2 EXPERIMENTAL, else ACTIVE."""
    if not enabled or temperature <= -1.0:
        return "DISABLED"
    if temperature <= -0.2:
        return "COOLDOWN"
    return "EXPERIMENTAL" if temperature < 0.2 else "ACTIVE"


def is_detecting(spec: PatternSpec, lifecycle: str | None = None) -> bool:
    """Whether a detector runs: registry enabled and lifecycle ACTIVE or EXPERIMENTAL (§2.1 step 3)."""
    return spec.enabled and (lifecycle or spec.lifecycle).upper() in DETECTING_STATES
