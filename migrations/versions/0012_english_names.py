"""english names

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 10:40:00.000000

Organisations, departments and campaigns may carry an English name, which English reports
and dashboards show; without one they show the name as entered. Adding a nullable column
needs no table rebuild on SQLite, so no row is touched.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TABLES = ("organization", "department", "campaign")


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("name_en", sa.String(length=200), nullable=True))


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("name_en")
