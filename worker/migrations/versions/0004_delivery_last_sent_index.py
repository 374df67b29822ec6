"""A target's last sending time is an index lookup (ix_deliveries_last_sent), not a scan of every
row ever sent

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26

Digest targets ask for it on every delivery run, and the outbox keeps its sent rows.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    indexes = {i["name"] for i in sa.inspect(op.get_bind()).get_indexes("deliveries")}
    if "ix_deliveries_last_sent" not in indexes:
        op.create_index("ix_deliveries_last_sent", "deliveries", ["target", "status", "sent_at"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_last_sent", table_name="deliveries")
