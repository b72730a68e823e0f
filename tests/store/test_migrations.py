"""Alembic: the revisions create every table on SQLite and PostgreSQL, upgrading again is a no-op,
the schema matches the models, a store at an older revision keeps its rows when upgraded, and it
downgrades cleanly."""
from __future__ import annotations

from datetime import datetime, timezone

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

import pytest

from appliance.store import migrate
from appliance.store.engine import StoreSettings, open_store
from appliance.store.errors import ConfigError
from appliance.store.models import Base

TABLES = {"sensors", "endpoints", "calls", "streams", "signaling_sessions", "alerts", "alert_occurrences",
          "alert_events", "evidence_packets", "switches", "span_sessions", "span_actions", "webhooks", "deliveries",
          "api_tokens", "audit_log", "alert_comments", "counters"}


def tables(settings) -> set[str]:
    store = open_store(settings)
    try:
        return set(inspect(store.engine).get_table_names())
    finally:
        store.close()


def test_upgrade_to_head_and_again_is_a_no_op(fresh_settings):
    assert migrate.current_revision(fresh_settings) is None
    head = migrate.head_revision(fresh_settings)
    assert migrate.upgrade(fresh_settings) == head
    assert tables(fresh_settings) == TABLES | {"alembic_version"}
    assert Base.metadata.tables.keys() == TABLES
    assert migrate.upgrade(fresh_settings) == head
    assert migrate.current_revision(fresh_settings) == head
    assert tables(fresh_settings) == TABLES | {"alembic_version"}


def test_schema_matches_the_models(settings):
    store = open_store(settings)
    try:
        with store.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        store.close()


def test_a_0001_store_keeps_its_switches_through_0002_and_back(fresh_settings):
    migrate.upgrade(fresh_settings, "0001")
    store = open_store(fresh_settings)
    try:
        with store.engine.begin() as connection:
            connection.execute(text("INSERT INTO switches (name, device_type, host, port, username, credential_ref, "
                                    "created_at) VALUES ('core1', 'cisco_ios', '192.0.2.1', 22, 'netops', "
                                    "'env:CORE1_PASSWORD', CURRENT_TIMESTAMP)"))
            connection.execute(text("INSERT INTO span_sessions (switch_id, name, sources, destination, state, "
                                    "created_at) SELECT id, 'VOIPWATCH', '[\"Gi1/0/5:both\"]', 'Gi1/0/48', "
                                    "'applied', CURRENT_TIMESTAMP FROM switches"))
    finally:
        store.close()
    assert migrate.upgrade(fresh_settings) == migrate.head_revision(fresh_settings)
    with open_store(fresh_settings) as store, store.engine.connect() as connection:
        row = connection.execute(text("SELECT name, credential_ref, secret_ref, session_number FROM switches"))
        assert row.one() == ("core1", "env:CORE1_PASSWORD", None, 7)
        assert connection.execute(text("SELECT count(*) FROM span_sessions")).scalar() == 1
    store = open_store(fresh_settings)
    try:
        config = migrate.alembic_config(fresh_settings)
        with store.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0001")
        with store.engine.connect() as connection:                      # back down: nothing lost either
            assert connection.execute(text("SELECT name, destination FROM span_sessions")).one() == \
                ("VOIPWATCH", "Gi1/0/48")
    finally:
        store.close()


def test_downgrade_to_base_and_up_again(fresh_settings):
    migrate.upgrade(fresh_settings)
    store = open_store(fresh_settings)
    try:
        config = migrate.alembic_config(fresh_settings)
        with store.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
    finally:
        store.close()
    assert tables(fresh_settings) <= {"alembic_version"}
    assert migrate.upgrade(fresh_settings) == migrate.head_revision(fresh_settings)


def test_migrations_folder_can_be_overridden(tmp_path):
    settings = StoreSettings(None, tmp_path, migrations_dir=tmp_path / "nowhere")
    with pytest.raises(ConfigError, match="no Alembic migrations"):
        migrate.upgrade(settings)
    assert migrate.migrations_dir(StoreSettings(None, tmp_path)).name == "migrations"


def _downgrade(settings, revision: str) -> None:
    store = open_store(settings)
    try:
        config = migrate.alembic_config(settings)
        with store.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, revision)
    finally:
        store.close()


def _deliveries(settings) -> list[tuple]:
    store = open_store(settings)
    try:
        with store.engine.connect() as connection:
            return [tuple(r) for r in connection.execute(text(
                "SELECT id, webhook_id, alert_id, state, attempts FROM deliveries ORDER BY id"))]
    finally:
        store.close()


def _insert_hep(settings) -> None:
    store = open_store(settings)
    try:
        with store.engine.begin() as connection:
            connection.execute(text("INSERT INTO webhooks (url, format, enabled, created_at) "
                                    "VALUES ('hep+udp://homer.example:9060', 'hep', true, CURRENT_TIMESTAMP)"))
    finally:
        store.close()


def test_0003_admits_hep_and_keeps_the_outbox(fresh_settings):
    """On SQLite 0003 recreates the webhooks table: the deliveries (ON DELETE CASCADE from webhooks)
    must come through it, both ways; the CHECK admits `hep` only from 0003 on."""
    from sqlalchemy.exc import IntegrityError

    from appliance.store import outbox, queries

    migrate.upgrade(fresh_settings, "0002")
    with pytest.raises(IntegrityError):
        _insert_hep(fresh_settings)
    store = open_store(fresh_settings)
    try:
        with store.session() as s:
            queries.create_webhook(s, store.secrets, "https://noc.example/a")
            queries.create_webhook(s, store.secrets, "syslog+udp://siem.example", "cef")
        with store.engine.begin() as connection:
            hooks = tuple(connection.execute(text("SELECT id FROM webhooks ORDER BY id")).scalars())
            for n in range(3):
                _legacy_alert(connection, endpoint=f"10.0.0.{n}", webhooks=hooks)
        with store.session() as s:
            outbox.mark_delivered(s, 1)
            outbox.mark_failed(s, 2, "refused")
    finally:
        store.close()
    before = _deliveries(fresh_settings)
    assert len(before) == 6 and before[0][3:] == ("delivered", 1) and before[1][3:] == ("pending", 1)

    assert migrate.upgrade(fresh_settings) == migrate.head_revision(fresh_settings)
    assert _deliveries(fresh_settings) == before
    _insert_hep(fresh_settings)
    with pytest.raises(RuntimeError, match="hep webhook"):
        _downgrade(fresh_settings, "0002")
    assert migrate.current_revision(fresh_settings) == migrate.head_revision(fresh_settings)

    store = open_store(fresh_settings)
    try:
        with store.engine.begin() as connection:
            connection.execute(text("DELETE FROM webhooks WHERE format = 'hep'"))
    finally:
        store.close()
    _downgrade(fresh_settings, "0002")
    assert migrate.current_revision(fresh_settings) == "0002"
    assert _deliveries(fresh_settings) == before
    with pytest.raises(IntegrityError):
        _insert_hep(fresh_settings)


def _legacy_alert(connection, *, endpoint: str = "10.0.0.1", type: str = "cleartext_media", peer: str = "10.0.0.2",
                  stream: str | None = None, state: str = "open", severity: str = "high", seen: int = 0,
                  sensor: str = "s1", webhooks: tuple[int, ...] = ()) -> int:
    """An alert row as the store wrote it before 0006 (one per stream), with a delivery per webhook."""
    connection.execute(text("INSERT INTO sensors (id, first_seen, last_seen, packets, drops) SELECT :s, "
                            "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 0, 0 WHERE NOT EXISTS "
                            "(SELECT 1 FROM sensors WHERE id = :t)"), {"s": sensor, "t": sensor})
    stream = stream or f"udp:{endpoint}:{4000 + seen}-{peer}:5000/rtp"
    at = datetime(2025, 3, 1, 12, 0, seen, tzinfo=timezone.utc)
    alert_id = connection.execute(text(
        "INSERT INTO alerts (sensor_id, type, severity, endpoint, peer, stream, summary, evidence, device_class, "
        "dedup_key, state, first_seen, last_seen, count) VALUES (:sensor, :type, :severity, :endpoint, :peer, "
        ":stream, :summary, '[\"payload: PCMU\"]', 'hard_phone', :key, :state, :at, :at, 1) RETURNING id"),
        {"sensor": sensor, "type": type, "severity": severity, "endpoint": endpoint, "peer": peer, "stream": stream,
         "summary": f"{endpoint} sends cleartext PCMU RTP ({seen})", "key": f"{type}-{stream}-{peer}"[-64:],
         "state": state, "at": at.replace(tzinfo=None) if connection.dialect.name == "sqlite" else at}).scalar()
    for hook in webhooks:
        connection.execute(text("INSERT INTO deliveries (webhook_id, alert_id, payload, state, attempts, "
                                "next_attempt_at, created_at) VALUES (:hook, :alert, '{}', 'pending', 0, "
                                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"), {"hook": hook, "alert": alert_id})
    return alert_id


def _moment(row: tuple) -> tuple:
    """(type, endpoint, peer, stream, first seen to the second) whatever the driver returns."""
    return row[:4] + (str(row[5])[:19],)


def _rows(settings, sql: str) -> list[tuple]:
    store = open_store(settings)
    try:
        with store.engine.connect() as connection:
            return [tuple(r) for r in connection.execute(text(sql))]
    finally:
        store.close()


def test_0006_groups_alerts_into_incidents_and_splits_them_back(fresh_settings):
    """Five cleartext calls of one phone (one acknowledged), two of another and a cleartext-signaling
    alert per server become three incidents with their occurrences; downgrading gives the alerts back."""
    migrate.upgrade(fresh_settings, "0004")
    store = open_store(fresh_settings)
    try:
        with store.engine.begin() as connection:
            hook = connection.execute(text(
                "INSERT INTO webhooks (url, format, enabled, created_at) VALUES ('https://noc.example/a', "
                "'generic', true, CURRENT_TIMESTAMP) RETURNING id")).scalar()
            ids = [_legacy_alert(connection, seen=n, state="acknowledged" if n == 1 else "open", webhooks=(hook,))
                   for n in range(5)]
            ids += [_legacy_alert(connection, endpoint="10.0.0.7", seen=n, state="resolved") for n in range(2)]
            for server in ("10.9.9.1", "10.9.9.2"):
                _legacy_alert(connection, type="cleartext_signaling", peer=server, stream="-", severity="medium")
    finally:
        store.close()
    before = _rows(fresh_settings, "SELECT type, endpoint, peer, stream, state, first_seen FROM alerts ORDER BY id")

    migrate.upgrade(fresh_settings)
    incidents = _rows(fresh_settings, "SELECT id, type, endpoint, peer, state, count FROM alerts ORDER BY id")
    assert [row[1:] for row in incidents] == [
        ("cleartext_media", "10.0.0.1", "10.0.0.2", "open", 5), ("cleartext_media", "10.0.0.7", "10.0.0.2",
                                                                  "resolved", 2),
        ("cleartext_signaling", "10.0.0.1", "10.9.9.1", "open", 1),
        ("cleartext_signaling", "10.0.0.1", "10.9.9.2", "open", 1)]
    assert incidents[0][0] == ids[0]
    occurrences = _rows(fresh_settings, "SELECT alert_id, stream FROM alert_occurrences ORDER BY id")
    assert [a for a, _ in occurrences] == [ids[0]] * 5 + [ids[5]] * 2 + [incidents[2][0], incidents[3][0]]
    assert {s for _, s in occurrences[:5]} == {f"udp:10.0.0.1:{4000 + n}-10.0.0.2:5000/rtp" for n in range(5)}
    assert _rows(fresh_settings, "SELECT DISTINCT alert_id FROM deliveries") == [(ids[0],)]
    assert len(_rows(fresh_settings, "SELECT id FROM deliveries")) == 5
    with open_store(fresh_settings) as store, store.session(readonly=True) as session:
        from appliance.store import queries
        assert queries.list_occurrences(session, ids[0]).total == 5
        assert [e.event for e in queries.alert_history(session, ids[0])] == ["opened"]

    _downgrade(fresh_settings, "0004")
    after = _rows(fresh_settings, "SELECT type, endpoint, peer, stream, state, first_seen FROM alerts ORDER BY id")
    assert sorted(_moment(row) for row in after) == sorted(_moment(row) for row in before)
    assert [row[4] for row in after if row[1] == "10.0.0.7"] == ["resolved"] * 2      # the incident's state
    assert {row[4] for row in after if row[1] == "10.0.0.1"} == {"open"}
    assert len(_rows(fresh_settings, "SELECT id FROM deliveries")) == 5


def test_0005_carries_comments_over_and_goes_back(fresh_settings):
    """0005 adds the audit log and the comments' history; an existing comment becomes the first of its
    alert's history, 0006 keeps the history on the incident its alert joins, and downgrading to 0004
    drops both tables and keeps the alerts (with their latest comment)."""
    from appliance.store import audit, queries

    migrate.upgrade(fresh_settings, "0004")
    store = open_store(fresh_settings)
    try:
        with store.engine.begin() as connection:
            first = _legacy_alert(connection, endpoint="10.0.0.5", seen=1)
            _legacy_alert(connection, endpoint="10.0.0.5", seen=2)          # the same phone and cause
            connection.execute(text("UPDATE alerts SET state = 'acknowledged', acknowledged_by = 'noc', "
                                    "acknowledged_at = last_seen, comment = 'phone swapped on Monday' "
                                    "WHERE id = :id"), {"id": first})
    finally:
        store.close()
    assert migrate.upgrade(fresh_settings, "0005") == "0005"
    assert _rows(fresh_settings, "SELECT alert_id, author, text FROM alert_comments") == [
        (first, "noc", "phone swapped on Monday")]
    migrate.upgrade(fresh_settings)
    with open_store(fresh_settings) as store, store.session() as session:
        [alert_id] = session.scalars(text("SELECT id FROM alerts")).all()
        assert [(c.author, c.text) for c in queries.comments(session, alert_id)] == [("noc", "phone swapped on Monday")]
        queries.resolve(session, alert_id, "tier2", "replaced the phone")
        audit.record(session, "tier2", "alert.resolve", f"alert:{alert_id}", {"state": "acknowledged"},
                     {"state": "resolved"})
    with open_store(fresh_settings) as store, store.session() as session:
        assert [c.text for c in queries.comments(session, alert_id)] == ["phone swapped on Monday",
                                                                       "replaced the phone"]
        assert [e.action for e in audit.entries(session)[0]] == ["alert.resolve"]
    _downgrade(fresh_settings, "0004")
    assert "audit_log" not in tables(fresh_settings) and "alert_comments" not in tables(fresh_settings)
    assert ("resolved", "replaced the phone") in _rows(fresh_settings, "SELECT state, comment FROM alerts")
    assert migrate.upgrade(fresh_settings) == migrate.head_revision(fresh_settings)


def test_0007_adds_the_endpoints_vlan_and_drops_it_keeping_the_rows(fresh_settings):
    """Endpoints stored before 0007 keep their rows, with no VLAN; the column takes one; downgrading to
    0006 drops the column and keeps every endpoint (and everything else); upgrading again works."""
    migrate.upgrade(fresh_settings, "0006")
    store = open_store(fresh_settings)
    try:
        with store.engine.begin() as connection:
            _legacy_alert(connection, endpoint="10.0.0.9")                 # also creates sensor s1
            for ip in ("10.0.0.9", "10.0.0.10"):
                connection.execute(text(
                    "INSERT INTO endpoints (sensor_id, ip, mac, device_class, evidence, first_seen, last_seen) "
                    "VALUES ('s1', :ip, '02:00:00:00:00:01', 'hard_phone', '[]', CURRENT_TIMESTAMP, "
                    "CURRENT_TIMESTAMP)"), {"ip": ip})
    finally:
        store.close()

    assert migrate.upgrade(fresh_settings, "0007") == "0007"
    assert _rows(fresh_settings, "SELECT ip, vlan FROM endpoints ORDER BY ip") == [("10.0.0.10", None),
                                                                                ("10.0.0.9", None)]
    store = open_store(fresh_settings)
    try:
        with store.engine.begin() as connection:
            connection.execute(text("UPDATE endpoints SET vlan = 100 WHERE ip = '10.0.0.9'"))
    finally:
        store.close()
    assert _rows(fresh_settings, "SELECT ip, vlan FROM endpoints ORDER BY ip") == [("10.0.0.10", None),
                                                                                ("10.0.0.9", 100)]

    _downgrade(fresh_settings, "0006")
    assert "vlan" not in {c["name"] for c in _columns(fresh_settings, "endpoints")}
    assert _rows(fresh_settings, "SELECT ip, mac, device_class FROM endpoints ORDER BY ip") == [
        ("10.0.0.10", "02:00:00:00:00:01", "hard_phone"), ("10.0.0.9", "02:00:00:00:00:01", "hard_phone")]
    assert len(_rows(fresh_settings, "SELECT id FROM alerts")) == 1            # nothing else touched
    assert migrate.upgrade(fresh_settings, "0007") == "0007"
    assert _rows(fresh_settings, "SELECT vlan FROM endpoints") == [(None,), (None,)]


def _columns(settings, table: str) -> list[dict]:
    store = open_store(settings)
    try:
        return inspect(store.engine).get_columns(table)
    finally:
        store.close()


def test_0008_seeds_the_counters_from_the_rows_and_goes_back(fresh_settings):
    """0008 counts what the store still holds: each incident opened (at its first occurrence's
    severity), its re-openings and resolutions (manual, auto, and those older than the history) and
    every stream with a verdict; downgrading drops the table, upgrading again seeds the same."""
    from appliance.store import counters

    migrate.upgrade(fresh_settings, "0006")
    store = open_store(fresh_settings)
    try:
        with store.engine.begin() as connection:
            media = _legacy_alert(connection, seen=1, severity="critical", state="resolved")
            tls = _legacy_alert(connection, type="weak_tls", endpoint="10.0.0.3", severity="medium")
            legacy = _legacy_alert(connection, endpoint="10.0.0.4", state="resolved")     # resolved before 0006
            connection.execute(text(
                "INSERT INTO alert_occurrences (alert_id, sensor_id, key, severity, summary, evidence, first_seen, "
                "last_seen, recorded_at) SELECT id, sensor_id, dedup_key, :severity, summary, evidence, first_seen, "
                "last_seen, last_seen FROM alerts WHERE id = :id"), {"severity": "high", "id": media})
            connection.execute(text("UPDATE alerts SET resolved_by = 'alice' WHERE id = :id"), {"id": legacy})
            for event, actor in (("opened", None), ("resolved", "alice"), ("reopened", None), ("resolved", None)):
                connection.execute(text("INSERT INTO alert_events (alert_id, at, event, actor) VALUES "
                                        "(:id, CURRENT_TIMESTAMP, :event, :actor)"),
                                   {"id": media, "event": event, "actor": actor})
            for n, encrypted in enumerate((True, False, False, None)):
                connection.execute(text(
                    "INSERT INTO streams (sensor_id, stream_id, src, src_port, dst, dst_port, transport, kind, "
                    "encrypted, payload_types, ssrcs, packets, bytes, first_seen, last_seen, evidence) VALUES "
                    "('s1', :id, '10.0.0.1', 4000, '10.0.0.2', 5000, 'udp', 'rtp', :encrypted, '[]', '[]', 0, 0, "
                    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '[]')"), {"id": f"stream-{n}", "encrypted": encrypted})
    finally:
        store.close()
    assert tls

    def seeded() -> dict[tuple, int]:
        with open_store(fresh_settings) as store, store.session(readonly=True) as session:
            return {(name, tuple(sorted(labels.items()))): value
                    for name, rows in counters.totals(session).items() for labels, value in rows}

    migrate.upgrade(fresh_settings)
    expected = {
        ("incidents_opened", (("sensor", "s1"), ("severity", "high"), ("type", "cleartext_media"))): 2,
        ("incidents_opened", (("sensor", "s1"), ("severity", "medium"), ("type", "weak_tls"))): 1,
        ("incidents_reopened", (("sensor", "s1"), ("type", "cleartext_media"))): 1,
        ("incidents_resolved", (("how", "manual"), ("sensor", "s1"), ("type", "cleartext_media"))): 2,
        ("incidents_resolved", (("how", "auto"), ("sensor", "s1"), ("type", "cleartext_media"))): 1,
        ("streams", (("kind", "rtp"), ("sensor", "s1"), ("verdict", "encrypted"))): 1,
        ("streams", (("kind", "rtp"), ("sensor", "s1"), ("verdict", "cleartext"))): 2}
    assert seeded() == expected
    _downgrade(fresh_settings, "0006")
    assert "counters" not in tables(fresh_settings)
    migrate.upgrade(fresh_settings)
    assert seeded() == expected
