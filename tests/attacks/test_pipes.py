"""Finding 6 against a running `appliance serve`: a capture piped in (`appliance import FIFO`, as
from `tcpdump -w fifo` or `ssh sensor cat`) is imported without a traceback, and its alerts are
the same as the file's over the API."""
from __future__ import annotations

import os
import threading

from tests.attacks.service import running
from tests.conftest import DATA

CAPTURE = DATA / "lab" / "udp-srtp-fallback.pcap"


def alerts(service) -> list[tuple]:
    items = service.http.get("/api/v1/alerts", headers=service.headers("viewer"), params={"limit": 500}).json()
    return sorted((a["type"], a["endpoint"], a["count"]) for a in items["items"])


def test_import_from_a_fifo_matches_the_file(tmp_path):
    fifo = tmp_path / "capture.fifo"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes(CAPTURE.read_bytes()), daemon=True)
    with running(tmp_path / "piped") as piped, running(tmp_path / "filed") as filed:
        writer.start()
        imported = piped.cli("import", str(fifo))
        writer.join(10)
        assert b"Traceback" not in imported.stderr
        filed.cli("import", str(CAPTURE))
        assert alerts(piped) and alerts(piped) == alerts(filed)
