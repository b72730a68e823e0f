"""Outside /api/v1: /health, /metrics (parsed with prometheus_client's parser), the uvicorn factory,
and the JSON error bodies."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from api.main import app_factory
from appliance.alerts import ALERT_TYPES, SEVERITIES
from appliance.settings import Settings
from appliance.store import StoreSettings, migrate, open_store, queries
from appliance.store.errors import ConfigError
from appliance.store.importer import import_captures
from tests.api.conftest import KEY, LAB, TestClient


def test_health_reports_the_migration(lab, client):
    body = client.get("/health").json()
    assert body == {"status": "ok", "database": "sqlite", "revision": migrate.head_revision(lab.store.settings),
                    "head": migrate.head_revision(lab.store.settings), "detail": None}


def test_health_and_api_say_503_when_the_store_is_unreachable(tmp_path, lab):
    store = open_store(StoreSettings("postgresql://nobody@127.0.0.1:1/none", tmp_path))
    app = create_app(Settings(data_dir=tmp_path), store)       # no lifespan: nothing can migrate
    client = TestClient(app)
    health = client.get("/health")
    assert health.status_code == 503 and health.json()["status"] == "unavailable"
    api = client.get("/api/v1/alerts", headers=lab.headers("viewer"))
    assert api.status_code == 503 and "unavailable" in api.json()["detail"]
    store.close()


def samples(text: str) -> dict[tuple, float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def test_metrics_read_the_store(lab, client):
    viewer, operator = lab.headers("viewer"), lab.headers("operator")
    assert client.post("/api/v1/webhooks", json={"url": "https://hooks.example.org/"}, headers=operator).is_success
    report = import_captures(lab.store, "lab-3", [str(LAB / "tls-rtp.pcap")])       # writes outbox rows
    response = client.get("/metrics", headers=viewer)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    got = samples(response.text)
    for sensor in client.get("/api/v1/sensors", headers=viewer).json():
        assert got[("appliance_sensor_packets_total", (("sensor", sensor["id"]),))] == sensor["packets"]
        assert got[("appliance_sensor_drops_total", (("sensor", sensor["id"]),))] == sensor["drops"]
    streams = client.get("/api/v1/streams", params={"limit": 500}, headers=viewer).json()["items"]
    for verdict, encrypted in (("encrypted", True), ("cleartext", False)):
        for kind in ("rtp", "rtcp"):
            assert got[("appliance_streams", (("kind", kind), ("verdict", verdict)))] == sum(
                1 for s in streams if s["kind"] == kind and s["encrypted"] is encrypted)
    alerts = client.get("/api/v1/alerts", params={"limit": 500}, headers=viewer).json()["items"]
    for alert_type in {a["type"] for a in alerts}:
        assert got[("appliance_alerts", (("state", "open"), ("type", alert_type)))] == sum(
            1 for a in alerts if a["type"] == alert_type)
    assert got[("appliance_alerts", (("state", "resolved"), ("type", "weak_tls")))] == 0
    assert got[("appliance_webhook_deliveries", (("state", "pending"),))] == len(report["alerts"]) > 0
    assert got[("appliance_webhook_deliveries", (("state", "failed"),))] == 0
    assert client.get("/metrics").status_code == 401


def test_metrics_counters_rise_with_the_lifecycle_and_survive_a_purge(lab, client):
    """The store's counters on /metrics: incidents opened (by type and severity at opening), resolved by
    a person, streams by first verdict; zeros from the start; a retention purge of every row leaves them."""
    viewer, operator = lab.headers("viewer"), lab.headers("operator")
    before = samples(client.get("/metrics", headers=viewer).text)
    assert {labels for name, labels in before if name == "appliance_incidents_opened_total"} == {
        (("severity", severity), ("type", type)) for type in ALERT_TYPES for severity in SEVERITIES}   # zeros too
    import_captures(lab.store, "lab-4", [str(LAB / "tls-rtp.pcap")])
    alerts = client.get("/api/v1/alerts", params={"limit": 500, "sensor": "lab-4"}, headers=viewer).json()["items"]
    streams = client.get("/api/v1/streams", params={"limit": 500, "sensor": "lab-4"}, headers=viewer).json()["items"]
    assert alerts and streams
    for alert in alerts:
        assert client.post(f"/api/v1/alerts/{alert['id']}/resolve", headers=operator).is_success
    client.post(f"/api/v1/alerts/{alerts[0]['id']}/resolve", headers=operator)     # a no-op: not counted twice

    def check(got: dict) -> None:
        def rise(name: str, **labels: str) -> float:
            key = (name, tuple(sorted(labels.items())))
            return got[key] - before.get(key, 0)
        for alert in alerts:
            assert rise("appliance_incidents_opened_total", type=alert["type"], severity=alert["severity"]) == \
                sum(1 for a in alerts if (a["type"], a["severity"]) == (alert["type"], alert["severity"]))
            assert rise("appliance_incidents_resolved_total", type=alert["type"], how="manual") == \
                sum(1 for a in alerts if a["type"] == alert["type"])
        for kind in ("rtp", "rtcp"):
            for verdict, encrypted in (("encrypted", True), ("cleartext", False)):
                assert rise("appliance_streams_total", kind=kind, verdict=verdict) == sum(
                    1 for s in streams if s["kind"] == kind and s["encrypted"] is encrypted)

    check(samples(client.get("/metrics", headers=viewer).text))
    with lab.store.session() as session:
        purged = queries.purge(session, timedelta(0), now=datetime.now(timezone.utc) + timedelta(days=1))
    assert purged["alerts"] >= len(alerts) and purged["streams"] >= len(streams)
    for path in ("alerts", "streams"):                                                  # the rows are gone
        assert client.get(f"/api/v1/{path}", params={"sensor": "lab-4"}, headers=viewer).json()["total"] == 0
    check(samples(client.get("/metrics", headers=viewer).text))


def test_uvicorn_factory_reads_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("APPLIANCE_DATA_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("APPLIANCE_SECRET_KEY", KEY)
    monkeypatch.delenv("APPLIANCE_DATABASE_URL", raising=False)
    app = app_factory()
    with TestClient(app) as client:                 # start-up migrates the new database
        assert client.get("/health").json()["status"] == "ok"
    assert (tmp_path / "state" / "appliance.db").is_file()


def test_a_malformed_secret_key_is_refused_at_start(tmp_path):
    try:
        create_app(Settings(data_dir=tmp_path, secret_key="not-a-fernet-key"))
    except ConfigError as exc:
        assert "Fernet" in str(exc)
    else:
        raise AssertionError("the app started with a malformed secret key")


def test_errors_are_json_with_a_message(lab, client):
    unknown = client.get("/api/v2/alerts")
    assert unknown.status_code == 404 and "/api/v2/alerts" in unknown.json()["detail"]
    wrong_method = client.put("/api/v1/alerts", headers=lab.headers("admin"))
    assert wrong_method.status_code == 405 and wrong_method.json()["detail"] == "PUT is not allowed on /api/v1/alerts"
    broken = client.post("/api/v1/tokens", content=b"{not json", headers=lab.headers("admin") |
                         {"content-type": "application/json"})
    assert broken.status_code == 422 and broken.json()["detail"].startswith("invalid request: body")
    basic = client.get("/api/v1/alerts", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert basic.status_code == 401 and "Bearer" in basic.json()["detail"]
