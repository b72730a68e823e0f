"""Incidents and the fleet over HTTP, on the lab store (real captures imported): the alert list holds
incidents with their occurrence count and latest occurrence, whose times are the packets' (the import
time apart); occurrences page by cursor and download as pcap; the fleet summary, trend, endpoint
pages and CSV exports agree with each other and with the inventory."""
from __future__ import annotations

import csv
import io

from scapy.utils import PcapReader

from tests.api.conftest import import_tagged_calls
from tests.api.test_alerts import ALERTS, everything

FLEET = "/api/v1/fleet"


def test_incidents_hold_every_reported_alert_as_an_occurrence(lab, client):
    viewer = lab.headers("viewer")
    incidents = everything(client, viewer)
    reported = [a for report in lab.reports.values() for a in report["alerts"]]
    assert sum(i["occurrences"] for i in incidents) == len(reported)
    assert len({(i["sensor"], i["type"], i["endpoint"], i["peer"] if i["type"] == "cleartext_signaling" else "")
                for i in incidents}) == len(incidents)                 # one incident per phone and cause
    for incident in incidents:
        latest = incident["latest_occurrence"]
        assert latest["alert_id"] == incident["id"] and incident["occurrences"] == incident["count"]
        mine = [a for a in lab.reports[incident["sensor"]]["alerts"]
                if (a["type"], a["endpoint"]) == (incident["type"], incident["endpoint"])]
        assert incident["first_seen"] == min(a["first_seen"] for a in mine)         # packet time
        assert incident["recorded_at"] > incident["last_seen"]                      # the import, kept apart


def test_occurrences_page_by_cursor_and_download_as_pcap(lab, client):
    viewer = lab.headers("viewer")
    incident = next(i for i in everything(client, viewer) if i["type"] == "cleartext_media")
    url = f"{ALERTS}/{incident['id']}/occurrences"
    seen, cursor = [], None
    while True:
        body = client.get(url, params={"limit": 1} | ({"cursor": cursor} if cursor else {}), headers=viewer).json()
        assert body["total"] == incident["occurrences"]
        seen += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == incident["occurrences"] and seen[0] == incident["latest_occurrence"]
    assert client.get(url, params={"since": "2100-01-01T00:00:00Z"}, headers=viewer).json()["total"] == 0
    assert client.get(url, params={"since": "yesterday"}, headers=viewer).status_code == 422

    response = client.get(f"{url}/{seen[0]['id']}/pcap", headers=viewer)
    assert response.status_code == 200 and response.headers["content-type"] == "application/vnd.tcpdump.pcap"
    with PcapReader(io.BytesIO(response.content)) as reader:
        packets = list(reader)
    stream = seen[0]["stream"]                      # udp:SRC:SPORT-DST:DPORT/rtp: its frames carry that source
    source = bytes(int(part) for part in stream.split(":")[1].split("."))
    assert packets and all(source in bytes(p) for p in packets)
    other = next(i for i in everything(client, viewer) if i["id"] != incident["id"])
    assert client.get(f"{ALERTS}/{other['id']}/occurrences/{seen[0]['id']}/pcap", headers=viewer).status_code == 404


def test_history_records_who_acknowledged(lab, client):
    incident = everything(client, lab.headers("viewer"))[0]
    history = f"{ALERTS}/{incident['id']}/history"
    assert [e["event"] for e in client.get(history, headers=lab.headers("viewer")).json()] == ["opened"]
    assert client.post(f"{ALERTS}/{incident['id']}/ack", headers=lab.headers("operator")).status_code == 200
    events = client.get(history, headers=lab.headers("viewer")).json()
    assert [(e["event"], e["actor"]) for e in events] == [("opened", None), ("acknowledged", "operator-user")]


def test_fleet_summary_counts_every_endpoint_once(lab, client):
    viewer = lab.headers("viewer")
    endpoints = client.get("/api/v1/endpoints", params={"limit": 500}, headers=viewer).json()["total"]
    summary = client.get(f"{FLEET}/summary", headers=viewer).json()
    assert summary["total"] == endpoints == sum(summary["postures"].values())
    assert summary["postures"]["cleartext_media"] >= 1 and summary["postures"]["keys_exposed"] >= 1
    for group_by in ("sensor", "vendor_model", "subnet", "vlan", "device_class"):
        grouped = client.get(f"{FLEET}/summary", params={"group_by": group_by}, headers=viewer).json()
        assert sum(g["total"] for g in grouped["groups"]) == endpoints
        for posture, count in summary["postures"].items():
            assert sum(g["postures"][posture] for g in grouped["groups"]) == count
    sensors = client.get(f"{FLEET}/summary", params={"group_by": "sensor"}, headers=viewer).json()["groups"]
    assert {g["group"] for g in sensors} == {"lab-1", "lab-2"}
    refused = client.get(f"{FLEET}/summary", params={"group_by": "colour"}, headers=viewer)
    assert refused.status_code == 422 and "group_by" in refused.text


def test_fleet_groups_by_the_vlan_of_tagged_phone_traffic(lab, client, tmp_path):
    """Phones whose frames came 802.1Q-tagged group under their VLAN id, the lab's untagged ones under
    "untagged"; each group's counts are those of the endpoints listed with that VLAN, which the
    endpoint API and the CSV export show."""
    tagged = import_tagged_calls(lab.store, tmp_path)
    viewer = lab.headers("viewer")
    grouped = client.get(f"{FLEET}/summary", params={"group_by": "vlan"}, headers=viewer).json()
    groups = {g["group"]: g for g in grouped["groups"]}
    assert grouped["group_by"] == "vlan" and set(groups) == {"100", "200", "untagged"}
    assert groups["100"]["total"] == 2 and groups["100"]["postures"]["cleartext_media"] == 2
    assert groups["200"]["total"] == 2 and groups["200"]["postures"]["cleartext_signaling"] == 2

    listed = client.get(f"{FLEET}/endpoints", params={"limit": 500}, headers=viewer).json()["items"]
    assert {e["ip"]: e["vlan"] for e in listed if e["vlan"] is not None} == tagged
    for name, group in groups.items():
        members = [e for e in listed if str(e["vlan"] or "untagged") == name]
        assert group["total"] == len(members)
        assert group["postures"] == {p: sum(e["compliance"] == p for e in members) for p in group["postures"]}
    inventory = client.get("/api/v1/endpoints", params={"limit": 500}, headers=viewer).json()["items"]
    assert {e["ip"]: e["vlan"] for e in inventory if e["sensor"] == "tagged"} == tagged
    rows = csv.DictReader(io.StringIO(client.get(f"{FLEET}/endpoints.csv", headers=viewer).text))
    assert {r["ip"]: r["vlan"] for r in rows if r["vlan"]} == {ip: str(vlan) for ip, vlan in tagged.items()}


def test_fleet_endpoints_by_posture_and_cursor(lab, client):
    viewer = lab.headers("viewer")
    summary = client.get(f"{FLEET}/summary", headers=viewer).json()
    for posture, count in summary["postures"].items():
        body = client.get(f"{FLEET}/endpoints", params={"posture": posture}, headers=viewer).json()
        assert body["total"] == count and {e["compliance"] for e in body["items"]} <= {posture}
    seen, cursor = [], None
    while True:
        body = client.get(f"{FLEET}/endpoints", params={"limit": 2} | ({"cursor": cursor} if cursor else {}),
                          headers=viewer).json()
        seen += [e["id"] for e in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == summary["total"]


def test_the_trend_counts_phones_per_day_of_the_traffic(lab, client):
    viewer = lab.headers("viewer")
    firsts = [a["first_seen"] for report in lab.reports.values() for a in report["alerts"]]
    days = client.get(f"{FLEET}/trend", params={"since": min(firsts) - 86400, "until": max(firsts) + 86400},
                      headers=viewer).json()
    assert 3 <= len(days) and sum(d["non_compliant"] for d in days) >= 1
    busy = [d for d in days if d["non_compliant"]]
    assert all(d["by_type"]["cleartext_media"] <= d["non_compliant"] for d in busy)
    assert client.get(f"{FLEET}/trend", params={"until": "not-a-time"}, headers=viewer).status_code == 422


def test_csv_exports_parse_and_match_the_lists(lab, client):
    viewer = lab.headers("viewer")
    response = client.get(f"{FLEET}/endpoints.csv", headers=viewer)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    summary = client.get(f"{FLEET}/summary", headers=viewer).json()
    assert len(rows) == summary["total"]
    assert {p: sum(r["compliance"] == p for r in rows) for p in summary["postures"]} == summary["postures"]
    incidents = list(csv.DictReader(io.StringIO(client.get(f"{FLEET}/incidents.csv", headers=viewer).text)))
    listed = everything(client, viewer)
    assert sorted(int(r["id"]) for r in incidents) == sorted(i["id"] for i in listed)
    assert sum(int(r["occurrences"]) for r in incidents) == sum(i["occurrences"] for i in listed)


def test_every_inventory_list_takes_a_window_and_a_cursor(lab, client):
    viewer = lab.headers("viewer")
    for name, key in (("streams", "row_id"), ("calls", "id"), ("endpoints", "id")):
        url = f"/api/v1/{name}"
        everything = client.get(url, params={"limit": 500}, headers=viewer).json()
        seen, cursor = [], 0
        while cursor is not None:
            body = client.get(url, params={"limit": 2, "cursor": cursor}, headers=viewer).json()
            assert body["total"] == everything["total"]
            seen += [row[key] for row in body["items"]]
            cursor = body["next_cursor"]
        assert seen == sorted((row[key] for row in everything["items"]), reverse=True), name
        assert client.get(url, params={"until": "2000-01-01T00:00:00Z"}, headers=viewer).json()["total"] == 0
        assert client.get(url, params={"since": "2100-01-01T00:00:00Z"}, headers=viewer).json()["total"] == 0
        assert client.get(url, params={"cursor": -1}, headers=viewer).status_code == 422
