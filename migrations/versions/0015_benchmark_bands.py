"""benchmark bands

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 10:00:00.000000

An organisation may be filed under an industry and a size band (employees), and may join the
cross-client benchmark. Nobody has joined yet: every organisation starts out of the pool,
without an industry or a size band.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

#: As ``app.models.organization`` had them when this revision was written.
INDUSTRIES = (
    "banking",
    "insurance",
    "securities",
    "retail",
    "manufacturing",
    "telecom",
    "it_services",
    "healthcare",
    "public",
    "other",
)
SIZE_BANDS = ("1-99", "100-999", "1000-4999", "5000+")


def _one_of(column, keys):
    listed = ", ".join(f"'{key}'" for key in keys)
    return f"{column} IS NULL OR {column} IN ({listed})"


def upgrade():
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.add_column(sa.Column("industry", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("size_band", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column(
                "benchmark_opt_in", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
        batch_op.create_check_constraint(
            op.f("ck_organization_industry"), _one_of("industry", INDUSTRIES)
        )
        batch_op.create_check_constraint(
            op.f("ck_organization_size_band"), _one_of("size_band", SIZE_BANDS)
        )


def downgrade():
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_organization_size_band"), type_="check")
        batch_op.drop_constraint(op.f("ck_organization_industry"), type_="check")
        batch_op.drop_column("benchmark_opt_in")
        batch_op.drop_column("size_band")
        batch_op.drop_column("industry")
