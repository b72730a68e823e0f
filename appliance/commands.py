"""CLI commands around the store: `db`, `import`, `token`, `webhook`. Settings come from the
environment (appliance.settings), read when a command runs."""
from __future__ import annotations

import sys
from contextlib import contextmanager
from datetime import timedelta
from typing import List, Optional

import typer

from appliance.output import OutputFormat, emit, emit_one, format_option
from appliance.settings import Settings
from appliance.store.names import ROLES, WEBHOOK_FORMATS as FORMATS

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
def db_current(format: OutputFormat = format_option()) -> None:
    """Show the store's schema revision and the newest one."""
    from appliance.store.migrate import current_revision, head_revision
    settings = Settings.from_env().store()
    emit_one({"current": current_revision(settings), "newest": head_revision(settings)}, format,
             lambda r: [f"current {r['current']}, newest {r['newest']}"])


@db_app.command("purge")
def db_purge(older_than: Optional[int] = typer.Option(None, "--older-than", help="days (default: retention)")) -> None:
    """Delete data older than the retention age (open alerts and their evidence stay)."""
    from appliance.store.queries import purge
    settings = Settings.from_env()
    with open_migrated_store(settings) as store, store.session() as session:
        counts = purge(session, timedelta(days=older_than or settings.retention_days))
    print(", ".join(f"{name}: {count}" for name, count in counts.items()))


def import_command(captures: List[str] = typer.Argument(..., metavar="CAPTURE...", help="pcap or pcapng files"),
                   sensor: Optional[str] = typer.Option(None, help="sensor id (default: APPLIANCE_SENSOR_ID)")) -> None:
    """Feed captures into the store through the same path as live traffic."""
    from appliance.store.importer import import_captures
    settings = Settings.from_env()
    with open_migrated_store(settings) as store:
        report = import_captures(store, sensor or settings.sensor_id, captures, settings.policy,
                                 incident_settings=settings.incidents)
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
def token_list(format: OutputFormat = format_option()) -> None:
    """The tokens that are not revoked: id, role, name, the first characters, when created."""
    from appliance.store.queries import list_tokens
    with open_migrated_store() as store, store.session(readonly=True) as session:
        rows = [{"id": row.id, "role": row.role, "name": row.name, "prefix": row.prefix,
                 "created_at": row.created_at.isoformat(),
                 "last_used_at": row.last_used_at.isoformat() if row.last_used_at else None}
                for row in list_tokens(session)]
    emit(rows, format, lambda r: f"{r['id']}\t{r['role']}\t{r['name']}\t{r['prefix']}…\tcreated {r['created_at'][:10]}")


@token_app.command("revoke")
def token_revoke(token_id: int = typer.Argument(..., help="the token's id (`token list`)")) -> None:
    """Revoke a token: requests carrying it are refused from now on."""
    from appliance.actor import cli_actor
    from appliance.store import audit
    from appliance.store.queries import revoke_token
    with open_migrated_store() as store, store.session() as session:
        row = revoke_token(session, token_id)
        audit.record_as(session, cli_actor(), "token.revoke", f"token:{token_id}", None, audit.snapshot(row))
    print(f"token {token_id} revoked")


@webhook_app.command("add")
def webhook_add(url: str = typer.Argument(..., help="where to send alerts (schemes below)"),
                format: str = typer.Option("generic", "--format", help=" | ".join(FORMATS)),
                secret_env: Optional[str] = typer.Option(None, "--secret-env", metavar="VAR",
                                                         help="environment variable holding the signing secret "
                                                              "(HEP: Homer's password)"),
                secret_file: Optional[str] = typer.Option(None, "--secret-file", metavar="PATH",
                                                          help="file holding the secret; - reads it from stdin"),
                refused: Optional[str] = typer.Option(None, "--secret", hidden=True,
                                                      help="refused (visible in ps and shell history): use "
                                                           "--secret-env or --secret-file")) -> None:
    """Send every new alert to URL: http(s)://, syslog+udp:// / syslog+tcp:// (syslog, cef), or
    hep+udp:// / hep+tcp:// (hep: HEP v3 to Homer, port 9060 by default). Loopback, link-local and cloud
    metadata destinations are refused unless allow-listed (\\[notify] allow, APPLIANCE_NOTIFY_ALLOW)."""
    from appliance.errors import UsageError
    from appliance.notify.formats import check_secret
    from appliance.secret_source import REFUSED_FLAG_HINT, read_secret
    from appliance.store.queries import create_webhook
    if refused is not None:
        raise UsageError(REFUSED_FLAG_HINT)
    if format not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}")
    secret = read_secret(secret_env, secret_file)
    try:
        check_secret(secret or "")
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    settings = Settings.from_env()
    settings.notify.check_url(url)
    with open_migrated_store(settings) as store, store.session() as session:
        hook = create_webhook(session, store.secrets if secret else None, url, format, secret, created_by="cli")
        session.flush()
        hook_id = hook.id
    print(f"webhook {hook_id}: {format} -> {url}")


@webhook_app.command("new-secret")
def webhook_new_secret() -> None:
    """Print a new signing secret in the Standard Webhooks form (whsec_ and 32 random bytes in base64)."""
    import base64
    import secrets
    print("whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii"))


@webhook_app.command("list")
def webhook_list(format: OutputFormat = format_option()) -> None:
    """The webhooks: id, payload format, on/off, URL (never the secret)."""
    from appliance.store.queries import list_webhooks
    with open_migrated_store() as store, store.session(readonly=True) as session:
        rows = [{"id": hook.id, "format": hook.format, "enabled": hook.enabled, "url": hook.url,
                 "has_secret": bool(hook.secret_encrypted)} for hook in list_webhooks(session)]
    emit(rows, format, lambda r: f"{r['id']}\t{r['format']}\t{'on' if r['enabled'] else 'off'}\t{r['url']}")


@webhook_app.command("remove")
def webhook_remove(webhook_id: int = typer.Argument(..., help="the webhook's id (`webhook list`)")) -> None:
    """Stop notifying a webhook and forget it (its pending deliveries too)."""
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
