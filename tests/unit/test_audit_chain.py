"""The audit chain's hash: canonical, sensitive to every field, and the same in migration 0018."""

from __future__ import annotations

import hashlib
import importlib.util
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from app.models.audit import canonical_json, chain_hash, iso_utc

MIGRATION = (
    Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0018_audit_hash_chain.py"
)
_spec = importlib.util.spec_from_file_location("cx_migration_0018", MIGRATION)
migration = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(migration)

FIELDS = {
    "organization_id": 7,
    "seq": 3,
    "campaign_id": None,
    "user_id": 12,
    "action": "participants.imported",
    "created_at": datetime(2026, 3, 1, 9, 30, 5, 120, tzinfo=UTC),
    "detail": {"count": 40, "部署": "営業部", "ratio": 0.5, "nested": {"b": [1, 2], "a": None}},
    "previous_hash": "ab" * 32,
}


def test_the_hash_is_sha256_of_sorted_compact_utf8_json():
    expected = (
        '{"action":"participants.imported","campaign_id":null,'
        '"created_at":"2026-03-01T09:30:05.000120Z",'
        '"detail":{"count":40,"nested":{"a":null,"b":[1,2]},"ratio":0.5,"部署":"営業部"},'
        '"organization_id":7,"previous_hash":"' + "ab" * 32 + '","seq":3,"user_id":12}'
    )
    assert chain_hash(**FIELDS) == hashlib.sha256(expected.encode("utf-8")).hexdigest()


def test_times_are_utc_with_microseconds_whatever_their_zone():
    tokyo = FIELDS["created_at"].astimezone(timezone(timedelta(hours=9)))
    assert iso_utc(tokyo) == "2026-03-01T09:30:05.000120Z"
    assert iso_utc(datetime(2026, 3, 1, tzinfo=UTC)) == "2026-03-01T00:00:00.000000Z"
    assert chain_hash(**{**FIELDS, "created_at": tokyo}) == chain_hash(**FIELDS)
    with pytest.raises(ValueError, match="naive"):
        iso_utc(datetime(2026, 3, 1))


def test_key_order_does_not_matter_and_nan_is_refused():
    assert canonical_json({"b": 1, "a": 2}) == canonical_json({"a": 2, "b": 1}) == '{"a":2,"b":1}'
    with pytest.raises(ValueError, match="JSON compliant"):
        canonical_json({"x": float("nan")})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("organization_id", 8),
        ("seq", 4),
        ("campaign_id", 1),
        ("user_id", None),
        ("action", "participants.added"),
        ("created_at", FIELDS["created_at"] + timedelta(microseconds=1)),
        ("detail", {**FIELDS["detail"], "count": 41}),
        ("previous_hash", None),
    ],
)
def test_every_field_changes_the_hash(field, value):
    assert chain_hash(**{**FIELDS, field: value}) != chain_hash(**FIELDS)


def test_the_migration_chains_existing_events_with_the_same_function():
    args = [FIELDS[name] for name in ("organization_id", "seq", "campaign_id", "user_id")]
    args += [FIELDS["action"], FIELDS["created_at"], FIELDS["detail"], FIELDS["previous_hash"]]
    assert migration._chain_hash(*args) == chain_hash(**FIELDS)
    # SQLite gives the migration naive UTC times.
    naive = FIELDS["created_at"].replace(tzinfo=None)
    assert migration._chain_hash(*args[:5], naive, *args[6:]) == chain_hash(**FIELDS)
