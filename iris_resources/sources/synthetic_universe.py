"""The synthetic market's coins and its planted lead/lag pairs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from iris_resources.sources.catalog import FIXED_COINS, SECTORS, CoinProfile

_PROFILE_STREAM = 31


@dataclass(frozen=True, slots=True)
class PairPlan:
    """A planted relation by coin index: the follower repeats ``beta`` x the leader ``lag_hours`` later."""

    leader: int
    follower: int
    lag_hours: int
    beta: float


# Leaders are independent coins and never followers, so relations do not chain. At least three pairs
# (one inverse) exist as soon as there are six coins; lags are whole hours so 1h candles show them.
PAIR_PLANS: tuple[PairPlan, ...] = (
    PairPlan(leader=0, follower=1, lag_hours=1, beta=0.9),  # BTCUSD -> ETHUSD
    PairPlan(leader=2, follower=3, lag_hours=2, beta=1.1),  # LINKUSD -> UNIUSD
    PairPlan(leader=4, follower=5, lag_hours=3, beta=-0.8),  # FETUSD -> DOGEUSD, inverse
    PairPlan(leader=6, follower=8, lag_hours=2, beta=1.0),  # SOLUSD -> RNDRUSD
    PairPlan(leader=9, follower=11, lag_hours=1, beta=-0.9),  # WIFUSD -> ADAUSD, inverse
)


def coin_profiles(seed: int, n_coins: int) -> tuple[CoinProfile, ...]:
    """The first ``n_coins`` catalogue coins, then generated ``SYN001USD``… coins across all sectors."""
    coins = list(FIXED_COINS[:n_coins])
    for index in range(len(FIXED_COINS), n_coins):
        number = f"{index - len(FIXED_COINS) + 1:03d}"
        rng = np.random.default_rng([seed, _PROFILE_STREAM, index])
        # Log-uniform price levels between 0.05 and 500 USD; volatility of a mid-cap coin.
        price = float(10 ** rng.uniform(np.log10(0.05), np.log10(500.0)))
        daily_vol = float(rng.uniform(0.04, 0.09))
        notional = float(10 ** rng.uniform(7.0, 8.5))
        sector = SECTORS[index % len(SECTORS)].code
        name = f"Synthetic Coin {number}"
        coins.append(CoinProfile(f"SYN{number}USD", name, sector, price, daily_vol, notional))
    return tuple(coins)


def active_pairs(n_coins: int) -> tuple[PairPlan, ...]:
    """The planted pairs whose two coins are both in a universe of ``n_coins`` coins."""
    return tuple(plan for plan in PAIR_PLANS if plan.leader < n_coins and plan.follower < n_coins)
