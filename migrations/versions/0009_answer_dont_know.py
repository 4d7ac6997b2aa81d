"""answer dont know

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 09:00:00.000000

"Don't know" becomes an answer of its own beside "not applicable"; answers stored before keep
their meaning ("not applicable"). On SQLite the batch rebuild of ``answer`` drops its
triggers, so they are created again (as in 0006).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

OLD_CHECK = (
    "(CASE WHEN value IS NOT NULL THEN 1 ELSE 0 END)"
    " + (CASE WHEN not_applicable THEN 1 ELSE 0 END)"
    " + (CASE WHEN text IS NOT NULL THEN 1 ELSE 0 END) = 1"
)
NEW_CHECK = (
    "(CASE WHEN value IS NOT NULL THEN 1 ELSE 0 END)"
    " + (CASE WHEN not_applicable THEN 1 ELSE 0 END)"
    " + (CASE WHEN dont_know THEN 1 ELSE 0 END)"
    " + (CASE WHEN text IS NOT NULL THEN 1 ELSE 0 END) = 1"
)
SQLITE_TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS answer_revision_insert AFTER INSERT ON answer BEGIN"
    " UPDATE response SET revision = revision + 1 WHERE id = NEW.response_id; END",
    "CREATE TRIGGER IF NOT EXISTS answer_revision_update AFTER UPDATE ON answer BEGIN"
    " UPDATE response SET revision = revision + 1"
    " WHERE id IN (OLD.response_id, NEW.response_id); END",
    "CREATE TRIGGER IF NOT EXISTS answer_revision_delete AFTER DELETE ON answer BEGIN"
    " UPDATE response SET revision = revision + 1 WHERE id = OLD.response_id; END",
)


def _triggers_again():
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def upgrade():
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('dont_know', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.drop_constraint(op.f('ck_answer_one_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_answer_one_kind'), NEW_CHECK)
    _triggers_again()


def downgrade():
    # A "don't know" answer becomes the "not applicable" it was one option with before.
    op.execute("UPDATE answer SET not_applicable = true, dont_know = false WHERE dont_know")
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_answer_one_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_answer_one_kind'), OLD_CHECK)
        batch_op.drop_column('dont_know')
    _triggers_again()
