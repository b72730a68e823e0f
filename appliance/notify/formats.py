"""HTTP payloads for an alert, one builder per webhook format (a dict keyed by format, like Netmiko's
drivers): `generic` (our own JSON, signed), `slack` (incoming webhook: text + Block Kit blocks),
`teams` (an Adaptive Card message, what Teams "Workflows" webhooks accept; the legacy Office 365
connector MessageCard is retired) and `alertmanager` (postable alerts for Alertmanager's own API,
`<base>/api/v2/alerts`, as Prometheus sends them: Alertmanager then groups, silences, inhibits and
routes them to whatever the NOC uses).

Every body is serialised once (`HttpMessage.body`) and the signature is computed over exactly those
bytes: `X-Appliance-Signature: sha256=<hex HMAC-SHA256(secret, body)>` when the webhook has a secret,
with `X-Appliance-Delivery: <delivery id>` (the same id on every retry, so a receiver can drop
duplicates: delivery is at least once). Receivers check it with `verify(body, secret, header)`.

Built by hand: Slack, Teams and Alertmanager publish JSON shapes, not Python clients worth a dependency."""
from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from appliance import __version__
from appliance.notify.delivery import Outgoing
from appliance.notify.errors import DeliveryError

SIGNATURE_HEADER = "X-Appliance-Signature"
DELIVERY_HEADER = "X-Appliance-Delivery"
EVENT_HEADER = "X-Appliance-Event"
USER_AGENT = f"voip-appliance/{__version__}"
CONTRACT_FIELDS = ("type", "severity", "endpoint", "peer", "stream", "call_id", "summary", "evidence",
                   "first_seen", "device_class")
STORE_FIELDS = ("id", "sensor", "state", "count", "last_seen", "event")
MAX_EVIDENCE = 10                  # lines of evidence shown in chat messages (generic carries all)
SEVERITY_EMOJI = {"critical": ":red_circle:", "high": ":large_orange_circle:", "medium": ":large_yellow_circle:",
                  "low": ":large_blue_circle:", "info": ":white_circle:"}
TEAMS_COLOR = {"critical": "attention", "high": "attention", "medium": "warning", "low": "accent", "info": "default"}
ZERO_TIME = "0001-01-01T00:00:00Z"  # the zero time, for an unknown moment


@dataclass(frozen=True, slots=True)
class HttpMessage:
    body: bytes = field(repr=False)
    headers: dict[str, str]


def http_message(item: Outgoing) -> HttpMessage:
    """The exact request body and headers for one delivery (signed when the webhook has a secret)."""
    builder = BUILDERS.get(item.format)
    if builder is None:
        raise DeliveryError(f"format {item.format!r} is not sent over HTTP", permanent=True)
    body = json.dumps(builder(item), separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
               DELIVERY_HEADER: str(item.delivery_id), EVENT_HEADER: str(item.alert.get("event", "new"))}
    if item.secret:
        headers[SIGNATURE_HEADER] = sign(body, item.secret)
    return HttpMessage(body, headers)


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(body: bytes, secret: str, header: str | None) -> bool:
    """Does `header` (the X-Appliance-Signature value) sign `body` with `secret`? Constant time."""
    return bool(header) and hmac.compare_digest(sign(body, secret), header.strip())


# -- generic ----------------------------------------------------------------------------------------
def generic(item: Outgoing) -> dict:
    """The alert as in the report contract, plus the store's identity and lifecycle fields."""
    alert = item.alert
    return {name: alert.get(name) for name in CONTRACT_FIELDS + STORE_FIELDS}


# -- Slack ------------------------------------------------------------------------------------------
def slack(item: Outgoing) -> dict:
    a = item.alert
    title = f"{a['severity'].upper()}: {a['type']} on {a['endpoint']}"
    fields = [("Type", a["type"]), ("Severity", a["severity"]), ("Endpoint", a["endpoint"]),
              ("Peer", a.get("peer")), ("Device class", a.get("device_class")), ("Sensor", a.get("sensor")),
              ("Call-ID", a.get("call_id")), ("Stream", a.get("stream")), ("Seen", _seen(a))]
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": _clip(title, 150), "emoji": True}},
        {"type": "section", "text": {"type": "mrkdwn",
                                     "text": f"{SEVERITY_EMOJI.get(a['severity'], '')} {_mrkdwn(a['summary'])}"}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{name}*\n{_mrkdwn(_clip(str(value), 500))}"}
                                       for name, value in fields if value not in (None, "")][:10]},
    ]
    evidence = _evidence(a)
    if evidence:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(
            "\n".join(f"• {_mrkdwn(line)}" for line in evidence), 3000)}]})
    if item.alert_link:
        blocks.append({"type": "actions", "elements": [{"type": "button", "url": item.alert_link,
                                                        "text": {"type": "plain_text", "text": "Open alert"}}]})
    return {"text": f"{title}: {a['summary']}", "blocks": blocks}


def _mrkdwn(text: str) -> str:
    """Slack's three control characters; everything else is shown as typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# -- Microsoft Teams --------------------------------------------------------------------------------
def teams(item: Outgoing) -> dict:
    a = item.alert
    facts = [("Type", a["type"]), ("Severity", a["severity"]), ("Endpoint", a["endpoint"]),
             ("Peer", a.get("peer")), ("Device class", a.get("device_class")), ("Sensor", a.get("sensor")),
             ("Call-ID", a.get("call_id")), ("Stream", a.get("stream")), ("Seen", _seen(a))]
    body = [
        {"type": "TextBlock", "size": "Large", "weight": "Bolder", "wrap": True,
         "color": TEAMS_COLOR.get(a["severity"], "default"),
         "text": f"{a['severity'].upper()}: {a['type']} on {a['endpoint']}"},
        {"type": "TextBlock", "text": a["summary"], "wrap": True},
        {"type": "FactSet", "facts": [{"title": name, "value": str(value)} for name, value in facts
                                      if value not in (None, "")]},
    ]
    evidence = _evidence(a)
    if evidence:
        body.append({"type": "TextBlock", "wrap": True, "isSubtle": True, "spacing": "Medium",
                     "text": "\n".join(f"- {line}" for line in evidence)})
    card = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
            "version": "1.4", "body": body, "msteams": {"width": "Full"}}
    if item.alert_link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open alert", "url": item.alert_link}]
    return {"type": "message", "summary": f"{a['type']} on {a['endpoint']}",
            "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None,
                             "content": card}]}


# -- Alertmanager (its API: POST <base>/api/v2/alerts) ----------------------------------------------
ALERTMANAGER_PATH = "/api/v2/alerts"


def alertmanager(item: Outgoing) -> list[dict]:
    """One postable alert per incident, as Prometheus sends them: labels identify the incident (so
    Alertmanager groups and silences by endpoint, type, severity, sensor, site), `startsAt` is when
    the traffic first showed it; `endsAt` is set once it resolved (never before `startsAt`). An
    active incident is re-sent (event refresh) before Alertmanager's resolve_timeout forgets it."""
    a = item.alert
    labels = {"alertname": a["type"], "type": a["type"], "endpoint": a["endpoint"], "severity": a["severity"],
              "sensor": str(a.get("sensor") or ""), "site": str(a.get("site") or a.get("sensor") or ""),
              "device_class": a.get("device_class") or "unknown"}
    annotations = {"summary": a["summary"], "description": "\n".join(a.get("evidence") or []) or a["summary"],
                   "occurrences": str(a.get("count") or 1)}
    if item.alert_link:
        annotations["dashboard"] = item.alert_link
    entry = {"labels": labels, "annotations": annotations, "startsAt": _rfc3339(a.get("first_seen"))}
    if item.alert_link:
        entry["generatorURL"] = item.alert_link
    if a.get("state") == "resolved":
        entry["endsAt"] = _rfc3339(max(a.get("resolved_at") or 0, a.get("last_seen") or 0, a.get("first_seen") or 0))
    return [entry]


def target_url(item: Outgoing) -> str:
    """Where the message goes: an Alertmanager webhook names the base URL (its API path is added)."""
    if item.format != "alertmanager":
        return item.url
    base = item.url.rstrip("/")
    return base if base.endswith(ALERTMANAGER_PATH) else base + ALERTMANAGER_PATH


# -- shared -----------------------------------------------------------------------------------------
def _rfc3339(epoch: float | None) -> str:
    if epoch is None:
        return ZERO_TIME
    moment = datetime.fromtimestamp(epoch, timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _seen(alert: dict) -> str:
    count = alert.get("count") or 1
    first = _rfc3339(alert.get("first_seen"))
    return first if count == 1 else f"{count}× since {first}"


def _evidence(alert: dict) -> list[str]:
    lines = [_clip(str(line), 300) for line in alert.get("evidence") or []]
    return lines[:MAX_EVIDENCE] + ([f"… {len(lines) - MAX_EVIDENCE} more"] if len(lines) > MAX_EVIDENCE else [])


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


BUILDERS: dict[str, Callable[[Outgoing], dict | list]] = {"generic": generic, "slack": slack, "teams": teams,
                                                   "alertmanager": alertmanager}
