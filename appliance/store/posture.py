"""An endpoint's security posture from what was seen of it: does its SIP use TLS, is its media SRTP
and keyed how, what state is its certificate in, when did it last send cleartext media. Pure
functions over the report (contract voip-report/1) and the collector's events."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone

from appliance.alerts import CLEARTEXT_MEDIA

SECURE_SIGNALING = ("tls", "wss")
ISO = "%Y-%m-%dT%H:%M:%SZ"


def from_report(report: dict, now: datetime | None = None) -> dict[str, dict]:
    """ip -> posture fields, for every endpoint the report says something about (None: not seen)."""
    out: dict[str, dict] = {}

    def entry(ip: str) -> dict:
        return out.setdefault(ip, {"signaling_tls": None, "media_srtp": None, "keying": None,
                                   "certificate_state": None, "last_cleartext_media": None})

    for session in report.get("signaling", []):
        secure = session["transport"] in SECURE_SIGNALING
        for ip in (session["client"], session["server"]):
            known = entry(ip)["signaling_tls"]
            entry(ip)["signaling_tls"] = secure if known is None else known and secure
        certificate = (session.get("tls") or {}).get("certificate")
        if certificate:
            entry(session["server"])["certificate_state"] = certificate_state(certificate, now)
    keyings: dict[str, Counter] = {}
    for stream in report.get("streams", []):
        if stream["kind"] != "rtp":
            continue
        known = entry(stream["src"])["media_srtp"]
        entry(stream["src"])["media_srtp"] = stream["encrypted"] if known is None else known and stream["encrypted"]
        if stream["encrypted"] and stream.get("keying"):
            keyings.setdefault(stream["src"], Counter())[stream["keying"]] += 1
    for ip, counts in keyings.items():
        entry(ip)["keying"] = counts.most_common(1)[0][0]
    last_seen = {s["id"]: s["last_seen"] for s in report.get("streams", [])}
    for alert in report.get("alerts", []):
        if alert["type"] == CLEARTEXT_MEDIA:
            when = last_seen.get(alert["stream"], alert["first_seen"])
            known = entry(alert["endpoint"])["last_cleartext_media"]
            entry(alert["endpoint"])["last_cleartext_media"] = max(when, known or when)
    return out


def certificate_state(certificate: dict, now: datetime | None = None) -> str:
    """"ok", or the problems of a certificate (contract fields) joined by "; "."""
    now = now or datetime.now(timezone.utc)
    problems = []
    try:
        if datetime.strptime(certificate["not_after"], ISO).replace(tzinfo=timezone.utc) < now:
            problems.append("expired")
    except (KeyError, TypeError, ValueError):
        pass
    if certificate.get("self_signed"):
        problems.append("self-signed")
    if certificate.get("wildcard"):
        problems.append("wildcard")
    return "; ".join(problems) or "ok"


def from_problems(problems: tuple[str, ...]) -> str:
    """The collector's certificate findings ("expired: not valid after ...") as a short state."""
    return "; ".join(dict.fromkeys(p.split(":")[0] for p in problems)) or "ok"
