"""action owner email and executive action updates

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 22:40:00.000000

An action's owner may have an e-mail address (for reminders of overdue actions), and an
executive's access may include updating the status and notes of their organisation's actions.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_email", sa.String(length=320), nullable=True))
        batch_op.add_column(
            sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "update_actions", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )


def downgrade():
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_column("update_actions")
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.drop_column("reminded_at")
        batch_op.drop_column("owner_email")
