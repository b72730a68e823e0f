"""GET /api/v1/stats/media, the chart's data: RTP streams per time bucket by verdict, read by viewers."""
from __future__ import annotations

import warnings

from api.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def test_media_over_time_counts_every_rtp_stream_by_verdict(lab):
    with TestClient(create_app(lab.settings, lab.store)) as client:
        viewer = lab.headers("viewer")
        streams = client.get("/api/v1/streams", params={"kind": "rtp", "limit": 500}, headers=viewer).json()["items"]
        series = client.get("/api/v1/stats/media", params={"buckets": 10}, headers=viewer).json()
        assert len(series["buckets"]) == 10
        assert series["start"] == min(s["first_seen"] for s in streams)
        totals = {kind: sum(b[kind] for b in series["buckets"]) for kind in ("encrypted", "cleartext", "unknown")}
        assert totals == {"encrypted": sum(s["encrypted"] is True for s in streams),
                          "cleartext": sum(s["encrypted"] is False for s in streams),
                          "unknown": sum(s["encrypted"] is None for s in streams)}
        assert sum(b["cleartext_packets"] for b in series["buckets"]) == sum(
            s["packets"] for s in streams if s["encrypted"] is False)
        starts = [b["start"] for b in series["buckets"]]
        assert starts == sorted(starts)

        one = client.get("/api/v1/stats/media", params={"sensor": "lab-2", "buckets": 1}, headers=viewer).json()
        lab2 = [s for s in streams if s["sensor"] == "lab-2"]
        assert one["buckets"][0]["encrypted"] + one["buckets"][0]["cleartext"] + one["buckets"][0]["unknown"] == len(lab2)

        empty = client.get("/api/v1/stats/media", params={"since": "2000-01-01T00:00:00Z", "until": 946771200},
                           headers=viewer).json()
        assert sum(b["encrypted"] + b["cleartext"] + b["unknown"] for b in empty["buckets"]) == 0
        assert client.get("/api/v1/stats/media", params={"sensor": "nobody"}, headers=viewer).json()["start"] is None

        assert client.get("/api/v1/stats/media").status_code == 401
        assert client.get("/api/v1/stats/media", params={"buckets": 0}, headers=viewer).status_code == 422
        assert client.get("/api/v1/stats/media", params={"bucket": 5}, headers=viewer).status_code == 422
