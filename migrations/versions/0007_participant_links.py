"""participant links

A participant may hold several working personal links: ``participant_link`` holds one row per
link (its token's hash, how it was handed out, when it was revoked) and replaces
``participant.token_hash``. Every existing hash becomes one link (channel ``migrated``, revoked
when the participant was), so every link handed out before the upgrade keeps working.

``participant.link_epoch`` is what respondent sessions now carry. It starts as the first 16
characters of the old hash, which is what sessions carried before, so respondents who are
answering during the upgrade keep their session.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 03:02:14.576172

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('participant_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("channel IN ('manual', 'import', 'invitation', 'reminder', 'csv', 'open-link', 'migrated')", name=op.f('ck_participant_link_channel')),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_participant_link_participant_id_participant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participant_link')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_participant_link_token_hash'))
    )
    with op.batch_alter_table('participant_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participant_link_participant_id'), ['participant_id'], unique=False)

    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link_epoch', sa.String(length=32), nullable=True))

    op.execute(
        "INSERT INTO participant_link (participant_id, token_hash, channel, created_at, revoked_at)"
        " SELECT id, token_hash, 'migrated', invited_at, revoked_at FROM participant"
        " ORDER BY id"
    )
    op.execute("UPDATE participant SET link_epoch = substr(token_hash, 1, 16)")

    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.alter_column('link_epoch', existing_type=sa.String(length=32), nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_participant_token_hash'), type_='unique')
        batch_op.drop_column('token_hash')


def downgrade():
    # One hash per participant again: their newest working link (the others stop working),
    # else their newest link, else an unusable random value.
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_hash', sa.String(length=64), nullable=True))
    op.execute(
        "UPDATE participant SET token_hash = ("
        " SELECT pl.token_hash FROM participant_link pl WHERE pl.participant_id = participant.id"
        " ORDER BY CASE WHEN pl.revoked_at IS NULL THEN 0 ELSE 1 END, pl.id DESC LIMIT 1)"
    )
    if op.get_bind().dialect.name == "sqlite":
        random_hash = "lower(hex(randomblob(32)))"
    else:
        random_hash = "md5(random()::text) || md5(random()::text)"
    op.execute(f"UPDATE participant SET token_hash = {random_hash} WHERE token_hash IS NULL")
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.alter_column('token_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_participant_token_hash'), ['token_hash'])
        batch_op.drop_column('link_epoch')

    with op.batch_alter_table('participant_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participant_link_participant_id'))

    op.drop_table('participant_link')
