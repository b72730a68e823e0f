"""Upserting what a sensor saw (endpoints, calls, streams, signaling sessions) from a report dict
(contract voip-report/1) at the end of an import or a live run, and the row look-ups the recorder
shares. Existing rows are fetched in chunks, so a large report costs few round trips."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from appliance.store import counters, posture
from appliance.store.columns import from_epoch
from appliance.store.models import Alert, Call, Endpoint, SignalingSession, Stream

CHUNK = 500
MAX_LIST = 100          # call_ids / user_agents kept per signaling session


def get_or_new(session: Session, model, **key):
    """The row with these key columns, or a new one added to the session with them."""
    row = session.scalars(select(model).filter_by(**key)).one_or_none()
    if row is None:
        row = model(**key)
        session.add(row)
    return row


def touch(row, first: datetime | None, last: datetime | None) -> None:
    """Widen a row's first_seen/last_seen to include [first, last]."""
    first, last = first or last, last or first
    if first is not None and (row.first_seen is None or first < row.first_seen):
        row.first_seen = first
    if last is not None and (row.last_seen is None or last > row.last_seen):
        row.last_seen = last


def merged(values: list, more, limit: int = MAX_LIST) -> list:
    return list(dict.fromkeys([*(values or []), *(more or [])]))[-limit:]


def record_report(session: Session, sensor: str, report: dict, now: datetime) -> None:
    streams = report.get("streams", [])
    _streams(session, sensor, streams, now)
    _signaling(session, sensor, report.get("signaling", []), now)
    _calls(session, sensor, report.get("calls", []), {s["id"]: s for s in streams}, now)
    _endpoints(session, sensor, report.get("endpoints", []), posture.from_report(report, now), now)


def _existing(session: Session, model, sensor: str, column, keys: list, many: bool = False):
    """A sensor's rows whose `column` is one of `keys`, by that column (`many`: a list of all of them)."""
    rows, found = {}, []
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start:start + CHUNK]
        for row in session.scalars(select(model).where(model.sensor_id == sensor, column.in_(chunk))):
            rows[getattr(row, column.key)] = row
            found.append(row)
    return found if many else rows


def _session_key(entry) -> tuple:
    """A signaling session's identity, from its row or its report entry."""
    get = entry.get if isinstance(entry, dict) else lambda name: getattr(entry, name)
    return get("transport"), get("client"), get("client_port"), get("server"), get("server_port")


def _streams(session: Session, sensor: str, streams: list[dict], now: datetime) -> None:
    known = _existing(session, Stream, sensor, Stream.stream_id, [s["id"] for s in streams])
    decided = []                                # streams whose verdict is stored for the first time
    for entry in streams:
        row = known.get(entry["id"])
        if row is None:
            row = known[entry["id"]] = Stream(sensor_id=sensor, stream_id=entry["id"])
            session.add(row)
        if update_stream(row, entry):
            decided.append((entry["kind"], entry["encrypted"]))
    counters.add_all(session, counters.stream_verdicts(sensor, decided))


def update_stream(row: Stream, entry: dict) -> bool:
    """A stream row from its report entry (or its StreamEnded event's fields, the same); True when
    this stores its first verdict."""
    decided = row.encrypted is None and entry["encrypted"] is not None
    for name in ("src", "src_port", "dst", "dst_port", "transport", "kind", "encrypted", "keying", "codec",
                 "packets", "bytes", "confidence"):
        setattr(row, name, entry[name])
    row.ssrcs, row.payload_types = list(entry["ssrcs"]), list(entry.get("payload_types", []))
    row.evidence = list(entry["evidence"])
    row.call_id = entry["call_id"] or row.call_id
    row.verdict_source = entry.get("verdict_source") or row.verdict_source
    row.packets_to_verdict = entry.get("verdict_after_packets") or row.packets_to_verdict
    touch(row, from_epoch(entry["first_seen"]), from_epoch(entry["last_seen"]))
    return decided


def _signaling(session: Session, sensor: str, sessions: list[dict], now: datetime) -> None:
    known = {_session_key(row): row
             for row in _existing(session, SignalingSession, sensor, SignalingSession.client,
                                  sorted({e["client"] for e in sessions}), many=True)}
    for entry in sessions:
        key = _session_key(entry)
        row = known.get(key)
        if row is None:
            row = known[key] = SignalingSession(sensor_id=sensor, transport=key[0], client=key[1],
                                                client_port=key[2], server=key[3], server_port=key[4])
            session.add(row)
        row.tls = entry.get("tls") or row.tls
        row.user_agents = merged(row.user_agents, entry.get("user_agents"))
        row.call_ids = merged(row.call_ids, entry.get("call_ids"))
        seen = from_epoch(entry.get("first_seen"))
        touch(row, seen or _unless_known(row.first_seen, now), seen or _unless_known(row.last_seen, now))


def _calls(session: Session, sensor: str, calls: list[dict], streams: dict, now: datetime) -> None:
    known = _existing(session, Call, sensor, Call.call_id, [c["call_id"] for c in calls])
    for entry in calls:
        row = known.get(entry["call_id"])
        if row is None:
            row = known[entry["call_id"]] = Call(sensor_id=sensor, call_id=entry["call_id"])
            session.add(row)
        update_call(row, entry)
        row.media_encrypted = entry.get("media_encrypted")
        members = [streams[i] for i in entry.get("streams", []) if i in streams]
        first = from_epoch(min((s["first_seen"] for s in members), default=entry.get("first_seen")))
        last = from_epoch(max((s["last_seen"] for s in members), default=None))
        touch(row, first or now, last or first or now)


def update_call(row: Call, entry: dict) -> None:
    """A call row's parties, transport and media profiles from its report entry (what it says wins)."""
    row.from_uri, row.to_uri = entry.get("from") or row.from_uri, entry.get("to") or row.to_uri
    row.signaling_transport = entry.get("signaling_transport") or row.signaling_transport
    row.offer, row.answer = entry.get("offer") or row.offer, entry.get("answer") or row.answer


def _endpoints(session: Session, sensor: str, endpoints: list[dict], postures: dict, now: datetime) -> None:
    entries = {e["ip"]: e for e in endpoints}
    ips = list(dict.fromkeys([*entries, *postures]))
    known = _existing(session, Endpoint, sensor, Endpoint.ip, ips)
    classified: dict[str, list[str]] = {}      # device class -> the endpoints the report classifies so
    for ip in ips:
        row = known.get(ip)
        if row is None:
            row = known[ip] = Endpoint(sensor_id=sensor, ip=ip, device_class="unknown", evidence=[])
            session.add(row)
        entry = entries.get(ip, {})
        for name in ("mac", "vendor", "model", "firmware", "user_agent"):
            setattr(row, name, entry.get(name) or getattr(row, name))
        if entry.get("device_class", "unknown") != "unknown":
            row.device_class = entry["device_class"]
            classified.setdefault(entry["device_class"], []).append(ip)
        row.evidence = entry.get("evidence") or row.evidence or []
        row.vlan = entry.get("vlan") or row.vlan
        seen = postures.get(ip, {})
        for name in ("signaling_tls", "media_srtp", "keying", "certificate_state"):
            if seen.get(name) is not None:
                setattr(row, name, seen[name])
        cleartext = from_epoch(seen.get("last_cleartext_media"))
        if cleartext and (row.last_cleartext_media is None or cleartext > row.last_cleartext_media):
            row.last_cleartext_media = cleartext
        touch(row, _unless_known(row.first_seen, now), _unless_known(row.last_seen, now))
    for device_class, classified_ips in classified.items():     # their incidents still unclassified too:
        for start in range(0, len(classified_ips), CHUNK):       # a statement per class, not per endpoint
            session.execute(update(Alert).where(Alert.sensor_id == sensor,
                                                Alert.endpoint.in_(classified_ips[start:start + CHUNK]),
                                                Alert.device_class == "unknown")
                            .values(device_class=device_class))


def _unless_known(moment: datetime | None, now: datetime) -> datetime | None:
    """Seen-times are packet times (the collector's events set them); the time of a report's upsert
    (an import's) stands in only for a row no event has dated."""
    return now if moment is None else None
