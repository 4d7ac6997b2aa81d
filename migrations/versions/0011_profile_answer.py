"""profile answer

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 09:00:00.000000

Organisation profile answers: one row per campaign and fact, with an optional evidence note.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'profile_answer',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('fact_id', sa.String(length=64), nullable=False),
        sa.Column('value', sa.Text(), nullable=True),
        sa.Column('evidence', sa.Text(), nullable=True),
        sa.Column('answered_by_id', sa.Integer(), nullable=True),
        sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['campaign_id'], ['campaign.id'],
            name=op.f('fk_profile_answer_campaign_id_campaign'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['answered_by_id'], ['user_account.id'],
            name=op.f('fk_profile_answer_answered_by_id_user_account'), ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_profile_answer')),
        sa.UniqueConstraint(
            'campaign_id', 'fact_id', name=op.f('uq_profile_answer_campaign_id_fact_id')
        ),
    )
    with op.batch_alter_table('profile_answer', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_profile_answer_campaign_id'), ['campaign_id'], unique=False
        )


def downgrade():
    with op.batch_alter_table('profile_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_profile_answer_campaign_id'))
    op.drop_table('profile_answer')
