"""participant imports

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 10:00:00.000000

A participants file is kept on the server between its preview and its import, and a large
import records its progress and outcome on the same row.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('participant_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=64), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.Column('total_rows', sa.Integer(), nullable=False),
    sa.Column('checked_rows', sa.Integer(), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('problems', sa.JSON(), nullable=False),
    sa.Column('problem_count', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=64), nullable=True),
    sa.Column('run_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('previewed', 'queued', 'checking', 'saving', 'done', 'failed')", name=op.f('ck_participant_import_status')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_participant_import_campaign_id_campaign'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_participant_import_organization_id_organization'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_participant_import_user_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participant_import')),
    sa.UniqueConstraint('public_id', name=op.f('uq_participant_import_public_id'))
    )
    with op.batch_alter_table('participant_import', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participant_import_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_participant_import_organization_id'), ['organization_id'], unique=False)


def downgrade():
    with op.batch_alter_table('participant_import', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participant_import_organization_id'))
        batch_op.drop_index(batch_op.f('ix_participant_import_campaign_id'))

    op.drop_table('participant_import')
