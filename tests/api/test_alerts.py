"""Alerts over HTTP: the filters and both kinds of pagination, the ack/resolve lifecycle and the list's
JSON against its models (SQLite and PostgreSQL), and the evidence download read back with scapy."""
from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest
from scapy.utils import PcapReader

from pydantic import TypeAdapter

from api.app import create_app
from api.schemas import AlertPage, AlertPublic
from appliance.store import queries
from tests.api.conftest import TestClient

ALERTS = "/api/v1/alerts"


def everything(client, headers) -> list[dict]:
    body = client.get(ALERTS, params={"limit": 500}, headers=headers).json()
    assert body["total"] == len(body["items"]) and body["next_cursor"] is None
    return body["items"]


def ids(response) -> list[int]:
    assert response.status_code == 200, response.text
    return [a["id"] for a in response.json()["items"]]


def test_alerts_carry_the_contract_fields(lab, client):
    alerts = everything(client, lab.headers("viewer"))
    assert {a["sensor"] for a in alerts} == {"lab-1", "lab-2"}
    assert {a["type"] for a in alerts} >= {"cleartext_media", "srtp_downgrade", "sdes_keys_exposed",
                                           "cleartext_signaling"}
    contract = {"type", "severity", "endpoint", "peer", "stream", "call_id", "summary", "evidence", "first_seen"}
    for alert in alerts:
        assert contract <= alert.keys() and isinstance(alert["first_seen"], float)
        one = client.get(f"{ALERTS}/{alert['id']}", headers=lab.headers("viewer")).json()
        assert one.pop("comments") == [] and alert == one                # the one alert adds its comments
    assert [a["id"] for a in alerts] == sorted((a["id"] for a in alerts), reverse=True)     # newest first


def test_filters(lab, client):
    headers = lab.headers("viewer")
    alerts = everything(client, headers)

    def expect(params: dict, keep) -> None:
        got = ids(client.get(ALERTS, params={**params, "limit": 500}, headers=headers))
        assert got == [a["id"] for a in alerts if keep(a)], params
        assert got, f"{params} selects nothing in the lab data: a weak test"

    expect({"type": "cleartext_media"}, lambda a: a["type"] == "cleartext_media")
    expect({"type": ["srtp_downgrade", "cleartext_signaling"]},
           lambda a: a["type"] in ("srtp_downgrade", "cleartext_signaling"))
    expect({"severity": "critical"}, lambda a: a["severity"] == "critical")
    expect({"endpoint": "10.250.7.12"}, lambda a: a["endpoint"] == "10.250.7.12")
    expect({"sensor": "lab-2"}, lambda a: a["sensor"] == "lab-2")
    expect({"sensor": "lab-1", "type": "cleartext_media"},
           lambda a: a["sensor"] == "lab-1" and a["type"] == "cleartext_media")
    expect({"state": "open"}, lambda a: True)
    earliest = min(a["first_seen"] for a in alerts)
    expect({"until": earliest}, lambda a: a["first_seen"] <= earliest)                  # epoch seconds
    iso = datetime.fromtimestamp(earliest, timezone.utc).isoformat()
    expect({"until": iso}, lambda a: a["first_seen"] <= earliest)                       # ISO 8601
    expect({"since": iso, "until": iso}, lambda a: a["first_seen"] <= earliest)
    future = client.get(ALERTS, params={"since": "2999-01-01T00:00:00Z"}, headers=headers).json()
    assert future == {"items": [], "total": 0, "next_cursor": None}


def test_offset_and_cursor_pagination(lab, client):
    headers = lab.headers("viewer")
    alerts = [a["id"] for a in everything(client, headers)]
    assert len(alerts) >= 7
    by_offset = []
    for offset in range(0, len(alerts), 3):
        page = client.get(ALERTS, params={"limit": 3, "offset": offset}, headers=headers).json()
        assert page["total"] == len(alerts)
        by_offset += [a["id"] for a in page["items"]]
    assert by_offset == alerts
    by_cursor, cursor = [], None
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = client.get(ALERTS, params=params, headers=headers).json()
        assert page["total"] == len(alerts) and len(page["items"]) <= 3
        by_cursor += [a["id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert by_cursor == alerts


@pytest.mark.parametrize("params,field", [({"limit": 0}, "limit"), ({"limit": 501}, "limit"),
                                          ({"offset": -1}, "offset"), ({"cursor": "x"}, "cursor"),
                                          ({"type": "bogus"}, "type"), ({"state": "closed"}, "state"),
                                          ({"severity": "urgent"}, "severity"), ({"since": "yesterday"}, "since"),
                                          ({"stat": "open"}, "stat"), ({"token": "x"}, "token")])
def test_bad_parameters_are_422_with_a_message(lab, client, params, field):
    response = client.get(ALERTS, params=params, headers=lab.headers("viewer"))
    assert response.status_code == 422
    assert f"query.{field}" in response.json()["detail"]


@pytest.fixture(params=["sqlite", "postgresql"])
def any_lab(request):
    return request.getfixturevalue("lab" if request.param == "sqlite" else "pg_lab")


def test_ack_resolve_lifecycle(any_lab):
    lab = any_lab
    with TestClient(create_app(lab.settings, lab.store)) as client:
        operator, admin = lab.headers("operator"), lab.headers("admin")
        alert = client.get(ALERTS, params={"type": "cleartext_media", "limit": 1}, headers=operator).json()["items"][0]
        url = f"{ALERTS}/{alert['id']}"
        acked = client.post(f"{url}/ack", json={"comment": "calling the user"}, headers=operator).json()
        assert acked["state"] == "acknowledged" and acked["acknowledged_by"] == "operator-user"
        assert acked["comment"] == "calling the user" and acked["acknowledged_at"] is not None
        again = client.post(f"{url}/ack", headers=admin).json()                # no body; repeating is a no-op
        assert (again["acknowledged_by"], again["acknowledged_at"]) == ("operator-user", acked["acknowledged_at"])
        resolved = client.post(f"{url}/resolve", json={"comment": "re-provisioned with SRTP"}, headers=admin).json()
        assert (resolved["state"], resolved["resolved_by"]) == ("resolved", "admin-user")
        assert resolved["comment"] == "re-provisioned with SRTP"
        refused = client.post(f"{url}/ack", headers=operator)
        assert refused.status_code == 409 and "resolved" in refused.json()["detail"]
        assert client.get(url, headers=operator).json() == resolved
        assert [(c["author"], c["text"]) for c in resolved["comments"]] == [
            ("operator-user", "calling the user"), ("admin-user", "re-provisioned with SRTP")]    # appended
        listed = client.get(ALERTS, params={"state": "resolved"}, headers=operator).json()
        assert [a["id"] for a in listed["items"]] == [alert["id"]] and listed["total"] == 1
        other = client.get(ALERTS, params={"state": "open", "limit": 1}, headers=operator).json()["items"][0]
        direct = client.post(f"{ALERTS}/{other['id']}/resolve", headers=operator).json()
        assert direct["state"] == "resolved" and direct["acknowledged_by"] is None
        for action in ("ack", "resolve"):
            missing = client.post(f"{ALERTS}/987654/{action}", headers=operator)
            assert missing.status_code == 404 and missing.json()["detail"] == "no alert 987654"
        bad = client.post(f"{url}/ack", json={"comment": "x", "extra": 1}, headers=operator)
        assert bad.status_code == 422 and "extra" in bad.json()["detail"]


def test_the_list_answers_what_its_models_would(any_lab):
    """The list writes its JSON straight from the store's rows (`alert_rows.page_json`): byte for byte
    what `AlertPage` made from ORM instances through `from_row` gives, open, acknowledged (with a
    comment) and resolved alerts alike."""
    lab = any_lab
    with TestClient(create_app(lab.settings, lab.store)) as client:
        operator = lab.headers("operator")
        first, second = everything(client, operator)[:2]
        client.post(f"{ALERTS}/{first['id']}/ack", json={"comment": "calling the user"}, headers=operator)
        client.post(f"{ALERTS}/{second['id']}/resolve", headers=operator)
        for params in ({"limit": 500}, {"limit": 2}, {"limit": 2, "offset": 1}, {"state": "resolved"},
                       {"type": "cleartext_media", "limit": 1, "cursor": first["id"]}):
            response = client.get(ALERTS, params=params, headers=operator)
            assert response.headers["content-type"] == "application/json"
            assert response.content == _as_models(lab.store, params), params


def _as_models(store, params: dict) -> bytes:
    """The list's body as the route made it before: ORM instances, a model per row, FastAPI's JSON."""
    with store.session(readonly=True) as session:
        page = queries.list_alerts(session, limit=params.get("limit", 50), offset=params.get("offset", 0),
                                   after=params.get("cursor"), state=params.get("state"), type=params.get("type"))
        latest = queries.latest_occurrences(session, [row.id for row in page.items])
        model = AlertPage(items=[AlertPublic.from_row(row, latest.get(row.id)) for row in page.items],
                          total=page.total, next_cursor=page.next_cursor)
    return TypeAdapter(AlertPage).dump_json(model)


def test_evidence_pcap_holds_the_evidence_frames(lab, client):
    headers = lab.headers("viewer")
    alerts = everything(client, headers)
    with lab.store.session(readonly=True) as session:
        frames = {a["id"]: queries.evidence_frames(session, a["id"]) for a in alerts}
    with_frames = [i for i, f in frames.items() if f]
    assert with_frames, "the lab alerts keep evidence frames"
    for alert_id in with_frames:
        response = client.get(f"{ALERTS}/{alert_id}/pcap", headers=headers)
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/vnd.tcpdump.pcap"
        assert f'filename="alert-{alert_id}.pcap"' in response.headers["content-disposition"]
        with PcapReader(io.BytesIO(response.content)) as reader:
            packets = list(reader)
            assert reader.linktype == frames[alert_id][0][1]
        assert [bytes(p) for p in packets] == [frame for _, _, frame in frames[alert_id]]
        assert [float(p.time) for p in packets] == pytest.approx([ts for ts, _, _ in frames[alert_id]], abs=1e-6)
    without = next(i for i, f in frames.items() if not f)
    response = client.get(f"{ALERTS}/{without}/pcap", headers=headers)
    assert response.status_code == 404 and "no evidence" in response.json()["detail"]
    assert client.get(f"{ALERTS}/987654/pcap", headers=headers).json() == {"detail": "no alert 987654"}
