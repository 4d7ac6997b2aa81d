"""campaign companion

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 03:03:39.107122

A campaign may name its companion campaign (the other questionnaire kind, same
organisation). On SQLite the batch rebuild runs with foreign keys off (see ``env.py``), so
rebuilding ``campaign`` keeps every participant and response that refers to it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

FK_NAME = 'fk_campaign_companion_campaign_id_campaign'


def upgrade():
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('companion_campaign_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            FK_NAME, 'campaign', ['companion_campaign_id'], ['id'], ondelete='SET NULL'
        )


def downgrade():
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_constraint(FK_NAME, type_='foreignkey')
        batch_op.drop_column('companion_campaign_id')
