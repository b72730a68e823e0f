"""The configuration file's [[notifiers]] made into the store's webhooks when the service starts:
created or updated by name (so editing the file and restarting changes them), secrets read from the
environment variable each one names. Webhooks added through the CLI or the API are left alone."""
from __future__ import annotations

import os

from sqlalchemy import select

from appliance.errors import UsageError
from appliance.store import queries
from appliance.store.errors import InvalidValue
from appliance.store.models import Webhook

CREATED_BY = "config"


def sync_notifiers(store, notifiers, environ=None, destinations=None) -> list[str]:
    """Returns one line per notifier saying what was done. A URL the destination policy refuses stops
    the start with the policy's message (what to allow-list)."""
    environ = os.environ if environ is None else environ
    done = []
    with store.session() as session:
        for entry in notifiers:
            secret = _secret(entry, environ)
            if destinations is not None:
                try:
                    destinations.check_url(entry["url"])
                except InvalidValue as exc:
                    raise UsageError(f"notifier {entry['name']}: {exc}") from None
            row = session.scalar(select(Webhook).where(Webhook.name == entry["name"], Webhook.created_by == CREATED_BY))
            fields = dict(url=entry["url"], format=entry.get("format", "generic"), enabled=entry.get("enabled", True))
            box = store.secrets if secret else None
            if row is None:
                queries.create_webhook(session, box, secret=secret, name=entry["name"], created_by=CREATED_BY, **fields)
                done.append(f"notifier {entry['name']}: added ({fields['format']})")
            else:
                queries.update_webhook(session, box, row.id, secret=secret, **fields)
                done.append(f"notifier {entry['name']}: updated ({fields['format']})")
    return done


def _secret(entry: dict, environ) -> str | None:
    variable = entry.get("secret_env")
    if not variable:
        return None
    value = environ.get(variable)
    if not value:
        raise UsageError(f"notifier {entry['name']}: its secret is to come from environment variable {variable}, "
                         f"which is not set")
    return value
