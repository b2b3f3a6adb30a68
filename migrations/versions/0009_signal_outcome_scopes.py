"""signal outcome scopes index

Revision ID: 0009_signal_outcome_scopes
Revises: 0008_data_versions
Create Date: 2026-11-28 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_signal_outcome_scopes"
down_revision = "0008_data_versions"
branch_labels = None
depends_on = None

# Success rates read the newest evaluated outcomes of each (timeframe, signal type, regime) by candle
# time (``DecisionQueries.known_pattern_outcomes``): one short backward range per scope instead of a
# scan and sort of a year of outcomes. A null regime sorts last in its (timeframe, type) prefix.
INDEX = "ix_signal_outcomes_scope_ts"
EVALUATED = "result_return IS NOT NULL"


def upgrade() -> None:
    op.create_index(INDEX, "signal_outcomes", ["timeframe", "signal_type", "market_regime", "candle_timestamp"],
                    unique=False, postgresql_where=sa.text(EVALUATED))


def downgrade() -> None:
    op.drop_index(INDEX, table_name="signal_outcomes", postgresql_where=sa.text(EVALUATED))
