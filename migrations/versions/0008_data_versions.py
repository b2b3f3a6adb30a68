"""data versions

Revision ID: 0008_data_versions
Revises: 0007_signals_portfolio
Create Date: 2026-11-27 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_data_versions"
down_revision = "0007_signals_portfolio"
branch_labels = None
depends_on = None

# Seeded so that a rebuilt database starts every domain at a new version (clock microseconds):
# the read API never caches a domain without a row.
DOMAINS = ("anomalies", "candles", "coins", "cross_market", "indicators", "patterns", "portfolio", "predictions",
           "signals")


def upgrade() -> None:
    op.create_table(
        "data_versions",
        sa.Column("domain", sa.String(length=32), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("domain", name=op.f("pk_data_versions")),
    )
    op.execute(
        "INSERT INTO data_versions (domain, version, changed_at) "
        "SELECT d, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint, clock_timestamp() "
        f"FROM unnest(ARRAY[{', '.join(repr(d) for d in DOMAINS)}]) AS d"
    )


def downgrade() -> None:
    op.drop_table("data_versions")
