"""retention and erasure of personal data

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-10 10:00:00.000000

An organisation may keep its participants' personal data (names, e-mails, links) for a set
number of days after a campaign closes; a participant whose personal data was erased keeps
its row (for the counts) with the moment of the erasure, and so does a campaign whose answers
and participants were erased.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retention_days", sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_organization_retention_days"),
            "retention_days IS NULL OR retention_days > 0",
        )
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_organization_retention_days"), type_="check")
        batch_op.drop_column("retention_days")
