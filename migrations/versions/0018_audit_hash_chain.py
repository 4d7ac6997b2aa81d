"""audit hash chain

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 23:00:00.000000

The audit log becomes a hash chain per organisation: every event gets its position in its
organisation's chain (``seq``), the hash of the previous event and its own hash. Existing
events are chained in id order. The foreign keys of ``campaign_id`` and ``user_id`` go, so the
database itself never deletes or changes a recorded event when a campaign or account goes.
"""

import hashlib
import json
from datetime import UTC

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

#: Events read and written per statement while chaining the existing ones.
BATCH = 1000


def _chain_hash(organization_id, seq, campaign_id, user_id, action, created_at, detail, previous):
    """Must give exactly what ``app.models.audit.chain_hash`` gives (a unit test compares
    them): every stored hash, these included, is checked with that function."""
    if created_at.tzinfo is None:  # SQLite keeps UTC without an offset
        created_at = created_at.replace(tzinfo=UTC)
    document = {
        "action": action,
        "campaign_id": campaign_id,
        "created_at": created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "detail": detail,
        "organization_id": organization_id,
        "previous_hash": previous,
        "seq": seq,
        "user_id": user_id,
    }
    text = json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_events = sa.table(
    "audit_event",
    sa.column("id", sa.Integer()),
    sa.column("organization_id", sa.Integer()),
    sa.column("campaign_id", sa.Integer()),
    sa.column("user_id", sa.Integer()),
    sa.column("action", sa.String()),
    sa.column("detail", sa.JSON()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("seq", sa.Integer()),
    sa.column("previous_hash", sa.String()),
    sa.column("hash", sa.String()),
)


def _chain_existing_events(conn):
    organizations = (
        conn.execute(
            sa.select(_events.c.organization_id).distinct().order_by(_events.c.organization_id)
        )
        .scalars()
        .all()
    )
    update = (
        _events.update()
        .where(_events.c.id == sa.bindparam("event_id"))
        .values(
            seq=sa.bindparam("new_seq"),
            previous_hash=sa.bindparam("new_previous"),
            hash=sa.bindparam("new_hash"),
        )
    )
    for organization_id in organizations:
        seq, previous, last_id = 0, None, 0
        while True:
            rows = conn.execute(
                sa.select(_events)
                .where(_events.c.organization_id == organization_id, _events.c.id > last_id)
                .order_by(_events.c.id)
                .limit(BATCH)
            ).all()
            if not rows:
                break
            changes = []
            for row in rows:
                seq += 1
                digest = _chain_hash(
                    organization_id,
                    seq,
                    row.campaign_id,
                    row.user_id,
                    row.action,
                    row.created_at,
                    row.detail if row.detail is not None else {},
                    previous,
                )
                changes.append(
                    {
                        "event_id": row.id,
                        "new_seq": seq,
                        "new_previous": previous,
                        "new_hash": digest,
                    }
                )
                previous, last_id = digest, row.id
            conn.execute(update, changes)


def upgrade():
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("previous_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
        batch_op.drop_constraint("fk_audit_event_campaign_id_campaign", type_="foreignkey")
        batch_op.drop_constraint("fk_audit_event_user_id_user_account", type_="foreignkey")

    conn = op.get_bind()
    # Events with no detail get the empty one that new events are written with.
    conn.execute(_events.update().where(_events.c.detail.is_(None)).values(detail={}))
    _chain_existing_events(conn)

    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_audit_event_organization_id_seq"), ["organization_id", "seq"]
        )


def downgrade():
    conn = op.get_bind()
    # The foreign keys come back with their old rules: events of a deleted campaign go, a
    # deleted account's id becomes NULL.
    conn.execute(
        sa.text(
            "DELETE FROM audit_event WHERE campaign_id IS NOT NULL"
            " AND campaign_id NOT IN (SELECT id FROM campaign)"
        )
    )
    conn.execute(
        sa.text(
            "UPDATE audit_event SET user_id = NULL WHERE user_id IS NOT NULL"
            " AND user_id NOT IN (SELECT id FROM user_account)"
        )
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_event_organization_id_seq"), type_="unique")
        batch_op.create_foreign_key(
            batch_op.f("fk_audit_event_user_id_user_account"),
            "user_account",
            ["user_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_audit_event_campaign_id_campaign"),
            "campaign",
            ["campaign_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.drop_column("hash")
        batch_op.drop_column("previous_hash")
        batch_op.drop_column("seq")
