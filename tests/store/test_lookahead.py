"""What a group looks up ahead (appliance/store/lookahead.py) stays true while the group writes: an
occurrence, an incident re-opened or opened, evidence frames added earlier in the same group are seen by
the writes after them, as if each had asked the store. On SQLite and PostgreSQL."""
from __future__ import annotations

from sqlalchemy import select

from appliance.store.buffered import BufferedRecorder
from appliance.store.group import GroupCommit
from appliance.store.incidents import IncidentSettings
from appliance.store.models import Alert, EvidencePacket, Occurrence, Stream
from appliance.store.recorder import MAX_FRAMES_PER_STREAM, Recorder
from collectors.events import StreamEnded, StreamEvidence, StreamVerdict
from tests.store.helpers import T0, Clock, policy_alert

PHONE = "10.0.0.1"
STREAM = "udp:10.0.0.1:4000-10.0.0.2:5000/rtp"


def grouped(store, auto_resolve_after: float = 86400.0) -> BufferedRecorder:
    """The live coordinator's recorder: group commit, look-ups ahead (appliance.collect.Sink._write)."""
    return BufferedRecorder(Recorder(GroupCommit(store), "s1", clock=Clock(),
                                     incident_settings=IncidentSettings(auto_resolve_after=auto_resolve_after)))


def write_group(recorder: BufferedRecorder, writes: list) -> list:
    with recorder.batch():
        recorder.prefetch([args[0] for _, args in writes])
        return [getattr(recorder, name)(*args) for name, args in writes]


def srtp(ts: float, stream: str = "udp:10.0.0.1:4100-10.0.0.2:5100/rtp") -> StreamVerdict:
    return StreamVerdict(stream, PHONE, 4100, "10.0.0.2", 5100, "udp", "rtp", True, "dtls-srtp", "PCMU", None,
                         0.97, (), ts, ts, 10, "payload", True, "")


def rows(store, model) -> list:
    with store.session(readonly=True) as session:
        return list(session.scalars(select(model).order_by(model.id)))


def test_an_occurrence_added_in_the_group_is_the_one_a_later_alert_updates(store):
    recorder = grouped(store)
    write_group(recorder, [("alert", (policy_alert(stream="udp:10.0.0.1:3000-10.0.0.2:5000/rtp"), "phone"))])
    again = policy_alert(stream=STREAM, first_seen=T0 + 10)            # a new occurrence of the incident ...
    proof = policy_alert(stream=STREAM, first_seen=T0 + 10, summary="cleartext RTP, decrypted")    # ... updated
    outcomes = [r.outcome for r in write_group(recorder, [("alert", (again, "phone")), ("alert", (proof, "phone"))])]
    assert outcomes == ["repeated", "updated"]
    [incident] = rows(store, Alert)
    assert incident.count == 2
    assert [(o.stream, o.summary) for o in rows(store, Occurrence)] == [
        ("udp:10.0.0.1:3000-10.0.0.2:5000/rtp", "cleartext RTP"), (STREAM, "cleartext RTP, decrypted")]


def test_an_incident_reopened_in_the_group_is_resolved_by_compliant_traffic_after_it(store):
    recorder = grouped(store, auto_resolve_after=60)
    write_group(recorder, [("alert", (policy_alert(), "phone"))])
    write_group(recorder, [("observe", (srtp(T0 + 100),))])                     # resolved: only SRTP for 100 s
    assert [a.state for a in rows(store, Alert)] == ["resolved"]
    reopening = policy_alert(stream="udp:10.0.0.1:4002-10.0.0.2:5002/rtp", first_seen=T0 + 200)
    write_group(recorder, [("alert", (reopening, "phone")), ("observe", (srtp(T0 + 300),))])
    [incident] = rows(store, Alert)
    assert (incident.state, incident.count) == ("resolved", 2)          # re-opened, then resolved again


def test_an_incident_opened_in_the_group_is_resolved_by_compliant_traffic_after_it(store):
    recorder = grouped(store, auto_resolve_after=60)
    write_group(recorder, [("observe", (srtp(T0 - 10),))])                      # a phone with no incident
    write_group(recorder, [("alert", (policy_alert(), "phone")), ("observe", (srtp(T0 + 100),))])
    assert [a.state for a in rows(store, Alert)] == ["resolved"]


def test_evidence_added_in_the_group_counts_towards_the_streams_bound(store):
    recorder = grouped(store)

    def evidence(first: int, count: int) -> StreamEvidence:
        return StreamEvidence(STREAM, PHONE, "10.0.0.2",
                              tuple((T0 + n, 1, bytes([n]) * 60) for n in range(first, first + count)))
    write_group(recorder, [("observe", (evidence(0, 10),))])
    write_group(recorder, [("observe", (evidence(10, 4),)), ("observe", (evidence(14, 4),))])
    frames = rows(store, EvidencePacket)
    assert [f.seq for f in frames] == list(range(MAX_FRAMES_PER_STREAM))
    assert [f.frame[0] for f in frames] == list(range(MAX_FRAMES_PER_STREAM))


def test_streams_new_in_a_group_are_stored_in_the_order_they_were_seen(store):
    """A group's new streams wait to be inserted together as it ends, unless one needs its id sooner (its
    evidence frames): then those seen before it are stored first, so stream ids still follow the order
    the streams were seen, and what the group said later of a stream (its end) is what is stored."""
    first, second, third = (f"udp:10.0.0.1:{port}-10.0.0.2:5000/rtp" for port in (4100, 4200, 4300))
    ended = StreamEnded(first, PHONE, 4100, "10.0.0.2", 5000, "udp", "rtp", True, "dtls-srtp", (7,), (0,), "PCMU",
                        500, 80_000, T0, T0 + 10, "call-1", 0.99, (), 5, "payload", "key exchange", None)
    write_group(grouped(store), [("observe", (srtp(T0, first),)),
                                 ("observe", (StreamEvidence(second, PHONE, "10.0.0.2", ((T0 + 1, 1, b"x" * 60),)),)),
                                 ("observe", (ended,)),
                                 ("observe", (srtp(T0 + 2, third),))])
    streams = rows(store, Stream)
    assert [s.stream_id for s in streams] == [first, second, third]
    assert (streams[0].packets, streams[0].call_id, streams[0].ssrcs) == (500, "call-1", [7])
    assert [f.stream_row_id for f in rows(store, EvidencePacket)] == [streams[1].id]
