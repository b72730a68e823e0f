"""Webhook targets: create, list, get, update, delete. The signing secret is needed in clear to sign
each delivery, so it is stored Fernet-encrypted with the key from settings (`Store.secrets`) and
decrypted only by `webhook_secret`.

HTTP formats (generic, slack, teams, alertmanager) go to an http(s):// URL; the SIEM formats (syslog:
RFC 5424, cef: ArcSight CEF in a syslog message) to `syslog+udp://host[:port]` or `syslog+tcp://host[:port]`;
`hep` (HEP v3 to Homer) to `hep+udp://host[:port]` or `hep+tcp://host[:port]`."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from appliance.store.columns import utcnow
from appliance.store.crypto import SecretBox
from appliance.store.errors import InvalidValue, NotFound
from appliance.store.models import WEBHOOK_FORMATS, Delivery, Webhook

UNSET = object()
SYSLOG_FORMATS = ("syslog", "cef")
HEP_FORMATS = ("hep",)
SCHEMES = {"http": ("http", "https"), "syslog": ("syslog+udp", "syslog+tcp"), "hep": ("hep+udp", "hep+tcp")}


def create_webhook(session: Session, box: SecretBox, url: str, format: str = "generic",
                   secret: str | None = None, name: str | None = None, enabled: bool = True,
                   created_by: str | None = None, now: datetime | None = None) -> Webhook:
    format = _format(format)
    row = Webhook(url=_url(url, format), format=format, name=name, enabled=enabled,
                  secret_encrypted=box.encrypt(secret) if secret else None,
                  created_by=created_by, created_at=now or utcnow())
    session.add(row)
    session.flush()
    return row


def list_webhooks(session: Session) -> list[Webhook]:
    return list(session.scalars(select(Webhook).order_by(Webhook.id)))


def get_webhook(session: Session, webhook_id: int) -> Webhook:
    row = session.get(Webhook, webhook_id)
    if row is None:
        raise NotFound(f"no webhook {webhook_id}")
    return row


def update_webhook(session: Session, box: SecretBox, webhook_id: int, *, url: str | None = None,
                   format: str | None = None, secret=UNSET, name=UNSET, enabled: bool | None = None) -> Webhook:
    """Change the given fields; `secret=None` removes the secret, leaving it out keeps it — unless the
    destination changes (URL or format): then the secret is removed unless a new one is given with it,
    so a signing key or HEP password never follows a hook to a host its owner did not choose."""
    row = get_webhook(session, webhook_id)
    if destination_changes(row, url, format):
        new_format = _format(format) if format is not None else row.format
        row.url, row.format = _url(url if url is not None else row.url, new_format), new_format
        if secret is UNSET:
            secret = None
    if secret is not UNSET:
        row.secret_encrypted = box.encrypt(secret) if secret else None
    if name is not UNSET:
        row.name = name
    if enabled is not None:
        row.enabled = enabled
    return row


def destination_changes(row: Webhook, url: str | None, format: str | None) -> bool:
    """Would this change send the hook's deliveries somewhere else (another URL or format)?"""
    return (url is not None and url != row.url) or (format is not None and format != row.format)


def recent_deliveries(session: Session, webhook_id: int, limit: int = 50) -> list[Delivery]:
    """The webhook's latest deliveries, newest first (state, attempts, last_error: why one failed)."""
    get_webhook(session, webhook_id)
    return list(session.scalars(select(Delivery).where(Delivery.webhook_id == webhook_id)
                                .order_by(Delivery.id.desc()).limit(limit)))


def delete_webhook(session: Session, webhook_id: int) -> None:
    """Delete a webhook and its deliveries."""
    session.delete(get_webhook(session, webhook_id))


def webhook_secret(box: SecretBox, webhook: Webhook) -> str | None:
    return box.decrypt(webhook.secret_encrypted) if webhook.secret_encrypted else None


def _url(url: str, format: str = "generic") -> str:
    parts = urlsplit(url)
    if format in SYSLOG_FORMATS or format in HEP_FORMATS:
        kind = "hep" if format in HEP_FORMATS else "syslog"
        try:
            valid = parts.scheme in SCHEMES[kind] and bool(parts.hostname) and parts.port != 0
        except ValueError:                      # a port that is not a number or out of range
            valid = False
        if not valid:
            raise InvalidValue(f"a {format} webhook URL must be {kind}+udp://host:port or {kind}+tcp://host:port: "
                               f"{url!r}")
    elif parts.scheme not in SCHEMES["http"] or not parts.netloc:
        raise InvalidValue(f"a webhook URL must be http(s)://host/...: {url!r}")
    return url


def _format(format: str) -> str:
    if format not in WEBHOOK_FORMATS:
        raise InvalidValue(f"webhook format must be one of {', '.join(WEBHOOK_FORMATS)}")
    return format
