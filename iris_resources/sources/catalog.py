"""Known sectors and coins shared by the synthetic market and the exchange source.

The synthetic market draws its fixed coins (real names, realistic price levels and volatility) from
here, and the exchange source uses the same table as its default universe, so a coin carries the
same sector whichever source delivers it.
"""

from __future__ import annotations

from dataclasses import dataclass

from iris_resources.sources.base import SectorSpec

SECTORS: tuple[SectorSpec, ...] = (
    SectorSpec("layer1", "Layer 1", "Base-layer smart-contract and payment chains"),
    SectorSpec("defi", "DeFi", "Decentralised exchanges, lending and stablecoin protocols"),
    SectorSpec("ai", "AI", "Decentralised compute, data and machine-learning networks"),
    SectorSpec("meme", "Meme", "Community and meme coins"),
    SectorSpec("infrastructure", "Infrastructure", "Oracles, interoperability, indexing and storage"),
)

_SECTOR_BY_CODE = {sector.code: sector for sector in SECTORS}


@dataclass(frozen=True, slots=True)
class CoinProfile:
    """A coin's identity plus the market parameters the synthetic generator needs."""

    symbol: str
    name: str
    sector: str
    price: float  # starting price in USD
    daily_vol: float  # standard deviation of daily log returns in a normal regime
    daily_notional: float  # typical traded value per day in USD


# Interleaved by sector so that the first five or six coins already cover every sector (small test
# universes stay diverse). Indices matter: the planted lead/lag pairs refer to them.
FIXED_COINS: tuple[CoinProfile, ...] = (
    CoinProfile("BTCUSD", "Bitcoin", "layer1", 60_000.0, 0.030, 25e9),
    CoinProfile("ETHUSD", "Ethereum", "layer1", 3_000.0, 0.038, 12e9),
    CoinProfile("LINKUSD", "Chainlink", "infrastructure", 15.0, 0.050, 4e8),
    CoinProfile("UNIUSD", "Uniswap", "defi", 7.5, 0.055, 2e8),
    CoinProfile("FETUSD", "Fetch.ai", "ai", 1.2, 0.065, 2.5e8),
    CoinProfile("DOGEUSD", "Dogecoin", "meme", 0.08, 0.070, 1e9),
    CoinProfile("SOLUSD", "Solana", "layer1", 100.0, 0.050, 3e9),
    CoinProfile("AAVEUSD", "Aave", "defi", 95.0, 0.055, 2e8),
    CoinProfile("RNDRUSD", "Render", "ai", 4.5, 0.065, 1.5e8),
    CoinProfile("WIFUSD", "dogwifhat", "meme", 2.2, 0.090, 4e8),
    CoinProfile("DOTUSD", "Polkadot", "infrastructure", 7.0, 0.050, 2e8),
    CoinProfile("ADAUSD", "Cardano", "layer1", 0.5, 0.045, 4e8),
    CoinProfile("MKRUSD", "Maker", "defi", 2_000.0, 0.050, 1e8),
    CoinProfile("TAOUSD", "Bittensor", "ai", 350.0, 0.070, 1e8),
    CoinProfile("GRTUSD", "The Graph", "infrastructure", 0.2, 0.060, 8e7),
    CoinProfile("AVAXUSD", "Avalanche", "layer1", 35.0, 0.055, 5e8),
    CoinProfile("CRVUSD", "Curve DAO", "defi", 0.5, 0.065, 1e8),
    CoinProfile("AGIXUSD", "SingularityNET", "ai", 0.3, 0.070, 6e7),
    CoinProfile("ATOMUSD", "Cosmos", "infrastructure", 9.0, 0.050, 1.5e8),
    CoinProfile("BRETTUSD", "Brett", "meme", 0.1, 0.090, 5e7),
)

# Liquid majors listed as BASE/USDT on most exchanges: the exchange source's default universe.
EXCHANGE_DEFAULT_SYMBOLS: tuple[str, ...] = (
    "BTCUSD",
    "ETHUSD",
    "SOLUSD",
    "LINKUSD",
    "UNIUSD",
    "AAVEUSD",
    "FETUSD",
    "DOGEUSD",
    "DOTUSD",
    "ADAUSD",
    "AVAXUSD",
    "ATOMUSD",
)


def sector_spec(code: str) -> SectorSpec:
    """The known sector for ``code``, or a plain one named after the code."""
    known = _SECTOR_BY_CODE.get(code)
    return known if known is not None else SectorSpec(code, code.replace("_", " ").title())


def sectors_for(codes: list[str] | tuple[str, ...]) -> tuple[SectorSpec, ...]:
    """Sector specs for the distinct ``codes``: known sectors in catalogue order, then the others."""
    wanted = set(codes)
    known = tuple(sector for sector in SECTORS if sector.code in wanted)
    others = tuple(sector_spec(code) for code in sorted(wanted - set(_SECTOR_BY_CODE)))
    return known + others


def profile_for(symbol: str) -> CoinProfile | None:
    """The catalogue entry for ``symbol`` if it is a known coin."""
    return next((coin for coin in FIXED_COINS if coin.symbol == symbol), None)
