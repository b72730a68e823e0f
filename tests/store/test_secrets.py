"""Nothing secret in clear in the database: API tokens are stored as their SHA-256 only; webhook
signing secrets are Fernet-encrypted with the key from settings."""
from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from appliance.store import queries
from appliance.store.crypto import generate_key
from appliance.store.engine import open_store
from appliance.store.errors import ConfigError, InvalidValue, NotFound
from appliance.store.models import Base

WHEN = datetime(2025, 3, 2, 8, 30, tzinfo=timezone.utc)


def database_text(store) -> str:
    """Every value of every table, as text (what someone with a copy of the database would see)."""
    chunks = []
    with store.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in connection.execute(text(f"SELECT * FROM {table.name}")):
                chunks += [v.hex() if isinstance(v, bytes) else str(v) for v in row]
    return "\n".join(chunks)


def database_files(settings) -> bytes:
    files = sorted(settings.data_dir.glob("appliance.db*"))
    return b"".join(path.read_bytes() for path in files)


def test_tokens_are_stored_hashed(store, settings):
    with store.session() as s:
        created = queries.create_token(s, "grafana", "viewer", created_by="admin", now=WHEN)
    token = created.token
    assert len(token) >= 43 and created.row.prefix == token[:8]
    assert created.row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = database_text(store)
    assert token not in stored and created.row.token_hash in stored
    if store.dialect == "sqlite":
        assert token.encode() not in database_files(settings)
    with store.session() as s:
        found = queries.verify_token(s, token, now=WHEN + timedelta(minutes=5))
        assert (found.name, found.role, found.last_used_at) == ("grafana", "viewer", WHEN + timedelta(minutes=5))
        assert queries.verify_token(s, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
        assert queries.verify_token(s, "") is None
    with store.session() as s:
        queries.revoke_token(s, created.row.id, now=WHEN)
        queries.revoke_token(s, created.row.id)                     # idempotent
    with store.session() as s:
        assert queries.verify_token(s, token) is None
        assert queries.list_tokens(s) == []
        assert queries.list_tokens(s, include_revoked=True)[0].revoked_at == WHEN


def test_token_roles_are_checked(store):
    with pytest.raises(InvalidValue), store.session() as s:
        queries.create_token(s, "x", "root")
    with pytest.raises(NotFound), store.session() as s:
        queries.revoke_token(s, 12345)


def test_webhook_secrets_are_encrypted(store, settings):
    secret = "whsec-0123456789-very-secret"
    with store.session() as s:
        hook = queries.create_webhook(s, store.secrets, "https://noc.example/hook", "teams", secret=secret,
                                      name="NOC", created_by="admin")
    stored = database_text(store)
    assert secret not in stored and hook.secret_encrypted in stored
    if store.dialect == "sqlite":
        assert secret.encode() not in database_files(settings)
    with store.session(readonly=True) as s:
        assert queries.webhook_secret(store.secrets, queries.get_webhook(s, hook.id)) == secret
    with store.session() as s:
        queries.update_webhook(s, store.secrets, hook.id, url="https://noc.example/hook", enabled=False)
    with store.session() as s:
        row = queries.get_webhook(s, hook.id)
        assert (row.url, row.enabled, row.format, row.name) == ("https://noc.example/hook", False, "teams", "NOC")
        assert queries.webhook_secret(store.secrets, row) == secret          # kept: same destination, not given
        queries.update_webhook(s, store.secrets, hook.id, secret=None)
    with store.session() as s:
        assert queries.webhook_secret(store.secrets, queries.get_webhook(s, hook.id)) is None
        queries.delete_webhook(s, hook.id)
    with store.session(readonly=True) as s:
        assert queries.list_webhooks(s) == []


@pytest.mark.parametrize("change", [{"url": "https://elsewhere.example/hook"}, {"format": "slack"},
                                    {"url": "hep+udp://homer.example:9060", "format": "hep"}])
def test_a_new_destination_drops_the_secret_unless_one_is_given(store, change):
    with store.session() as s:
        hook = queries.create_webhook(s, store.secrets, "https://noc.example/hook", "teams", secret="old-key").id
    with store.session() as s:
        queries.update_webhook(s, store.secrets, hook, **change)
    with store.session() as s:
        row = queries.get_webhook(s, hook)
        assert row.secret_encrypted is None                                  # not carried to the new place
        queries.update_webhook(s, store.secrets, hook, url="https://third.example/", format="generic",
                               secret="new-key")
    with store.session(readonly=True) as s:
        assert queries.webhook_secret(store.secrets, queries.get_webhook(s, hook)) == "new-key"


def test_webhook_values_are_checked(store):
    for url, format in (("ftp://x/y", "generic"), ("https://", "generic"), ("https://x/y", "pagerduty")):
        with pytest.raises(InvalidValue), store.session() as s:
            queries.create_webhook(s, store.secrets, url, format)


def test_the_secret_key_is_required_and_rotates(store, settings):
    with store.session() as s:
        hook = queries.create_webhook(s, store.secrets, "https://noc.example/hook", secret="abc")
    with open_store(replace(settings, secret_key=None)) as keyless:
        with pytest.raises(ConfigError, match="no secret key"):
            keyless.secrets
    with open_store(replace(settings, secret_key=generate_key())) as wrong:
        with wrong.session(readonly=True) as s, pytest.raises(ConfigError, match="does not decrypt"):
            queries.webhook_secret(wrong.secrets, queries.get_webhook(s, hook.id))
    with open_store(replace(settings, secret_key=f"{generate_key()},{settings.secret_key}")) as rotated:
        with rotated.session(readonly=True) as s:
            assert queries.webhook_secret(rotated.secrets, queries.get_webhook(s, hook.id)) == "abc"
    with pytest.raises(ConfigError, match="not a Fernet key"):
        open_store(replace(settings, secret_key="not-a-key")).secrets
