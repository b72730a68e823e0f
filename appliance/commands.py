"""CLI commands around the store: `db`, `import`, `token`, `webhook`. Settings come from the
environment (appliance.settings), read when a command runs."""
from __future__ import annotations

import sys
from contextlib import contextmanager
from datetime import timedelta
from typing import List, Optional

import typer

from appliance.settings import Settings
from appliance.store.models import ROLES, WEBHOOK_FORMATS as FORMATS

db_app = typer.Typer(help="The store: migrations and retention.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens (roles viewer, operator, admin).", no_args_is_help=True)
webhook_app = typer.Typer(help="Alert notifications to chat, SIEM and Alertmanager.", no_args_is_help=True)


@contextmanager
def open_migrated_store(settings: Settings | None = None):
    from appliance.store import open_store
    from appliance.store.migrate import upgrade
    settings = settings or Settings.from_env()
    upgrade(settings.store())
    store = open_store(settings.store())
    try:
        yield store
    finally:
        store.close()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the store to the newest schema."""
    from appliance.store.migrate import upgrade
    print(f"store at revision {upgrade(Settings.from_env().store())}")


@db_app.command("current")
def db_current() -> None:
    """Show the store's schema revision and the newest one."""
    from appliance.store.migrate import current_revision, head_revision
    settings = Settings.from_env().store()
    print(f"current {current_revision(settings)}, newest {head_revision(settings)}")


@db_app.command("purge")
def db_purge(older_than: Optional[int] = typer.Option(None, "--older-than", help="days (default: retention)")) -> None:
    """Delete data older than the retention age (open alerts and their evidence stay)."""
    from appliance.store.queries import purge
    settings = Settings.from_env()
    with open_migrated_store(settings) as store, store.session() as session:
        counts = purge(session, timedelta(days=older_than or settings.retention_days))
    print(", ".join(f"{name}: {count}" for name, count in counts.items()))


def import_command(captures: List[str] = typer.Argument(..., metavar="CAPTURE..."),
                   sensor: Optional[str] = typer.Option(None, help="sensor id (default: APPLIANCE_SENSOR_ID)")) -> None:
    """Feed captures into the store through the same path as live traffic."""
    from appliance.store.importer import import_captures
    settings = Settings.from_env()
    with open_migrated_store(settings) as store:
        report = import_captures(store, sensor or settings.sensor_id, captures, settings.policy)
    packets = sum(c["packets"] for c in report["captures"])
    print(f"imported {len(report['captures'])} capture(s): {packets} packets, {len(report['streams'])} streams, "
          f"{len(report['alerts'])} alerts")


@token_app.command("create")
def token_create(name: str = typer.Argument("cli", help="who or what uses the token"),
                 role: str = typer.Option(..., "--role", help="viewer, operator or admin")) -> None:
    """Create a token; it is printed once, alone on the last line, and stored only as a hash."""
    from appliance.actor import cli_actor
    from appliance.errors import UsageError
    from appliance.store import audit
    from appliance.store.queries import create_token
    if role not in ROLES:
        raise UsageError(f"--role must be one of {', '.join(ROLES)}")
    with open_migrated_store() as store, store.session() as session:
        new = create_token(session, name, role, created_by="cli")
        session.flush()
        token_id = new.row.id
        audit.record_as(session, cli_actor(), "token.create", f"token:{token_id}", None, audit.snapshot(new.row))
    print(f"token {token_id} ({role}) for {name}; it will not be shown again:", file=sys.stderr)
    print(new.token)


@token_app.command("list")
def token_list() -> None:
    from appliance.store.queries import list_tokens
    with open_migrated_store() as store, store.session(readonly=True) as session:
        for row in list_tokens(session):
            print(f"{row.id}\t{row.role}\t{row.name}\t{row.prefix}…\tcreated {row.created_at:%Y-%m-%d}")


@token_app.command("revoke")
def token_revoke(token_id: int) -> None:
    from appliance.actor import cli_actor
    from appliance.store import audit
    from appliance.store.queries import revoke_token
    with open_migrated_store() as store, store.session() as session:
        row = revoke_token(session, token_id)
        audit.record_as(session, cli_actor(), "token.revoke", f"token:{token_id}", None, audit.snapshot(row))
    print(f"token {token_id} revoked")


@webhook_app.command("add")
def webhook_add(url: str, format: str = typer.Option("generic", "--format", help=" | ".join(FORMATS)),
                secret: Optional[str] = typer.Option(None, "--secret", help="HMAC key for generic payloads")) -> None:
    """Send every new alert to URL: http(s)://, syslog+udp:// / syslog+tcp:// (syslog, cef), or
    hep+udp:// / hep+tcp:// (hep: HEP v3 to Homer, port 9060 by default)."""
    from appliance.errors import UsageError
    from appliance.store.queries import create_webhook
    if format not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}")
    with open_migrated_store() as store, store.session() as session:
        hook = create_webhook(session, store.secrets if secret else None, url, format, secret, created_by="cli")
        session.flush()
        hook_id = hook.id
    print(f"webhook {hook_id}: {format} -> {url}")


@webhook_app.command("list")
def webhook_list() -> None:
    from appliance.store.queries import list_webhooks
    with open_migrated_store() as store, store.session(readonly=True) as session:
        for hook in list_webhooks(session):
            print(f"{hook.id}\t{hook.format}\t{'on' if hook.enabled else 'off'}\t{hook.url}")


@webhook_app.command("remove")
def webhook_remove(webhook_id: int) -> None:
    from appliance.actor import cli_actor
    from appliance.store import audit
    from appliance.store.queries import delete_webhook, get_webhook
    with open_migrated_store() as store, store.session() as session:
        before = audit.snapshot(get_webhook(session, webhook_id))
        delete_webhook(session, webhook_id)
        audit.record_as(session, cli_actor(), "webhook.delete", f"webhook:{webhook_id}", before, None)
    print(f"webhook {webhook_id} removed")


def secret_key_command() -> None:
    """Print a new key for APPLIANCE_SECRET_KEY (encrypts webhook secrets in the store)."""
    from appliance.store.crypto import generate_key
    print(generate_key())
