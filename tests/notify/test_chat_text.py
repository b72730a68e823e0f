"""Wire-controlled text (SIP Call-ID, User-Agent, display names, codec names from SDP) in every message
format: shown as typed where the format has a text-only element, never as a link, mention or markup.
The CEF and syslog escaping holds the same strings in their fields."""
from __future__ import annotations

import json

import pytest
from markdown_it import MarkdownIt

from appliance.notify.delivery import Outgoing
from appliance.notify.formats import BUILDERS, inert
from appliance.notify.syslog import cef, rfc5424
from tests.notify.parse import parse_cef, parse_rfc5424

HOSTILE = {
    "call_id": "[Open-SSO-login](https://evil.example/sso)@x",
    "user_agent": "<mailto:helpdesk@evil.example|Re-login> <!here> *bold* `code`",
    "display_name": '"Admin <script>alert(1)</script> [click](javascript:alert(1))" <sip:1@x>',
    "codec": "opus](https://evil.example/c)\n[ref]: https://evil.example/r",
}
LINK_BAIT = ("https://evil.example", "javascript:", "mailto:", "<!here>", "<script>")


def hostile_alert(field: str, event: str = "new") -> dict:
    """`event` withdrawn: the sensor took the finding back; the reason, which chat messages show in the
    summary's place, names the same wire-controlled text."""
    value = HOSTILE[field]
    withdrawn = event == "withdrawn"
    return {"id": 3, "sensor": "sensor-1", "state": "resolved" if withdrawn else "open", "count": 1, "event": event,
            "resolved_reason": f"withdrawn by the sensor: {value} proved encrypted" if withdrawn else None,
            "type": "cleartext_media",
            "severity": "high", "endpoint": "10.0.0.1", "peer": "10.0.0.2",
            "stream": "udp:10.0.0.1:4000-10.0.0.2:5000/rtp",
            "call_id": value if field == "call_id" else "ok@pbx", "device_class": "unknown",
            "summary": f"cleartext RTP from {value}", "evidence": [f"{field}: {value}", "payload: PCMU"],
            "first_seen": 1.7e9, "last_seen": 1.7e9}


def build(format: str, field: str, event: str = "new") -> dict:
    return BUILDERS[format](Outgoing(1, 1, "https://x.example/", format, "noc", hostile_alert(field, event)))


def strings(node, parent=None):
    if isinstance(node, dict):
        for value in node.values():
            yield from strings(value, node)
    elif isinstance(node, list):
        for value in node:
            yield from strings(value, parent)
    elif isinstance(node, str):
        yield parent, node


@pytest.mark.parametrize("event", ["new", "withdrawn"])
@pytest.mark.parametrize("field", sorted(HOSTILE))
def test_slack(field, event):
    message = build("slack", field, event)
    for holder, text in strings(message["blocks"]):
        if any(bait in text for bait in LINK_BAIT):
            assert holder["type"] == "plain_text" and holder.get("emoji") is False, holder
    fallback = message["text"]
    assert "<" not in fallback and ">" not in fallback and "](" not in fallback and "\n" not in fallback
    assert message["mrkdwn"] is False and message["unfurl_links"] is False


@pytest.mark.parametrize("event", ["new", "withdrawn"])
@pytest.mark.parametrize("field", sorted(HOSTILE))
def test_teams(field, event):
    card = build("teams", field, event)
    content = card["attachments"][0]["content"]
    carriers = [holder for holder, text in strings(content["body"]) if any(b in text for b in LINK_BAIT)]
    assert carriers and all(holder["type"] == "TextRun" for holder in carriers)
    assert {block["type"] for block in content["body"]} == {"RichTextBlock"}
    assert "<" not in card["summary"] and "](" not in card["summary"]


@pytest.mark.parametrize("field", sorted(HOSTILE))
def test_alertmanager(field):
    [entry] = build("alertmanager", field)                  # postable alerts for <base>/api/v2/alerts
    markdown = MarkdownIt("commonmark")
    for part in (entry["annotations"], entry["labels"]):
        for name, value in part.items():
            html = markdown.render(value)
            assert "<a " not in html and "<script" not in html and "<mailto" not in value, (name, html)
            assert "\n" not in value or name == "description"


def test_inert_keeps_the_text_readable():
    assert inert(HOSTILE["call_id"]) == "[Open-SSO-login] (https://evil.example/sso)@x"
    assert inert("<mailto:a@b|Re-login>") == "\u2039mailto:a@b|Re-login\u203a"
    assert inert("a\r\nb\nc") == "a  b c"
    assert inert("sip:alice@10.0.0.1;transport=udp") == "sip:alice@10.0.0.1;transport=udp"


@pytest.mark.parametrize("field", sorted(HOSTILE))
def test_cef_and_syslog_keep_each_value_in_its_field(field):
    alert = hostile_alert(field)
    header, ext = parse_cef(cef(alert, "appliance-1"))
    assert len(header) == 7 and header[5] == alert["summary"].replace("\n", " ")
    assert ext["cs2"] == alert["call_id"] and ext["dvchost"] == "appliance-1"
    message = parse_rfc5424(rfc5424(alert, "appliance-1"))
    assert dict(message["sd"]["alert@32473"])["callId"] == alert["call_id"].replace("\n", " ")
    assert json.dumps(alert)                                                    # the generic JSON carries it as is
