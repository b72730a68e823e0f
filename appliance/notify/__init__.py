"""Alert delivery (issue 5): the store's outbox rows sent to webhooks and SIEMs.

    with Dispatcher(store, external_url="https://appliance.example") as dispatcher:
        dispatcher.run(stop_event)              # or dispatcher.run_once() from a scheduler

Modules: dispatcher (claim, send, mark; order per receiver; retries), delivery (`Outgoing`, the
`Notifier.send(item)` seam), formats (generic signed JSON, Slack, Teams, Alertmanager v4), webhook
(HTTP with httpx), syslog (RFC 5424 and CEF over UDP or TCP), hep (HEP v3 to Homer over UDP or TCP),
destinations (where notifications may go: the policy every notifier checks after DNS), process (the dispatcher
in a process of its own under `serve`), results (the delivery tally /metrics exports), errors.

Imported lazily: settings read `appliance.notify.destinations` at start-up, and a command that only
analyzes captures must not load httpx and SQLAlchemy with it."""
from __future__ import annotations

import importlib

__all__ = ["Dispatcher", "DeliveryError", "Notifier", "Outgoing"]
_HOMES = {"Dispatcher": "dispatcher", "DeliveryError": "errors", "Notifier": "delivery", "Outgoing": "delivery"}


def __getattr__(name: str):
    if name in _HOMES:
        return getattr(importlib.import_module(f"appliance.notify.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'appliance.notify' has no attribute {name!r}")
