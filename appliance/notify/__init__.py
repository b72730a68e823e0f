"""Alert delivery (issue 5): the store's outbox rows sent to webhooks and SIEMs.

    with Dispatcher(store, external_url="https://appliance.example") as dispatcher:
        dispatcher.run(stop_event)              # or dispatcher.run_once() from a scheduler

Modules: dispatcher (claim, send, mark; order per receiver; retries), delivery (`Outgoing`, the
`Notifier.send(item)` seam), formats (generic signed JSON, Slack, Teams, Alertmanager v4), webhook
(HTTP with httpx), syslog (RFC 5424 and CEF over UDP or TCP), hep (HEP v3 to Homer over UDP or TCP),
destinations (where notifications may go: the policy every notifier checks after DNS), errors."""
from appliance.notify.delivery import Notifier, Outgoing
from appliance.notify.dispatcher import Dispatcher
from appliance.notify.errors import DeliveryError

__all__ = ["Dispatcher", "DeliveryError", "Notifier", "Outgoing"]
