"""The seam from collector and policy to the store. Feed it the collector's events (`observe`), the
policy's alerts (`alert`, from `Policy(on_alert=...)`) and, at the end of an import or a live run,
the report (`snapshot`). Each call is one transaction.

Alerts become occurrences of incidents (`incidents`): the first occurrence opens the incident (and
notifies), more occurrences count on it (no notification; a resolved incident re-opens and notifies;
a worse severity notifies). The policy also calls back when it adds to an alert it raised (the
decryption proof of exposed keys): that is the same occurrence (same per-stream key and first seen),
so it replaces summary and evidence without counting. Compliant observations (encrypted media, SIP
over TLS) resolve the phone's incidents once they have lasted `auto_resolve_after` of traffic time.
Times are traffic times; `recorded_at` keeps when the store wrote them.

The policy may withdraw an alert it raised (`withdraw`, from `Policy(on_withdraw=...)`: a later verdict
proved it wrong): its occurrence is taken back, and an incident with none left is resolved by the sensor
and every receiver told (event withdrawn: `incidents.withdraw`, `outbox.WITHDRAWN`)."""
from __future__ import annotations

import functools
import time
from dataclasses import asdict, dataclass

from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from appliance.alerts import CLEARTEXT_MEDIA, CLEARTEXT_SIGNALING
from appliance.alerts import Alert as PolicyAlert
from appliance.alerts import Withdrawal
from appliance.store import counters, incidents, lookahead, outbox, posture
from appliance.store.columns import from_epoch
from appliance.store.engine import Store
from appliance.store.inventory import merged, record_report, touch, update_call, update_stream
from appliance.store.incidents import IncidentSettings
from appliance.store.group import before_commit
from appliance.store.new_incidents import NewIncident, NewIncidents, Waiting, insert_rows
from appliance.store.rowcache import RowCache
from appliance.store.models import (Alert, Call, Endpoint, EvidencePacket, Occurrence, Sensor, SignalingSession,
                                    Stream)
from collectors.events import (CallEnded, SdpObserved, SignalingObserved, StreamEnded, StreamEvidence, StreamVerdict,
                               TlsObserved)

MAX_FRAMES_PER_STREAM = 16
SECURE_SIGNALING = ("tls", "wss")


@dataclass(frozen=True, slots=True)
class Recorded:
    alert_id: int
    outcome: str            # "new" | "updated" (same occurrence) | "repeated" | "reopened"
    deliveries: int         # outbox rows written
    occurrence_id: int = 0


def dedup_key(alert: PolicyAlert) -> str:
    """A stable string for one occurrence (the policy's per-stream key)."""
    return incidents.digest(alert.key or (alert.type, alert.endpoint, alert.peer, alert.stream, alert.call_id))


def incident_key(alert: PolicyAlert) -> str:
    return incidents.incident_key(alert.type, alert.endpoint, alert.peer, alert.summary)


class Recorder:
    def __init__(self, store: Store, sensor_id: str, sensor_name: str | None = None, clock=time.time,
                 incident_settings: IncidentSettings | None = None):
        self.store = store
        self.sensor_id = sensor_id
        self.sensor_name = sensor_name
        self.clock = clock
        self.incident_settings = incident_settings or IncidentSettings()
        self._sensor_known = False
        self._rows = RowCache()          # rows already looked up in the transaction being written
        self._new = NewIncidents()       # new incidents of the open group, inserted as it ends
        self._new_streams = Waiting()    # new streams of the open group, inserted as it ends

    # -- entry points ---------------------------------------------------------------------------
    def observe(self, event) -> None:
        handler = self._handlers.get(type(event))
        if handler is not None:
            self._write(lambda session: handler(self, session, event), isolated=False)

    def alert(self, alert: PolicyAlert, device_class: str = "unknown") -> Recorded:
        """A new incident looked up ahead and not found waits for the group's end to be inserted, where
        a clash with another writer is handled (`_insert_new`): its write needs no savepoint. Nor does
        an occurrence that only counts on an incident the group found (`_quiet`). Any other alert gets
        one, so that the clash is retried alone."""
        key = incident_key(alert)
        isolated = not (self._rows.absent(Alert, sensor_id=self.sensor_id, dedup_key=key) or self._quiet(alert, key))
        try:
            return self._write(lambda session: self._alert(session, alert, device_class, flush=isolated),
                               isolated=isolated)
        except IntegrityError:      # another worker of this sensor opened the same incident meanwhile:
            if not isolated:
                raise               # its group is rolled back and written again (appliance.store.group)
            return self._write(lambda session: self._alert(session, alert, device_class))   # now it exists

    def _quiet(self, alert: PolicyAlert, key: str) -> bool:
        """Whether the open group found the alert's incident when it looked ahead (so it exists, locked on
        PostgreSQL: nobody else opens it) and the alert neither re-opens nor escalates it: it writes no
        history and no delivery (whose webhook may have gone meanwhile), only the incident, an
        occurrence of it and its endpoint, as observations do."""
        row = self._rows.held(Alert, sensor_id=self.sensor_id, dedup_key=key)
        return (row is not None and row.id is not None and self._grouped(self._rows.session)
                and row.state != "resolved" and not incidents.worse(alert.severity, row.severity))

    def withdraw(self, withdrawal: Withdrawal) -> str:
        """Take back the occurrence of an alert the policy withdrew. Returns "resolved" (its incident had
        no other occurrence and was active: resolved by the sensor, every receiver told),
        "withdrawn" (the occurrence went, the incident stands or was already resolved) or "absent"
        (nothing recorded for it)."""
        return self._write(lambda session: self._withdraw(session, withdrawal))

    def prefetch(self, items: list) -> None:
        """Inside a group, before its writes: look up the streams, endpoints and incidents the coming
        events and alerts (`items`) will touch, one query per table instead of one per write."""
        if getattr(self.store, "grouping", None) is not None:
            self._write(lambda session: self._prefetch(session, items) if self._grouped(session) else None,
                        via="lookup")

    def snapshot(self, report: dict) -> None:
        """Upsert streams, signaling sessions, calls and endpoints (with posture) from a report, and
        extend the occurrences of its streams (and their incidents) to the streams' last packets."""
        now = from_epoch(self.clock())

        def upsert(session: Session) -> None:
            self._insert_new(session)
            self._insert_streams(session)
            record_report(session, self.sensor_id, report, now)
            self._stream_ends(session, {s["id"]: s["last_seen"] for s in report.get("streams", [])})
            self._sensor(session, self.sensor_id).last_seen = now
        self._write(upsert)

    def _stream_ends(self, session: Session, ends: dict[str, float]) -> None:
        for occurrence in self._occurrences_of(session, list(ends)):
            _extend(occurrence, from_epoch(ends[occurrence.stream]))

    def _occurrences_of(self, session: Session, streams: list[str]) -> list[Occurrence]:
        found = []
        for chunk in _chunks(streams):
            found += session.scalars(_occurrences_of_streams(), {"sensor": self.sensor_id, "values": chunk})
        return found

    def sensor_stats(self, sensor_id: str, packets: int, drops: int) -> None:
        """Add packets and kernel drops counted since the last call to a sensor's totals (nobody retries
        it alone: inside a group it shares the group's transaction, without a savepoint)."""
        def add(session: Session) -> None:
            sensor = self._sensor(session, sensor_id)
            session.flush()
            sensor.packets = Sensor.packets + packets
            sensor.drops = Sensor.drops + drops
            sensor.last_seen = from_epoch(self.clock())
        self._write(add, isolated=False)

    def rolled_back(self) -> None:
        """The transaction of writes this recorder thought stored was rolled back (a group commit lost
        with its connection): what it remembers of the store is no longer sure."""
        self._sensor_known = False
        self._rows.forget()
        self._new.forget()
        self._new_streams.forget()

    # -- plumbing --------------------------------------------------------------------------------
    def _write(self, work, isolated: bool = True, via: str | None = None):
        """`work(session)` in a transaction; inside a group, `isolated` writes (an alert, retried alone
        when another writer opened its incident) in a savepoint of their own, the others (observations)
        straight in the group's transaction (appliance.store.group); `via` names another of the group's
        ways in (its `lookup`)."""
        mark, streams = self._new.mark(), self._new_streams.mark()
        opener = getattr(self.store, via or ("session" if isolated else "shared"), None) or self.store.session
        try:
            with opener() as session:
                if not self._sensor_known:
                    self._sensor(session, self.sensor_id)
                    session.flush()
                result = work(session)
        except BaseException:
            self._rows.forget()          # its savepoint or transaction rolled back: rows it added are gone
            self._new.undo(mark)
            self._new_streams.undo(streams)
            raise
        self._sensor_known = True
        return result

    def _sensor(self, session: Session, sensor_id: str) -> Sensor:
        sensor = session.get(Sensor, sensor_id)
        if sensor is None:
            now = from_epoch(self.clock())
            sensor = Sensor(id=sensor_id, name=self.sensor_name if sensor_id == self.sensor_id else None,
                            first_seen=now, last_seen=now, packets=0, drops=0)
            session.add(sensor)
        return sensor

    def _endpoint(self, session: Session, ip: str, ts: float) -> Endpoint:
        row = self._rows.get_or_new(session, Endpoint, sensor_id=self.sensor_id, ip=ip)
        if row.device_class is None:
            row.device_class, row.evidence = "unknown", []
        touch(row, from_epoch(ts), from_epoch(ts))
        return row

    def _receivers(self, session: Session, event: str) -> list[int]:
        """The webhooks of an incident event, asked once per transaction (a webhook added meanwhile
        through the API is in the next one)."""
        return self._rows.find(session, "receivers", lambda: outbox.receivers(session, event),
                               state_only=event in outbox.STATE_ONLY)

    def _site(self, session: Session) -> str:
        """The `site` of this sensor's deliveries, asked once per transaction."""
        return self._rows.find(session, "site", lambda: outbox.site_of(session, self.sensor_id))

    def _stream(self, session: Session, stream_id: str) -> Stream | None:
        return self._rows.find(session, Stream, lambda: session.scalars(
            select(Stream).filter_by(sensor_id=self.sensor_id, stream_id=stream_id)).one_or_none(),
            stream_id=stream_id)

    def _new_stream(self, session: Session, stream_id: str, **fields) -> Stream:
        """A new stream row (no packets counted yet), remembered, and added to the session; inside a group
        it waits instead, out of the session, to be inserted with the group's others as it ends
        (`_insert_streams`): the ORM inserts a row per statement on SQLite (it reads each id back),
        and most of a site's new streams are a verdict and an end, with nothing asking their ids."""
        row = Stream(sensor_id=self.sensor_id, stream_id=stream_id, ssrcs=[], payload_types=[], packets=0, bytes=0,
                     **fields)
        if self._grouped(session):
            self._new_streams.add(session, row)
            before_commit(session, self._insert_streams)
        else:
            session.add(row)
        self._rows.remember(session, row, stream_id=stream_id)
        return row

    def _insert_streams(self, session: Session, needed: Stream | None = None) -> None:
        """The group's waiting new streams, in the order they were made: with one Core statement as the
        group ends; into the session (the ORM inserts them, ids read back) when one of them is `needed`
        before (its evidence frames need its id), as if they had been added all along."""
        waiting = self._new_streams.take(session)
        if needed is None:
            insert_rows(session, waiting)
            return
        session.add_all(waiting)
        session.flush()

    def _prefetch(self, session: Session, items: list) -> None:
        streams, ended, ips, keys, calls, conversations = set(), set(), set(), set(), set(), set()
        evidence, alerts, compliant = set(), [], set()
        for item in items:
            if isinstance(item, (PolicyAlert, Withdrawal)):
                alerts.append(getattr(item, "alert", item))
                keys.add(incident_key(alerts[-1]))
                ips.add(item.endpoint)
                continue
            if isinstance(item, (StreamVerdict, StreamEvidence, StreamEnded)):
                streams.add(item.stream_id)
            if isinstance(item, StreamEnded):
                ended.add(item.stream_id)
            if isinstance(item, StreamEvidence):
                evidence.add(item.stream_id)
            if (source := _compliant_source(item)) is not None:
                compliant.add(source)
            if isinstance(item, SdpObserved):
                calls.add(item.call_id)
            if isinstance(item, SignalingObserved) or (isinstance(item, TlsObserved) and item.is_sip):
                conversations.add(_conversation(item))
            ips.update(ip for ip in (getattr(item, "src", None), getattr(item, "client", None),
                                     getattr(item, "server", None)) if ip)
        self._preload(session, Stream, "stream_id", streams)
        self._preload(session, Endpoint, "ip", ips)
        self._preload(session, Alert, "dedup_key", keys)
        self._preload(session, Call, "call_id", calls)
        self._preload_conversations(session, conversations)
        self._preload_active(session, compliant)
        self._preload_occurrences(session, ended)
        self._preload_frames(session, evidence)
        self._preload_alert_occurrences(session, alerts)

    def _preload_occurrences(self, session: Session, streams: set) -> None:
        """The incident occurrences of the streams that end in the group (most have none)."""
        by_stream: dict[str, list] = {stream: [] for stream in streams}
        for occurrence in self._occurrences_of(session, sorted(streams)):
            by_stream[occurrence.stream].append(occurrence)
        for stream, occurrences in by_stream.items():
            self._rows.note(session, ("occurrences", stream), occurrences)

    def _preload_active(self, session: Session, ips: set) -> None:
        """The active incidents of the endpoints whose compliant traffic the group records (most have
        none): it asks the store only when one of them may be resolved (`_compliant`)."""
        for chunk in _chunks(ips):
            for ip, rows in lookahead.active_by_endpoint(session, self.sensor_id, chunk).items():
                self._rows.note(session, ("active", ip), rows)

    def _preload_frames(self, session: Session, streams: set) -> None:
        """The evidence frames kept by the streams the group sends evidence for (looked up ahead)."""
        rows = {}
        for stream_id in streams:
            row = self._rows.find(session, Stream, lambda: None, stream_id=stream_id)
            if row is not None and row.id is not None:
                rows[row.id] = stream_id
        for chunk in _chunks(rows):
            for row_id, kept in lookahead.frames_by_stream(session, chunk).items():
                self._rows.note(session, ("frames", rows[row_id]), kept)

    def _preload_alert_occurrences(self, session: Session, alerts: list) -> None:
        """The occurrences the group's alerts (and withdrawals) on existing incidents may update."""
        wanted = set()
        for alert in alerts:
            row = self._rows.find(session, Alert, lambda: None, sensor_id=self.sensor_id, dedup_key=incident_key(alert))
            if row is not None and row.id is not None:
                wanted.add((row.id, dedup_key(alert)))
        for pair, occurrences in lookahead.occurrences_by_key(session, wanted).items():
            self._rows.note(session, ("occurrences of", *pair), occurrences)

    def _preload_conversations(self, session: Session, conversations: set) -> None:
        """Signaling sessions (a boot storm's thousands of REGISTERs are each a new one), by their clients
        and transports: the columns their unique index starts with."""
        by_client = {conversation[1] for conversation in conversations}
        transports = sorted({conversation[0] for conversation in conversations})
        for chunk in _chunks(by_client):
            query = _conversations_of_clients()
            found = {self._conversation_key(_conversation(row)): row for row in session.scalars(
                query, {"sensor": self.sensor_id, "transports": transports, "values": chunk})}
            clients = set(chunk)
            asked = [self._conversation_key(c) for c in conversations if c[1] in clients]
            self._rows.preload(session, SignalingSession, found, asked)

    def _conversation_key(self, conversation: tuple) -> tuple:
        return (("sensor_id", self.sensor_id), *zip(CONVERSATION, conversation))

    def _conversation_row(self, session: Session, ev) -> SignalingSession:
        """The signaling session of a SignalingObserved or a TlsObserved, under the key it was looked up
        ahead with."""
        return self._rows.get_or_new(session, SignalingSession, **dict(self._conversation_key(_conversation(ev))))

    def _preload(self, session: Session, model, column: str, values: set) -> None:
        query = _rows_of(model, column, model is Alert and self.store.dialect == "postgresql")
        for chunk in _chunks(values):
            found = {_key(model, column, getattr(row, column), self.sensor_id): row
                     for row in session.scalars(query, {"sensor": self.sensor_id, "values": chunk})}
            self._rows.preload(session, model, found, [_key(model, column, value, self.sensor_id) for value in chunk])

    # -- alerts ----------------------------------------------------------------------------------
    def _alert(self, session: Session, alert: PolicyAlert, device_class: str, defer: bool = True,
               flush: bool = True) -> Recorded:
        """Record one occurrence. A new incident inside a group waits in `_new` (inserted with the
        group's others as it ends: `_insert_new`), and its Recorded has no ids yet (0). Without `flush`,
        inside a group, its rows are flushed with the group's next statement (one flush for many writes),
        and a new occurrence's id is not known yet either (0)."""
        key = incident_key(alert)
        self._rows.unnote(("occurrences", alert.stream))  # its stream perhaps one more occurrence
        row = self._incident(session, key)
        seen, now = from_epoch(alert.first_seen), from_epoch(self.clock())
        occurrence = None if row is None else self._occurrence(session, row, dedup_key(alert), seen)
        events = []
        if row is None:
            row = Alert(sensor_id=self.sensor_id, dedup_key=incident_key(alert), state="open", count=1,
                        first_seen=seen, last_seen=seen, device_class=device_class, severity=alert.severity,
                        last_notified_at=now)     # enqueue's, set before the insert: one UPDATE less
            outcome, events = "new", ["new"]
        elif occurrence is not None:
            outcome = "updated"
        else:
            outcome = "reopened" if row.state == "resolved" else "repeated"
            row.count += 1
            events = ["reopened"] if outcome == "reopened" else []
        if row.id is not None and incidents.worse(alert.severity, row.severity):
            events = events or ["escalated"]
            row.severity = alert.severity
        self._describe(row, alert, seen, now, device_class)
        if alert.type == CLEARTEXT_MEDIA:
            self._cleartext_media(session, alert, seen)
        if outcome == "new" and defer and self._grouped(session):
            self._new.add(session, NewIncident(row, alert, device_class, now))
            before_commit(session, self._insert_new)
            return Recorded(0, outcome, len(self._receivers(session, "new")))
        if outcome == "new":
            session.add(row)
            self._rows.remember(session, row, sensor_id=self.sensor_id, dedup_key=key)
        self._now_active(session, row)
        if row.id is None:
            session.flush()             # a new incident's id, for its occurrence, history and deliveries
        occurrence = self._write_occurrence(session, row, occurrence, alert, now)
        self._lifecycle(session, row, outcome, events, seen)
        deliveries = self._enqueue(session, row, events, now)
        if flush or not self._grouped(session):
            session.flush()
        return Recorded(row.id, outcome, deliveries, occurrence.id or 0)

    def _incident(self, session: Session, key: str) -> Alert | None:
        """The incident row of `key`, locked on PostgreSQL; one still waiting in this group (`_new`: a new
        incident, then another occurrence of it or its withdrawal) is inserted first."""
        if self._new.holds(session, key):
            self._insert_new(session)
        query = select(Alert).filter_by(sensor_id=self.sensor_id, dedup_key=key)
        if self.store.dialect == "postgresql":
            query = query.with_for_update()
        return self._rows.find(session, Alert, lambda: session.scalars(query).one_or_none(),
                               sensor_id=self.sensor_id, dedup_key=key)

    def _withdraw(self, session: Session, withdrawal: Withdrawal) -> str:
        alert = withdrawal.alert
        key = incident_key(alert)
        row = self._incident(session, key)
        occurrence = None if row is None else self._occurrence(session, row, dedup_key(alert),
                                                               from_epoch(alert.first_seen))
        if occurrence is None:
            return "absent"
        self._rows.unnote(("occurrences", occurrence.stream))      # one fewer for its stream's end
        noted = self._noted_occurrences(session, row, occurrence.key)
        if noted is not None:
            noted.remove(occurrence)
        if not incidents.withdraw(session, row, occurrence, from_epoch(withdrawal.ts), withdrawal.reason):
            return "withdrawn"
        self._enqueue(session, row, [outbox.WITHDRAWN], from_epoch(self.clock()))   # to everyone told of it
        session.flush()
        return "resolved"

    def _insert_new(self, session: Session) -> None:
        """The group's waiting new incidents, each table's rows in one statement (new_incidents). If one
        of them exists meanwhile (another writer of this sensor), each is recorded the ordinary way."""
        waiting = self._new.take(session)
        if not waiting:
            return
        try:
            with session.begin_nested():
                insert_rows(session, [incident.row for incident in waiting])
        except IntegrityError:
            for incident in waiting:
                self._alert(session, incident.alert, incident.device_class, defer=False)
            return
        keys = [incident.row.dedup_key for incident in waiting]
        for incident in waiting:
            self._rows.unknown(Alert, sensor_id=self.sensor_id, dedup_key=incident.row.dedup_key)
            self._rows.unnote(("occurrences", incident.row.stream))      # it has one more now
            self._rows.unnote(("active", incident.row.endpoint))         # and one more active incident
        ids = dict(session.execute(select(Alert.dedup_key, Alert.id).where(Alert.sensor_id == self.sensor_id,
                                                                          Alert.dedup_key.in_(keys))).all())
        occurrences, history, deliveries = [], [], []
        for incident in waiting:
            row = incident.row
            row.id = ids[row.dedup_key]
            occurrences.append(self._write_occurrence(session, row, None, incident.alert, incident.now, add=False))
            history.append(incidents.opened_event(session, row, row.first_seen))
            deliveries += outbox.delivery_rows(session, row, "new", incident.now, hooks=self._receivers(session, "new"),
                                               site=self._site(session))
        for rows in (occurrences, history, deliveries):
            insert_rows(session, rows)

    def _describe(self, row: Alert, alert: PolicyAlert, seen, now, device_class: str) -> None:
        """An incident's fields from its latest occurrence."""
        touch(row, seen, seen)
        row.recorded_at = now
        if device_class != "unknown":
            row.device_class = device_class
        row.type, row.endpoint, row.peer = alert.type, alert.endpoint, alert.peer
        row.stream, row.call_id = alert.stream or row.stream, alert.call_id or row.call_id
        row.summary, row.evidence = alert.summary, list(alert.evidence)

    def _cleartext_media(self, session: Session, alert: PolicyAlert, seen) -> None:
        endpoint = self._endpoint(session, alert.endpoint, alert.first_seen)
        endpoint.media_srtp = False
        if endpoint.last_cleartext_media is None or seen > endpoint.last_cleartext_media:
            endpoint.last_cleartext_media = seen

    def _enqueue(self, session: Session, row: Alert, events: list[str], now) -> int:
        return sum(outbox.enqueue(session, row, event, now, hooks=self._receivers(session, event),
                                  site=self._site(session)) for event in events)

    def _grouped(self, session: Session) -> bool:
        grouping = getattr(self.store, "grouping", None)
        return grouping is not None and grouping(session)

    def _occurrence(self, session: Session, row: Alert, key: str, seen) -> Occurrence | None:
        """The occurrence this alert updates (same per-stream key and first seen), if any."""
        noted = self._noted_occurrences(session, row, key)
        if noted is not None:
            return next((occurrence for occurrence in noted if occurrence.first_seen == seen), None)
        return session.scalars(select(Occurrence).where(Occurrence.alert_id == row.id, Occurrence.key == key,
                                                        Occurrence.first_seen == seen).limit(1)).one_or_none()

    def _noted_occurrences(self, session: Session, row: Alert, key: str) -> list[Occurrence] | None:
        """The occurrences of `row` under `key`, looked up ahead and kept since (None: not looked up)."""
        return self._rows.noted(session, ("occurrences of", row.id, key))

    def _now_active(self, session: Session, row: Alert) -> None:
        """`row` (in the session, open or acknowledged) is among its endpoint's active incidents."""
        active = self._rows.noted(session, ("active", row.endpoint))
        if active is not None and row not in active:
            active.append(row)

    def _write_occurrence(self, session: Session, row: Alert, occurrence: Occurrence | None,
                          alert: PolicyAlert, now, add: bool = True) -> Occurrence:
        """Update `occurrence`, or make a new one (added to the session unless `add` is False)."""
        if occurrence is None:
            seen = from_epoch(alert.first_seen)
            occurrence = Occurrence(alert_id=row.id, sensor_id=self.sensor_id, key=dedup_key(alert),
                                    first_seen=seen, last_seen=seen)
            if add:
                session.add(occurrence)
                noted = self._noted_occurrences(session, row, occurrence.key)
                if noted is not None:
                    noted.append(occurrence)
        occurrence.severity, occurrence.peer, occurrence.summary = alert.severity, alert.peer, alert.summary
        occurrence.stream = alert.stream or occurrence.stream
        occurrence.call_id = alert.call_id or occurrence.call_id
        occurrence.evidence, occurrence.recorded_at = list(alert.evidence), now
        return occurrence

    @staticmethod
    def _lifecycle(session: Session, row: Alert, outcome: str, events: list[str], seen) -> None:
        if outcome == "new":
            incidents.opened(session, row, seen)
        elif outcome == "reopened":
            incidents.reopen(session, row, seen)
        if "escalated" in events:
            incidents.record(session, row, "escalated", seen, detail=f"severity {row.severity}")

    def _compliant(self, session: Session, endpoint: str, types: tuple, ts: float, peer: str | None = None,
                   what: str = "compliant traffic") -> None:
        if self._new.names(session, endpoint):
            self._insert_new(session)               # they may be resolved by this, as if written already
        active = self._active(session, endpoint)
        if active is not None and not any(incidents.resolvable(row, types, from_epoch(ts), self.incident_settings,
                                                               peer) for row in active):
            return                                  # none of its active incidents is due (looked up ahead)
        for row in incidents.compliant(session, self.sensor_id, endpoint, types, from_epoch(ts),
                                       self.incident_settings, peer, what):
            outbox.enqueue(session, row, "resolved", from_epoch(self.clock()),
                           hooks=self._receivers(session, "resolved"), site=self._site(session))

    def _active(self, session: Session, endpoint: str) -> list[Alert] | None:
        """The endpoint's active incidents (and perhaps some resolved since) as the group's session holds
        them: looked up ahead, or once in the group after its new incidents were inserted; None outside
        a group."""
        active = self._rows.noted(session, ("active", endpoint))
        if active is None and self._grouped(session):
            active = lookahead.active_by_endpoint(session, self.sensor_id, [endpoint])[endpoint]
            self._rows.note(session, ("active", endpoint), active)
        return active

    # -- collector events ------------------------------------------------------------------------
    def _verdict(self, session: Session, ev: StreamVerdict) -> None:
        row = self._stream(session, ev.stream_id) or self._new_stream(session, ev.stream_id)
        first = row.encrypted is None           # its first verdict: counted once, whatever comes later
        row.src, row.src_port, row.dst, row.dst_port = ev.src, ev.src_port, ev.dst, ev.dst_port
        row.transport, row.kind, row.encrypted, row.keying = ev.transport, ev.kind, ev.encrypted, ev.keying
        row.codec, row.confidence, row.evidence = ev.codec or row.codec, ev.confidence, list(ev.evidence)
        row.call_id = ev.call_id or row.call_id
        row.verdict_source, row.packets_to_verdict = ev.source, ev.packets_to_verdict
        touch(row, from_epoch(ev.first_seen), from_epoch(ev.ts))
        if first:
            counters.add_all(session, counters.stream_verdicts(self.sensor_id, [(ev.kind, ev.encrypted)]))
        if ev.kind == "rtp" and (ev.encrypted or ev.carries_media):
            endpoint = self._endpoint(session, ev.src, ev.ts)
            endpoint.media_srtp = ev.encrypted
            endpoint.keying = ev.keying if ev.encrypted else endpoint.keying
        if ev.kind == "rtp" and ev.encrypted:
            types = incidents.KEYED_MEDIA_TYPES if ev.keying in incidents.UNEXPOSED_KEYING else incidents.MEDIA_TYPES
            self._compliant(session, ev.src, types, ev.ts, what="SRTP media")

    def _evidence(self, session: Session, ev: StreamEvidence) -> None:
        row = self._stream(session, ev.stream_id)
        if row is None:
            row = self._new_stream(session, ev.stream_id, evidence=[], **_tuple_of(ev))
            if ev.frames:
                touch(row, from_epoch(ev.frames[0][0]), from_epoch(ev.frames[-1][0]))
        kept = self._frames_kept(session, row, ev.stream_id)
        if row.id is None:                  # a stream new in this transaction: its id, for its frames
            self._insert_streams(session, needed=row)
        frames = ev.frames[:max(0, MAX_FRAMES_PER_STREAM - kept)]
        if frames:                          # one Core statement for them all (no ORM object reads them back)
            session.execute(insert(EvidencePacket.__table__), [
                {"sensor_id": self.sensor_id, "stream_row_id": row.id, "alert_id": None, "seq": seq,
                 "ts": from_epoch(ts), "linktype": linktype, "frame": bytes(frame)}
                for seq, (ts, linktype, frame) in enumerate(frames, kept)])
        self._rows.note(session, ("frames", ev.stream_id), kept + len(frames))

    def _frames_kept(self, session: Session, row: Stream, stream_id: str) -> int:
        """How many evidence frames a stream's row holds: counted once per transaction, then kept (a row
        made in it holds none)."""
        kept = self._rows.noted(session, ("frames", stream_id))
        if kept is None:
            kept = 0 if row.id is None else session.scalar(
                select(func.count()).select_from(EvidencePacket).where(EvidencePacket.stream_row_id == row.id)) or 0
        return kept

    def _sdp(self, session: Session, ev: SdpObserved) -> None:
        row = self._rows.get_or_new(session, Call, sensor_id=self.sensor_id, call_id=ev.call_id)
        row.signaling_transport = row.signaling_transport or ev.signaling_transport
        profile = ev.profiles[0] if ev.profiles else None
        if ev.is_offer:
            row.offer = profile or row.offer
        else:
            row.answer = profile or row.answer
        touch(row, from_epoch(ev.ts), from_epoch(ev.ts))

    def _signaling(self, session: Session, ev: SignalingObserved) -> None:
        row = self._conversation_row(session, ev)
        row.user_agents = merged(row.user_agents, [ev.user_agent] if ev.user_agent else [])
        row.call_ids = row.call_ids or []
        touch(row, from_epoch(ev.ts), from_epoch(ev.ts))
        for ip in (ev.client, ev.server):
            self._endpoint(session, ip, ev.ts).signaling_tls = ev.transport in SECURE_SIGNALING
        client = self._endpoint(session, ev.client, ev.ts)
        client.user_agent = client.user_agent or ev.user_agent
        if ev.transport in SECURE_SIGNALING:
            self._compliant(session, ev.client, (CLEARTEXT_SIGNALING,), ev.ts, ev.server, "SIP over TLS")

    def _tls(self, session: Session, ev: TlsObserved) -> None:
        if not ev.is_sip:
            return
        row = self._conversation_row(session, ev)
        row.tls = {"version": ev.version, "sni": ev.sni, "cipher": ev.cipher, "certificate": ev.certificate}
        row.user_agents, row.call_ids = row.user_agents or [], row.call_ids or []
        touch(row, from_epoch(ev.ts), from_epoch(ev.ts))
        server = self._endpoint(session, ev.server, ev.ts)
        server.signaling_tls = True
        if ev.certificate is not None:
            server.certificate_state = posture.from_problems(ev.certificate_problems)

    def _stream_ended(self, session: Session, ev: StreamEnded) -> None:
        """A stream's final state (a live run's end report keeps only the latest ones): its row, and its
        incidents' occurrences extended to its last packet."""
        row = self._stream(session, ev.stream_id) or self._new_stream(session, ev.stream_id)
        if update_stream(row, _entry_of(ev)):
            counters.add_all(session, counters.stream_verdicts(self.sensor_id, [(ev.kind, ev.encrypted)]))
        if self._new.about_stream(session, ev.stream_id):
            self._insert_new(session)
        occurrences = self._rows.noted(session, ("occurrences", ev.stream_id))     # looked up ahead
        if occurrences is None:
            occurrences = self._occurrences_of(session, [ev.stream_id])
        for occurrence in occurrences:
            _extend(occurrence, from_epoch(ev.last_seen))

    def _call_ended(self, session: Session, ev: CallEnded) -> None:
        """A call the collector let go (URIs already masked by the sink): its parties and times."""
        row = self._rows.get_or_new(session, Call, sensor_id=self.sensor_id, call_id=ev.call_id)
        update_call(row, {"from": ev.from_uri, "to": ev.to_uri, "signaling_transport": ev.signaling_transport,
                          "offer": ev.offer, "answer": ev.answer})
        touch(row, from_epoch(ev.first_seen), from_epoch(ev.ended_at or ev.first_seen))

    _handlers = {StreamVerdict: _verdict, StreamEvidence: _evidence, SdpObserved: _sdp,
                 SignalingObserved: _signaling, TlsObserved: _tls, StreamEnded: _stream_ended,
                 CallEnded: _call_ended}


def _compliant_source(item) -> str | None:
    """The endpoint whose incidents recording `item` may resolve (`Recorder._compliant`): the sender of
    SRTP, the client of SIP over TLS."""
    if isinstance(item, StreamVerdict) and item.kind == "rtp" and item.encrypted:
        return item.src
    if isinstance(item, SignalingObserved) and item.transport in SECURE_SIGNALING:
        return item.client
    return None


def _extend(occurrence: Occurrence, end) -> None:
    """An occurrence (and its incident) lasts at least until its stream's last packet `end`."""
    if end > occurrence.last_seen:
        occurrence.last_seen = end
        touch(occurrence.alert, None, end)


def _entry_of(ev: StreamEnded) -> dict:
    """A StreamEnded as the report entry it copies (two fields are named differently there)."""
    return {**asdict(ev), "verdict_source": ev.source, "verdict_after_packets": ev.packets_to_verdict}


CONVERSATION = ("transport", "client", "client_port", "server", "server_port")     # a signaling session's key


def _conversation(item) -> tuple:
    """A signaling session's key columns, of a SignalingObserved, a TlsObserved or a row."""
    transport = "tls" if isinstance(item, TlsObserved) else item.transport
    return (transport, item.client, item.client_port, item.server, item.server_port)


@functools.cache
def _rows_of(model, column: str, lock: bool):
    """SELECT a sensor's rows of `model` whose `column` is in a list (params `sensor`, `values`), locked
    (FOR UPDATE) when `lock`: built once, as the look-ups ahead run it in every group (building a
    statement and its cache key cost more than running it on SQLite)."""
    query = select(model).where(model.sensor_id == bindparam("sensor"),
                                getattr(model, column).in_(bindparam("values", expanding=True)))
    return query.with_for_update() if lock else query


@functools.cache
def _occurrences_of_streams():
    """A sensor's occurrences of some streams (params `sensor`, `values`), with their incidents (`_extend`
    touches them)."""
    return _rows_of(Occurrence, "stream", False).options(joinedload(Occurrence.alert))


@functools.cache
def _conversations_of_clients():
    """A sensor's signaling sessions over some transports from some clients (params `sensor`,
    `transports`, `values`): the columns their unique index starts with."""
    return select(SignalingSession).where(SignalingSession.sensor_id == bindparam("sensor"),
                                          SignalingSession.transport.in_(bindparam("transports", expanding=True)),
                                          SignalingSession.client.in_(bindparam("values", expanding=True)))


def _chunks(values, size: int = 500):
    """`values` sorted, in lists of at most `size` (the IN lists of a look-up)."""
    values = sorted(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _key(model, column: str, value, sensor_id: str) -> tuple:
    """A RowCache key as the recorder's look-ups spell it: the sensor and the column, for streams only
    the id."""
    return ((column, value),) if model is Stream else (("sensor_id", sensor_id), (column, value))


def _tuple_of(ev: StreamEvidence) -> dict:
    """The 5-tuple and kind from a collector stream id "udp:SRC:SPORT-DST:DPORT/rtp[#n]"."""
    try:
        transport, rest = ev.stream_id.split(":", 1)
        rest, kind = rest.rsplit("/", 1)
        left, right = rest.split("-", 1)
        (src, sport), (dst, dport) = left.rsplit(":", 1), right.rsplit(":", 1)
        return {"transport": transport, "kind": kind.split("#")[0], "src": src, "src_port": int(sport),
                "dst": dst, "dst_port": int(dport)}
    except ValueError:
        return {"transport": "udp", "kind": "rtp", "src": ev.src, "src_port": 0, "dst": ev.dst, "dst_port": 0}
