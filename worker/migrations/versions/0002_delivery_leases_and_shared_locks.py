"""Delivery leases (deliveries.lease_until, lease_token) and shared locks (leases table)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

Only what is missing is added: a database made by a development build with create_all already
has some of it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    columns = {c["name"] for c in inspector.get_columns("deliveries")}
    with op.batch_alter_table("deliveries") as batch:
        if "lease_until" not in columns:
            batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        if "lease_token" not in columns:
            batch.add_column(sa.Column("lease_token", sa.String(), nullable=True))
    if not inspector.has_table("leases"):
        op.create_table(
            "leases",
            sa.Column("name", sa.Text(), nullable=False),
            sa.Column("holder", sa.Text(), nullable=False),
            sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("name"))


def downgrade() -> None:
    op.drop_table("leases")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("lease_token")
        batch.drop_column("lease_until")
