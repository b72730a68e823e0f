"""What one delivery sends (`Outgoing`, detached from the database session) and the one-method seam
every transport implements (`Notifier.send`). URLs are redacted before they reach a log line: a
Slack or Teams webhook URL is itself a credential."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

from appliance.store.models import Alert, Delivery, Webhook
from appliance.store.outbox import alert_payload


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One alert on its way to one webhook. `alert` is the outbox payload (the contract's alert fields
    plus id, sensor, site, state, count, last_seen, resolved_reason and event
    new|reopened|escalated|reminder|withdrawn (the sensor took the finding back), or
    resolved|refresh for the receivers that track state: Alertmanager)."""
    delivery_id: int
    webhook_id: int
    url: str = field(repr=False)
    format: str
    receiver: str                               # the webhook's name, or "webhook-<id>"
    alert: dict = field(repr=False)
    secret: str | None = field(default=None, repr=False)
    attempts: int = 0                           # attempts made before this one
    external_url: str = ""                      # where the appliance's UI is reachable, for links

    @classmethod
    def of(cls, delivery: Delivery, secret: str | None, external_url: str = "") -> Outgoing:
        hook = delivery.webhook
        return cls(delivery.id, hook.id, hook.url, hook.format, receiver_name(hook), dict(delivery.payload),
                   secret, delivery.attempts, external_url)

    @classmethod
    def for_alert(cls, alert: Alert, webhook: Webhook, secret: str | None = None, event: str = "new",
                  delivery_id: int = 0, external_url: str = "") -> Outgoing:
        """A message for a stored alert outside the outbox (a preview, a "send test" button)."""
        return cls(delivery_id, webhook.id, webhook.url, webhook.format, receiver_name(webhook),
                   alert_payload(alert, event), secret, 0, external_url)

    @property
    def alert_link(self) -> str:
        """The alert in the appliance's UI, or "" when no external URL is configured."""
        base = self.external_url.rstrip("/")
        return f"{base}/alerts/{self.alert.get('id')}" if base else ""


class Notifier(Protocol):
    def send(self, item: Outgoing) -> None:
        """Deliver one message; return when the receiver accepted it, raise DeliveryError otherwise."""


def receiver_name(webhook: Webhook) -> str:
    return webhook.name or f"webhook-{webhook.id}"


def redact(url: str) -> str:
    """scheme://host[:port] only: paths and queries of webhook URLs often carry tokens."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<unparsable url>"
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}{port}" + ("/…" if parts.path not in ("", "/") or parts.query else "")
