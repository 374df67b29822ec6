"""Items can be extracted and waiting for their series to move on (status "extracted"), and the
queue's reading order has an index (ix_items_queue)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

The status column is free text, so the new status needs no change to it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    indexes = {i["name"] for i in sa.inspect(op.get_bind()).get_indexes("items")}
    if "ix_items_queue" not in indexes:
        op.create_index("ix_items_queue", "items", ["status", "attempts", "published", "id"])


def downgrade() -> None:
    op.drop_index("ix_items_queue", table_name="items")
