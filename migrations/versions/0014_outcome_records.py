"""outcome records

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 19:45:00.000000

Customer outcomes (NPS answers, CSAT, CES, churn, ARPA, gross margin) per organisation,
department and period, kept beside the assessments.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "outcome_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("nps_counts", sa.JSON(), nullable=True),
        sa.Column("promoters", sa.Integer(), nullable=True),
        sa.Column("passives", sa.Integer(), nullable=True),
        sa.Column("detractors", sa.Integer(), nullable=True),
        sa.Column("csat", sa.Float(), nullable=True),
        sa.Column("ces", sa.Float(), nullable=True),
        sa.Column("churn_rate", sa.Float(), nullable=True),
        sa.Column("arpa", sa.Float(), nullable=True),
        sa.Column("gross_margin", sa.Float(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(promoters IS NULL) = (passives IS NULL)"
            " AND (passives IS NULL) = (detractors IS NULL)",
            name=op.f("ck_outcome_record_nps_complete"),
        ),
        sa.CheckConstraint(
            "promoters IS NULL OR (promoters >= 0 AND passives >= 0 AND detractors >= 0)",
            name=op.f("ck_outcome_record_nps_counts"),
        ),
        sa.CheckConstraint(
            "churn_rate IS NULL OR churn_rate BETWEEN 0 AND 1",
            name=op.f("ck_outcome_record_churn_rate"),
        ),
        sa.CheckConstraint(
            "gross_margin IS NULL OR gross_margin BETWEEN 0 AND 1",
            name=op.f("ck_outcome_record_gross_margin"),
        ),
        sa.CheckConstraint(
            "csat IS NULL OR csat BETWEEN 0 AND 100", name=op.f("ck_outcome_record_csat")
        ),
        sa.CheckConstraint(
            "ces IS NULL OR ces BETWEEN 1 AND 7", name=op.f("ck_outcome_record_ces")
        ),
        sa.CheckConstraint("arpa IS NULL OR arpa >= 0", name=op.f("ck_outcome_record_arpa")),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_outcome_record_department_id_department"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_outcome_record_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome_record")),
        sa.UniqueConstraint(
            "organization_id",
            "department_id",
            "period",
            name=op.f("uq_outcome_record_organization_id_department_id_period"),
        ),
    )
    with op.batch_alter_table("outcome_record", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outcome_record_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_outcome_record_organization_id"), ["organization_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("outcome_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outcome_record_organization_id"))
        batch_op.drop_index(batch_op.f("ix_outcome_record_department_id"))
    op.drop_table("outcome_record")
