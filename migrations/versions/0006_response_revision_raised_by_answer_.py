"""response revision raised by answer triggers

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 02:37:07.184690

Every insert, change or deletion of an answer raises ``response.revision`` (triggers, as in
``app.models.response.ANSWER_REVISION_DDL``; copied here so this migration stays as it was
written). The column is added and dropped in place: rebuilding ``response`` on SQLite would
cascade-delete every answer.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

TRIGGERS = ("answer_revision_insert", "answer_revision_update", "answer_revision_delete")

CREATE = {
    "sqlite": (
        "CREATE TRIGGER answer_revision_insert AFTER INSERT ON answer BEGIN"
        " UPDATE response SET revision = revision + 1 WHERE id = NEW.response_id; END",
        "CREATE TRIGGER answer_revision_update AFTER UPDATE ON answer BEGIN"
        " UPDATE response SET revision = revision + 1"
        " WHERE id IN (OLD.response_id, NEW.response_id); END",
        "CREATE TRIGGER answer_revision_delete AFTER DELETE ON answer BEGIN"
        " UPDATE response SET revision = revision + 1 WHERE id = OLD.response_id; END",
    ),
    "postgresql": (
        "CREATE OR REPLACE FUNCTION answer_revision() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "  IF TG_OP = 'INSERT' THEN\n"
        "    UPDATE response SET revision = revision + 1\n"
        "    WHERE id IN (SELECT response_id FROM written_answers);\n"
        "  ELSIF TG_OP = 'DELETE' THEN\n"
        "    UPDATE response SET revision = revision + 1\n"
        "    WHERE id IN (SELECT response_id FROM removed_answers);\n"
        "  ELSE\n"
        "    UPDATE response SET revision = revision + 1\n"
        "    WHERE id IN (SELECT response_id FROM written_answers\n"
        "                 UNION SELECT response_id FROM removed_answers);\n"
        "  END IF;\n"
        "  RETURN NULL;\n"
        "END\n"
        "$$",
        "CREATE TRIGGER answer_revision_insert AFTER INSERT ON answer"
        " REFERENCING NEW TABLE AS written_answers"
        " FOR EACH STATEMENT EXECUTE FUNCTION answer_revision()",
        "CREATE TRIGGER answer_revision_update AFTER UPDATE ON answer"
        " REFERENCING OLD TABLE AS removed_answers NEW TABLE AS written_answers"
        " FOR EACH STATEMENT EXECUTE FUNCTION answer_revision()",
        "CREATE TRIGGER answer_revision_delete AFTER DELETE ON answer"
        " REFERENCING OLD TABLE AS removed_answers"
        " FOR EACH STATEMENT EXECUTE FUNCTION answer_revision()",
    ),
}


def upgrade():
    op.add_column(
        'response', sa.Column('revision', sa.Integer(), server_default='0', nullable=False)
    )
    for statement in CREATE.get(op.get_bind().dialect.name, ()):
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    for name in TRIGGERS:
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON answer")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS answer_revision()")
    op.execute("ALTER TABLE response DROP COLUMN revision")
