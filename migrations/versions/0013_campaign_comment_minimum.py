"""campaign comment minimum

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 19:30:00.000000

Each campaign keeps the fewest respondents of a group who must have answered an open question
for that group's free-text answers and their themes to be shown (10 to 50, never fewer than
the anonymity threshold). Campaigns created before keep the rule they were shown under: 10.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("comment_minimum", sa.Integer(), nullable=False, server_default="10")
        )
        batch_op.create_check_constraint(
            op.f("ck_campaign_comment_minimum"), "comment_minimum BETWEEN 10 AND 50"
        )


def downgrade():
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_campaign_comment_minimum"), type_="check")
        batch_op.drop_column("comment_minimum")
