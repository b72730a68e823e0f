"""Withdrawals in the store (Recorder.withdraw, incidents.withdraw): the occurrence of an alert the policy
took back goes; an incident with none left is resolved by the sensor, with its history and a "resolved"
delivery to the receivers that track state; one an operator resolved stays as they left it. Written
alone, inside a group commit (raised and withdrawn in the same group, or in the next one) and through a
group that broke and waited whole. On SQLite and PostgreSQL."""
from __future__ import annotations

from sqlalchemy import func, select

from appliance.alerts import Withdrawal
from appliance.store import counters, queries
from appliance.store.buffered import BufferedRecorder
from appliance.store.crypto import SecretBox, generate_key
from appliance.store.group import GroupCommit
from appliance.store.models import Alert, AlertEvent, Delivery, Occurrence
from appliance.store.recorder import Recorder
from appliance.store.webhooks import create_webhook
from appliance.store_backlog import StoreBacklog
from tests.store.helpers import T0, Clock, policy_alert
from tests.store.test_group_shared import FailingOnce, signaling

REASON = "stream s proved encrypted (SRTP, sdes keying) after 24 packets (payload)"


def withdrawal(alert, reason: str = REASON, after: float = 5.0) -> Withdrawal:
    return Withdrawal(alert, reason, alert.first_seen + after)


def hooks(store) -> dict[str, int]:
    """A person's receiver and a state-tracking one."""
    box = SecretBox(generate_key())
    with store.session() as session:
        made = {fmt: create_webhook(session, box, url, fmt) for fmt, url in
                (("generic", "https://siem.example.net/hook"), ("alertmanager", "http://am.example.net:9093"))}
        session.flush()
        return {fmt: row.id for fmt, row in made.items()}


def incident(store, endpoint: str = "10.0.0.1", type: str = "cleartext_media"):
    with store.session(readonly=True) as session:
        row = session.scalars(select(Alert).filter_by(endpoint=endpoint, type=type)).one()
        history = [(e.event, e.actor, e.detail) for e in session.scalars(
            select(AlertEvent).where(AlertEvent.alert_id == row.id).order_by(AlertEvent.id))]
        deliveries = sorted((d.webhook_id, d.payload["event"], d.payload["state"]) for d in session.scalars(
            select(Delivery).where(Delivery.alert_id == row.id)))
        occurrences = sorted(o.stream for o in session.scalars(select(Occurrence).filter_by(alert_id=row.id)))
        session.expunge(row)
        return row, history, deliveries, occurrences


def test_an_incident_whose_only_occurrence_is_withdrawn_is_resolved_by_the_sensor(store):
    hook = hooks(store)
    recorder = Recorder(store, "sensor-1", clock=Clock())
    alert = policy_alert()
    recorder.alert(alert)
    assert recorder.withdraw(withdrawal(alert)) == "resolved"
    row, history, deliveries, occurrences = incident(store)
    assert (row.state, row.resolved_by, row.count, occurrences) == ("resolved", "sensor", 0, [])
    assert row.resolved_reason == f"withdrawn by the sensor: {REASON}"
    assert row.resolved_at.timestamp() == T0 + 5.0                     # traffic time, as every other
    assert history == [("opened", None, None), ("withdrawn", "sensor", REASON),
                       ("resolved", "sensor", f"withdrawn by the sensor: {REASON}")]
    assert sorted(deliveries) == sorted([(hook["generic"], "new", "open"), (hook["alertmanager"], "new", "open"),
                                         (hook["generic"], "withdrawn", "resolved"),     # people hear it too
                                         (hook["alertmanager"], "withdrawn", "resolved")])
    with store.session(readonly=True) as session:
        assert counters.totals(session)[counters.INCIDENTS_RESOLVED] == [
            ({"how": "withdrawn", "sensor": "sensor-1", "type": "cleartext_media"}, 1)]
    assert recorder.withdraw(withdrawal(alert)) == "absent"                # told twice: nothing left to take


def test_an_incident_with_occurrences_left_stands_and_reads_as_the_latest_of_them(store):
    hooks(store)
    recorder = Recorder(store, "sensor-1", clock=Clock())
    kept = policy_alert(stream="kept", summary="cleartext G722", first_seen=T0)
    wrong = policy_alert(stream="wrong", summary="cleartext PCMU", first_seen=T0 + 10, severity="critical")
    recorder.alert(kept)
    recorder.alert(wrong)
    assert recorder.withdraw(withdrawal(wrong)) == "withdrawn"
    row, history, deliveries, occurrences = incident(store)
    assert (row.state, row.count, row.stream, row.summary, occurrences) == ("open", 1, "kept", "cleartext G722",
                                                                            ["kept"])
    assert row.severity == "high"                          # the critical one was wrong
    assert [event for event, *_ in history] == ["opened", "escalated", "withdrawn"]
    assert sorted(event for _, event, _ in deliveries) == ["escalated", "escalated", "new", "new"]   # no more


def test_acknowledged_is_resolved_too_but_an_operator_resolution_stays(store):
    hook = hooks(store)
    recorder = Recorder(store, "sensor-1", clock=Clock())
    acked, resolved = policy_alert(endpoint="10.0.0.1"), policy_alert(endpoint="10.0.0.3")
    for alert in (acked, resolved):
        recorder.alert(alert)
    with store.session() as session:
        queries.acknowledge(session, incident(store, "10.0.0.1")[0].id, "noc-anna")
        queries.resolve(session, incident(store, "10.0.0.3")[0].id, "noc-ben", "fixed the phone's profile")
    assert recorder.withdraw(withdrawal(acked)) == "resolved"
    row, history, deliveries, _ = incident(store, "10.0.0.1")
    assert (row.state, row.acknowledged_by, row.resolved_by) == ("resolved", "noc-anna", "sensor")
    assert [event for event, *_ in history] == ["opened", "acknowledged", "withdrawn", "resolved"]
    assert (hook["alertmanager"], "withdrawn", "resolved") in deliveries
    assert (hook["generic"], "withdrawn", "resolved") in deliveries
    assert recorder.withdraw(withdrawal(resolved)) == "withdrawn"
    row, history, deliveries, occurrences = incident(store, "10.0.0.3")
    assert (row.state, row.resolved_by, row.resolved_reason, row.count, occurrences) == \
        ("resolved", "noc-ben", "fixed the phone's profile", 0, [])
    assert [event for event, *_ in history] == ["opened", "resolved", "withdrawn"]
    assert [event for _, event, _ in deliveries].count("resolved") == 1      # the operator's, not another
    assert "withdrawn" not in [event for _, event, _ in deliveries]


def test_a_finding_raised_again_after_its_withdrawal_reopens(store):
    recorder = Recorder(store, "sensor-1", clock=Clock())
    alert = policy_alert()
    recorder.alert(alert)
    recorder.withdraw(withdrawal(alert))
    assert recorder.alert(alert).outcome == "reopened"
    row, history, _, occurrences = incident(store)
    assert (row.state, row.count, row.resolved_by, occurrences) == ("open", 1, None, [alert.stream])
    assert [event for event, *_ in history] == ["opened", "withdrawn", "resolved", "reopened"]


def test_raised_and_withdrawn_in_one_group_or_the_next(store):
    hooks(store)
    group = GroupCommit(store)
    recorder = BufferedRecorder(Recorder(group, "sensor-1", clock=Clock()))
    same, other = policy_alert(endpoint="10.0.0.1"), policy_alert(endpoint="10.0.0.3")
    with recorder.batch():
        recorder.prefetch([same, other, withdrawal(same)])
        recorder.alert(same)                       # new incidents: inserted as the group ends ...
        recorder.alert(other)
        assert recorder.withdraw(withdrawal(same)) == "resolved"     # ... or when a withdrawal needs them
    with recorder.batch():
        recorder.prefetch([withdrawal(other)])
        assert recorder.withdraw(withdrawal(other)) == "resolved"
    for endpoint in ("10.0.0.1", "10.0.0.3"):
        row, history, deliveries, occurrences = incident(store, endpoint)
        assert (row.state, row.resolved_by, occurrences) == ("resolved", "sensor", [])
        assert [event for event, *_ in history] == ["opened", "withdrawn", "resolved"]
        assert sorted(event for _, event, _ in deliveries) == ["new", "new", "withdrawn", "withdrawn"]


def test_a_broken_group_with_a_withdrawal_waits_whole_and_arrives_in_order(store):
    clock = Clock(0.0)
    recorder = BufferedRecorder(FailingOnce(GroupCommit(store), "sensor-1", clock=Clock(), fail_client="10.1.0.2"),
                                retry_every=2.0, clock=clock)
    alert = policy_alert(endpoint="10.1.0.1")
    with recorder.batch():
        recorder.observe(signaling(1))
        recorder.alert(alert)
        recorder.withdraw(withdrawal(alert))
        recorder.observe(signaling(2))             # fails: the group is lost, all of it waits
    with store.session(readonly=True) as session:
        assert session.scalar(select(func.count()).select_from(Alert)) == 0
    assert [kind for kind, _ in recorder.pending] == ["observe", "alert", "withdraw", "observe"]
    clock.now += 2
    recorder.observe(signaling(3))
    assert recorder.status().pending == 0
    row, history, _, occurrences = incident(store, "10.1.0.1")
    assert (row.state, row.resolved_by, occurrences) == ("resolved", "sensor", [])
    assert [event for event, *_ in history] == ["opened", "withdrawn", "resolved"]


def test_a_withdrawal_leaves_with_the_alerts_after_the_alert_it_takes_back():
    backlog = StoreBacklog()
    alert = policy_alert(endpoint="10.1.0.1")
    backlog.observe(signaling(2))                   # another phone's: waits
    backlog.alert(alert, "unknown")
    backlog.observe(signaling(1))                   # the alert's endpoint's: leaves with it, in its place
    backlog.withdraw(withdrawal(alert))
    assert [(w.kind, w.args[0]) for w in backlog.urgent()] == \
        [("alert", alert), ("observe", signaling(1)), ("withdraw", withdrawal(alert))]
    backlog.withdraw(withdrawal(alert))             # its alert written by an earlier group: alone, still first
    assert [w.kind for w in backlog.urgent()] == ["withdraw"]
    assert [w.kind for w in backlog.drain()] == ["observe"] and backlog.alerts == 0
