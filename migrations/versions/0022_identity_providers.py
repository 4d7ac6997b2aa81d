"""identity providers for single sign-on

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 23:20:00.000000

OpenID Connect providers staff may log in through, and the accounts linked to a provider's
user.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "identity_provider",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("client_id", sa.String(length=200), nullable=False),
        sa.Column("client_secret_sealed", sa.Text(), nullable=True),
        sa.Column("organization_id", sa.Integer(), nullable=True),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_identity_provider_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_provider")),
        sa.UniqueConstraint("key", name=op.f("uq_identity_provider_key")),
    )
    with op.batch_alter_table("identity_provider", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_identity_provider_organization_id"), ["organization_id"], unique=False
        )
    op.create_table(
        "user_identity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["identity_provider.id"],
            name=op.f("fk_user_identity_provider_id_identity_provider"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_user_identity_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_identity")),
        sa.UniqueConstraint(
            "provider_id", "subject", name=op.f("uq_user_identity_provider_id_subject")
        ),
    )
    with op.batch_alter_table("user_identity", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_user_identity_provider_id"), ["provider_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_user_identity_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("user_identity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_identity_user_id"))
        batch_op.drop_index(batch_op.f("ix_user_identity_provider_id"))
    op.drop_table("user_identity")
    with op.batch_alter_table("identity_provider", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_provider_organization_id"))
    op.drop_table("identity_provider")
