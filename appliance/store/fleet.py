"""The fleet's compliance: every endpoint's posture in one word, counted overall and per group (vendor
and model, subnet, VLAN, sensor, device class), a daily trend of non-compliant phones from the stored occurrences, and
the rows behind both for paging and CSV export.

Posture, worst first: `keys_exposed` (an active sdes_keys_exposed incident), `downgraded` (an active
srtp_downgrade), `cleartext_media` (an active cleartext_media incident, or last seen sending RTP),
`cleartext_signaling` (an active cleartext_signaling incident, or SIP seen without TLS), `compliant`
(seen sending SRTP, nothing of the above), `unknown` (not yet seen making a call)."""
from __future__ import annotations

import ipaddress
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from appliance.alerts import CLEARTEXT_MEDIA, CLEARTEXT_SIGNALING, SDES_KEYS_EXPOSED, SRTP_DOWNGRADE
from appliance.store.columns import utcnow
from appliance.store.incidents import ACTIVE
from appliance.store.models import Alert, Endpoint, Occurrence

POSTURES = ("compliant", "cleartext_media", "keys_exposed", "cleartext_signaling", "downgraded", "unknown")
NON_COMPLIANT_TYPES = (CLEARTEXT_MEDIA, SDES_KEYS_EXPOSED, SRTP_DOWNGRADE, CLEARTEXT_SIGNALING)
GROUPS = ("vendor_model", "subnet", "vlan", "sensor", "device_class")
UNTAGGED = "untagged"        # the VLAN group of endpoints whose frames carried no 802.1Q tag
MAX_TREND_DAYS = 366


@dataclass(frozen=True)
class FleetEndpoint:
    row: Endpoint
    posture: str
    incidents: tuple[str, ...]          # types of its active incidents


def posture(endpoint: Endpoint, active: set[str]) -> str:
    if SDES_KEYS_EXPOSED in active:
        return "keys_exposed"
    if SRTP_DOWNGRADE in active:
        return "downgraded"
    if CLEARTEXT_MEDIA in active or endpoint.media_srtp is False:
        return "cleartext_media"
    if CLEARTEXT_SIGNALING in active or endpoint.signaling_tls is False:
        return "cleartext_signaling"
    return "compliant" if endpoint.media_srtp else "unknown"


def endpoints(session: Session, *, sensor: str | None = None, device_class: str | None = None,
              since: datetime | None = None, until: datetime | None = None) -> list[FleetEndpoint]:
    """Endpoints (seen in [since, until] when given) with their posture, by id."""
    query = select(Endpoint).order_by(Endpoint.id)
    if sensor is not None:
        query = query.where(Endpoint.sensor_id == sensor)
    if device_class is not None:
        query = query.where(Endpoint.device_class == device_class)
    if since is not None:
        query = query.where(Endpoint.last_seen >= since)
    if until is not None:
        query = query.where(Endpoint.first_seen <= until)
    active = _active_incidents(session, sensor)
    return [FleetEndpoint(row, posture(row, active.get((row.sensor_id, row.ip), set())),
                          tuple(sorted(active.get((row.sensor_id, row.ip), set())))) for row in session.scalars(query)]


def summary(rows: list[FleetEndpoint], group_by: str | None = None, prefix: int = 24) -> dict:
    """{"total", "postures": {posture: n}, "groups": [{"group", "total", "postures"}]} (groups by size)."""
    out = {"total": len(rows), "postures": _counts(rows), "groups": []}
    if group_by:
        grouped: dict[str, list] = defaultdict(list)
        for item in rows:
            grouped[group_key(item.row, group_by, prefix)].append(item)
        out["groups"] = [{"group": key, "total": len(members), "postures": _counts(members)}
                         for key, members in sorted(grouped.items(), key=lambda kv: (-len(kv[1]), kv[0]))]
    return out


def group_key(row: Endpoint, group_by: str, prefix: int = 24) -> str:
    if group_by == "vendor_model":
        return " ".join(part for part in (row.vendor, row.model) if part) or "unknown"
    if group_by == "subnet":
        try:
            address = ipaddress.ip_address(row.ip)
        except ValueError:
            return "unknown"
        bits = prefix if address.version == 4 else max(prefix, 64)
        return str(ipaddress.ip_network(f"{row.ip}/{min(bits, address.max_prefixlen)}", strict=False))
    if group_by == "vlan":
        return UNTAGGED if row.vlan is None else str(row.vlan)
    if group_by == "sensor":
        return row.sensor_id
    return row.device_class or "unknown"


def trend(session: Session, *, since: datetime | None = None, until: datetime | None = None,
          sensor: str | None = None) -> list[dict]:
    """Per UTC day in [since, until] (default: the last 30 days): how many distinct phones had an
    occurrence of a non-compliant type, in total and per type, from the stored occurrences."""
    until = until or utcnow()
    since = max(since or until - timedelta(days=30), until - timedelta(days=MAX_TREND_DAYS))
    query = (select(Occurrence.first_seen, Alert.sensor_id, Alert.endpoint, Alert.type)
             .join(Alert, Alert.id == Occurrence.alert_id)
             .where(Occurrence.first_seen >= since, Occurrence.first_seen <= until,
                    Alert.type.in_(NON_COMPLIANT_TYPES)))
    if sensor is not None:
        query = query.where(Alert.sensor_id == sensor)
    days: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    for seen, sensor_id, endpoint, alert_type in session.execute(query):
        phone = (sensor_id, endpoint)
        day = days[seen.date().isoformat()]
        day["all"].add(phone)
        day[alert_type].add(phone)
    out, day = [], since.date()
    while day <= until.date():
        found = days.get(day.isoformat(), {})
        out.append({"day": day.isoformat(), "non_compliant": len(found.get("all", ())),
                    "by_type": {t: len(found.get(t, ())) for t in NON_COMPLIANT_TYPES}})
        day += timedelta(days=1)
    return out


def _active_incidents(session: Session, sensor: str | None) -> dict[tuple[str, str], set[str]]:
    query = select(Alert.sensor_id, Alert.endpoint, Alert.type).where(Alert.state.in_(ACTIVE))
    if sensor is not None:
        query = query.where(Alert.sensor_id == sensor)
    active: dict[tuple[str, str], set[str]] = defaultdict(set)
    for sensor_id, endpoint, alert_type in session.execute(query):
        active[(sensor_id, endpoint)].add(alert_type)
    return active


def _counts(rows: list[FleetEndpoint]) -> dict[str, int]:
    counted = Counter(item.posture for item in rows)
    return {name: counted.get(name, 0) for name in POSTURES}
