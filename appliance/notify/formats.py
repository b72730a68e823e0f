"""HTTP payloads for an alert, one builder per webhook format (a dict keyed by format, like Netmiko's
drivers): `generic` (our own JSON, signed), `slack` (incoming webhook: text + Block Kit blocks),
`teams` (an Adaptive Card message, what Teams "Workflows" webhooks accept; the legacy Office 365
connector MessageCard is retired) and `alertmanager` (postable alerts for Alertmanager's own API,
`<base>/api/v2/alerts`, as Prometheus sends them: Alertmanager then groups, silences, inhibits and
routes them to whatever the NOC uses).

Every body is serialised once (`HttpMessage.body`) and, when the webhook has a secret, signed per the
Standard Webhooks scheme (https://www.standardwebhooks.com/): `webhook-id` (the delivery's id, the same
on every retry, so a receiver can drop duplicates: delivery is at least once), `webhook-timestamp`
(seconds since the epoch, when this attempt was sent) and `webhook-signature: v1,<base64 HMAC-SHA256
(key, "<id>.<timestamp>.<body>")>`. The key is the secret's bytes after `whsec_` base64-decoded when the
secret is written that way (as the scheme's secrets are), else the secret's UTF-8 bytes. A receiver
rejects a timestamp more than 5 minutes off (a replay) and any body or header changed in transit;
`verify()` does what the `standardwebhooks` package does. `X-Appliance-Delivery` carries the delivery id
too. Wire-controlled text (Call-ID, User-Agent, display names, codec names, ...) is carried where the
chat client shows it as typed (Slack plain_text, Teams TextRun) or with its link syntax broken
(`inert`: Slack fallback text, Alertmanager annotations and labels).

Built by hand: Slack, Teams and Alertmanager publish JSON shapes, not Python clients worth a dependency."""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from appliance import __version__
from appliance.notify.delivery import Outgoing
from appliance.notify.errors import DeliveryError

SECRET_PREFIX = "whsec_"
ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER = "webhook-id", "webhook-timestamp", "webhook-signature"
TOLERANCE = 300                   # seconds a receiver accepts between our timestamp and its clock
DELIVERY_HEADER = "X-Appliance-Delivery"
EVENT_HEADER = "X-Appliance-Event"
USER_AGENT = f"voip-appliance/{__version__}"
CONTRACT_FIELDS = ("type", "severity", "endpoint", "peer", "stream", "call_id", "summary", "evidence",
                   "first_seen", "device_class")
STORE_FIELDS = ("id", "sensor", "state", "count", "last_seen", "event", "resolved_reason")
WITHDRAWN = "withdrawn"            # the event of an incident whose finding the sensor took back
MAX_EVIDENCE = 10                  # lines of evidence shown in chat messages (generic carries all)
SEVERITY_EMOJI = {"critical": ":red_circle:", "high": ":large_orange_circle:", "medium": ":large_yellow_circle:",
                  "low": ":large_blue_circle:", "info": ":white_circle:"}
TEAMS_COLOR = {"critical": "attention", "high": "attention", "medium": "warning", "low": "accent", "info": "default"}
ZERO_TIME = "0001-01-01T00:00:00Z"  # the zero time, for an unknown moment


@dataclass(frozen=True, slots=True)
class HttpMessage:
    body: bytes = field(repr=False)
    headers: dict[str, str]


def http_message(item: Outgoing, now: float | None = None) -> HttpMessage:
    """The exact request body and headers for one delivery (signed at `now` when the webhook has a secret)."""
    builder = BUILDERS.get(item.format)
    if builder is None:
        raise DeliveryError(f"format {item.format!r} is not sent over HTTP", permanent=True)
    body = json.dumps(builder(item), separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
               DELIVERY_HEADER: str(item.delivery_id), EVENT_HEADER: str(item.alert.get("event", "new"))}
    if item.secret:
        message_id, stamp = message_id_of(item), str(int(time.time() if now is None else now))
        headers |= {ID_HEADER: message_id, TIMESTAMP_HEADER: stamp,
                    SIGNATURE_HEADER: sign(body, item.secret, message_id, stamp)}
    return HttpMessage(body, headers)


def message_id_of(item: Outgoing) -> str:
    return f"msg_{item.delivery_id}"


def signing_key(secret: str) -> bytes:
    """`whsec_<base64>` -> the decoded bytes (the Standard Webhooks form); any other secret -> its UTF-8."""
    if secret.startswith(SECRET_PREFIX):
        try:
            return base64.b64decode(secret[len(SECRET_PREFIX):] + "==", validate=False)
        except (binascii.Error, ValueError):
            raise DeliveryError("the webhook's whsec_ secret is not base64: set a new one", permanent=True) from None
    return secret.encode("utf-8")


def check_secret(secret: str) -> str:
    """Refuse a `whsec_` secret that is not base64 (it could not be used the way receivers expect)."""
    if secret.startswith(SECRET_PREFIX) and not _is_base64(secret[len(SECRET_PREFIX):]):
        raise ValueError("a secret starting with whsec_ must continue in base64 (e.g. from "
                         "`appliance webhook new-secret`)")
    return secret


def _is_base64(text: str) -> bool:
    try:
        return bool(text) and bool(base64.b64decode(text + "=" * (-len(text) % 4), validate=True))
    except (binascii.Error, ValueError):
        return False


def sign(body: bytes, secret: str, message_id: str, timestamp: str) -> str:
    digest = hmac.new(signing_key(secret), f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def verify(body: bytes, headers: dict[str, str], secret: str, now: float | None = None,
           tolerance: int = TOLERANCE) -> bool:
    """A receiver's check: headers present, timestamp within `tolerance` of `now`, a v1 signature that
    matches (constant time). A replayed delivery fails on its timestamp, an altered one on its signature."""
    headers = {k.lower(): v for k, v in headers.items()}
    message_id, stamp, given = (headers.get(h) for h in (ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER))
    if not (message_id and stamp and given and stamp.isdigit()):
        return False
    if abs((time.time() if now is None else now) - int(stamp)) > tolerance:
        return False
    expected = sign(body, secret, message_id, stamp)
    return any(hmac.compare_digest(expected, candidate) for candidate in given.split())


# -- generic ----------------------------------------------------------------------------------------
def generic(item: Outgoing) -> dict:
    """The alert as in the report contract, plus the store's identity and lifecycle fields."""
    alert = item.alert
    return {name: alert.get(name) for name in CONTRACT_FIELDS + STORE_FIELDS}


# -- Slack ------------------------------------------------------------------------------------------
def slack(item: Outgoing) -> dict:
    """Wire-controlled text only in plain_text objects (no links, mentions or formatting: shown as typed),
    the fallback `text` (notifications) inert and escaped, no link unfurling."""
    a = item.alert
    title, summary = _headline(a)
    fields = [("Type", a["type"]), ("Severity", a["severity"]), ("Endpoint", a["endpoint"]),
              ("Peer", a.get("peer")), ("Device class", a.get("device_class")), ("Sensor", a.get("sensor")),
              ("Call-ID", a.get("call_id")), ("Stream", a.get("stream")), ("Seen", _seen(a))]
    blocks = [
        {"type": "header", "text": _plain(_clip(title, 150))},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"{SEVERITY_EMOJI.get(a['severity'], '')} "
                                                                    f"*{_mrkdwn(a['severity'])}*"}]},
        {"type": "section", "text": _plain(_clip(summary, 3000))},
        {"type": "section", "fields": [_plain(f"{name}\n{_clip(str(value), 500)}")
                                       for name, value in fields if value not in (None, "")][:10]},
    ]
    evidence = _evidence(a)
    if evidence:
        blocks.append({"type": "context", "elements": [_plain(_clip("\n".join(f"• {line}" for line in evidence),
                                                                    3000))]})
    if item.alert_link:
        blocks.append({"type": "actions", "elements": [{"type": "button", "url": item.alert_link,
                                                        "text": {"type": "plain_text", "text": "Open alert"}}]})
    return {"text": _mrkdwn(inert(f"{title}: {summary}")), "blocks": blocks, "mrkdwn": False,
            "unfurl_links": False, "unfurl_media": False}


def _headline(a: dict) -> tuple[str, str]:
    """A chat message's title and first line: the incident's severity and summary, or, once the sensor
    took its finding back, that it was withdrawn and why (people were told of it: they hear it ended)."""
    if a.get("event") == WITHDRAWN:
        return (f"WITHDRAWN: {a['type']} on {a['endpoint']}",
                str(a.get("resolved_reason") or "withdrawn by the sensor"))
    return f"{a['severity'].upper()}: {a['type']} on {a['endpoint']}", str(a["summary"])


def _plain(text: str) -> dict:
    return {"type": "plain_text", "text": text, "emoji": False}


def _mrkdwn(text: str) -> str:
    """Slack's three control characters; everything else is shown as typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def inert(text: str) -> str:
    """Text a chat client or template renders without a link or tag in it: `<` `>` (Slack's <url|label>,
    HTML) become ‹ ›, a markdown link's `](` loses its meaning as `] (`, line breaks become spaces (no
    reference-link definitions, no forged lines). Readable, and nothing in it can be clicked but a bare URL."""
    text = " ".join(str(text).replace("\r", "\n").split("\n"))
    return text.replace("<", "\u2039").replace(">", "\u203a").replace("](", "] (")


# -- Microsoft Teams --------------------------------------------------------------------------------
def teams(item: Outgoing) -> dict:
    """Wire-controlled text only in TextRuns of RichTextBlocks, which Adaptive Cards never read as markdown
    (TextBlock and FactSet values would: `[label](url)` would become a link)."""
    a = item.alert
    facts = [("Type", a["type"]), ("Severity", a["severity"]), ("Endpoint", a["endpoint"]),
             ("Peer", a.get("peer")), ("Device class", a.get("device_class")), ("Sensor", a.get("sensor")),
             ("Call-ID", a.get("call_id")), ("Stream", a.get("stream")), ("Seen", _seen(a))]
    title, summary = _headline(a)
    body = [
        _rich([_run(title, size="Large", weight="Bolder", color=TEAMS_COLOR.get(a["severity"], "default"))]),
        _rich([_run(summary)]),
        *[_rich([_run(f"{name}: ", weight="Bolder"), _run(str(value))]) for name, value in facts
          if value not in (None, "")],
    ]
    evidence = _evidence(a)
    if evidence:
        body.append(_rich([_run("\n".join(f"- {line}" for line in evidence), isSubtle=True)], spacing="Medium"))
    card = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
            "version": "1.4", "body": body, "msteams": {"width": "Full"}}
    if item.alert_link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open alert", "url": item.alert_link}]
    withdrawn = "withdrawn: " if a.get("event") == WITHDRAWN else ""
    return {"type": "message", "summary": inert(f"{withdrawn}{a['type']} on {a['endpoint']}"),
            "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None,
                             "content": card}]}


def _rich(inlines: list[dict], **extra) -> dict:
    return {"type": "RichTextBlock", "inlines": inlines, **extra}


def _run(text: str, **style) -> dict:
    return {"type": "TextRun", "text": str(text), **style}


# -- Alertmanager (its API: POST <base>/api/v2/alerts) ----------------------------------------------
ALERTMANAGER_PATH = "/api/v2/alerts"


def alertmanager(item: Outgoing) -> list[dict]:
    """One postable alert per incident, as Prometheus sends them: labels identify the incident (so
    Alertmanager groups and silences by endpoint, type, severity, sensor, site), `startsAt` is when
    the traffic first showed it; `endsAt` is set once it resolved (never before `startsAt`). An
    active incident is re-sent (event refresh) before Alertmanager's resolve_timeout forgets it."""
    a = item.alert
    labels = {"alertname": a["type"], "type": a["type"], "endpoint": inert(a["endpoint"]), "severity": a["severity"],
              "sensor": inert(str(a.get("sensor") or "")), "site": inert(str(a.get("site") or a.get("sensor") or "")),
              "device_class": inert(a.get("device_class") or "unknown")}
    evidence = [inert(line) for line in a.get("evidence") or []]
    annotations = {"summary": inert(a["summary"]), "description": "\n".join(evidence) or inert(a["summary"]),
                   "occurrences": str(a.get("count") or 1)}
    for key in ("stream", "call_id"):                    # the latest occurrence's, as context
        if a.get(key):
            annotations[key] = inert(a[key])
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
