"""Streams, calls, endpoints and sensors over HTTP, checked against the reports of the imports that
filled the store (contract voip-report/1 field names)."""
from __future__ import annotations

import pytest

V1 = "/api/v1"
STREAM_FIELDS = ("id", "src", "src_port", "dst", "dst_port", "transport", "kind", "encrypted", "keying", "ssrcs",
                 "payload_types", "codec", "packets", "bytes", "first_seen", "last_seen", "call_id", "confidence",
                 "evidence")
TIMES = ("first_seen", "last_seen")


def listed(client, headers, path: str, **params) -> list[dict]:
    response = client.get(f"{V1}/{path}", params={"limit": 500, **params}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"]) and body["limit"] == 500 and body["offset"] == 0
    return body["items"]


def test_streams_match_the_report(lab, client):
    headers = lab.headers("viewer")
    streams = listed(client, headers, "streams")
    reported = {(sensor, s["id"]): s for sensor, report in lab.reports.items() for s in report["streams"]}
    assert {(s["sensor"], s["id"]) for s in streams} == set(reported)
    for stream in streams:
        expected = reported[(stream["sensor"], stream["id"])]
        exact = [k for k in STREAM_FIELDS if k not in TIMES]
        assert {k: stream[k] for k in exact} == {k: expected[k] for k in exact}
        assert [stream[k] for k in TIMES] == pytest.approx([expected[k] for k in TIMES], abs=1e-6)
        assert client.get(f"{V1}/streams/{stream['row_id']}", headers=headers).json() == stream
    cleartext = listed(client, headers, "streams", encrypted=False, kind="rtp")
    assert cleartext and {s["id"] for s in cleartext} == {s["id"] for s in streams
                                                          if s["encrypted"] is False and s["kind"] == "rtp"}
    one_side = listed(client, headers, "streams", endpoint="10.250.7.11", sensor="lab-2")
    assert one_side and all("10.250.7.11" in (s["src"], s["dst"]) and s["sensor"] == "lab-2" for s in one_side)
    page = client.get(f"{V1}/streams", params={"limit": 2, "offset": 2}, headers=headers).json()
    assert [s["row_id"] for s in page["items"]] == [s["row_id"] for s in streams[2:4]]
    assert page["total"] == len(streams)


def test_calls_with_their_streams(lab, client):
    headers = lab.headers("viewer")
    calls = listed(client, headers, "calls")
    reported = {(sensor, c["call_id"]): c for sensor, report in lab.reports.items() for c in report["calls"]}
    assert {(c["sensor"], c["call_id"]) for c in calls} == set(reported)
    for call in calls:
        expected = reported[(call["sensor"], call["call_id"])]
        assert {k: call[k] for k in ("from", "to", "signaling_transport", "offer", "answer", "media_encrypted")} \
            == {k: expected[k] for k in ("from", "to", "signaling_transport", "offer", "answer", "media_encrypted")}
        detail = client.get(f"{V1}/calls/{call['id']}", headers=headers).json()
        assert sorted(detail.pop("streams")) == sorted(expected["streams"]) and detail == call
    downgraded = listed(client, headers, "calls", media_encrypted=False)
    assert downgraded and all(c["media_encrypted"] is False for c in downgraded)


def test_endpoints_with_posture(lab, client):
    headers = lab.headers("viewer")
    endpoints = listed(client, headers, "endpoints")
    assert {(e["sensor"], e["ip"]) for e in endpoints} == {(sensor, e["ip"]) for sensor, report in
                                                           lab.reports.items() for e in report["endpoints"]}
    for endpoint in endpoints:
        assert set(endpoint["posture"]) == {"signaling_tls", "media_srtp", "keying", "certificate_state",
                                            "last_cleartext_media"}
        assert client.get(f"{V1}/endpoints/{endpoint['id']}", headers=headers).json() == endpoint
    cleartext = listed(client, headers, "endpoints", media_srtp=False)
    assert cleartext and all(e["posture"]["media_srtp"] is False and e["posture"]["last_cleartext_media"]
                             for e in cleartext)
    assert [e["ip"] for e in listed(client, headers, "endpoints", ip="10.250.7.12", sensor="lab-1")] == ["10.250.7.12"]


def test_sensors_count_packets(lab, client):
    sensors = client.get(f"{V1}/sensors", headers=lab.headers("viewer")).json()
    assert {s["id"]: (s["packets"], s["drops"]) for s in sensors} == {
        sensor: (sum(c["packets"] for c in report["captures"]), 0) for sensor, report in lab.reports.items()}


@pytest.mark.parametrize("path", ["streams", "calls", "endpoints"])
def test_missing_rows_are_404_with_a_message(lab, client, path):
    response = client.get(f"{V1}/{path}/987654", headers=lab.headers("viewer"))
    assert response.status_code == 404 and response.json()["detail"].endswith("987654")
    assert client.get(f"{V1}/{path}/0", headers=lab.headers("viewer")).status_code == 422
