"""Pure cross-market engine: lead/lag relations, market leaders, sector momentum and rotation.

No I/O: inputs and outputs are Polars frames (NumPy inside for the correlation matrices).
"""

from iris_assets.cross_market.config import (
    DEFAULT_PREFERRED_LEADERS,
    RelationConfig,
    max_lag_bars,
    relation_timeframe,
)
from iris_assets.cross_market.correlation import lagged_correlations
from iris_assets.cross_market.leaders import LeaderCheck, check_leader, detect_leaders, leader_confidence
from iris_assets.cross_market.relations import (
    RELATION_SCHEMA,
    compute_relations,
    order_relations,
    preferred_leader_ids,
    top_leaders,
)
from iris_assets.cross_market.returns import ReturnMatrix, return_matrix
from iris_assets.cross_market.sectors import SectorRotation, detect_rotation, sector_momentum, top_sector

__all__ = [
    "DEFAULT_PREFERRED_LEADERS",
    "RELATION_SCHEMA",
    "LeaderCheck",
    "RelationConfig",
    "ReturnMatrix",
    "SectorRotation",
    "check_leader",
    "compute_relations",
    "detect_leaders",
    "detect_rotation",
    "lagged_correlations",
    "leader_confidence",
    "max_lag_bars",
    "order_relations",
    "preferred_leader_ids",
    "relation_timeframe",
    "return_matrix",
    "sector_momentum",
    "top_leaders",
    "top_sector",
]
