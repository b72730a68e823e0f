"""Golden reports of the lab recordings: what the analyzer decided and after how many packets.

`python -m tests.data.lab.golden` rewrites tests/data/lab/*.report.json from the current analyzer;
review the diff before committing it. tests/test_lab_recordings.py compares against these files.
"""
from __future__ import annotations

import json
from pathlib import Path

from appliance.analyze import analyze_files

HERE = Path(__file__).resolve().parent
STREAM_FIELDS = ("id", "kind", "encrypted", "keying", "codec", "packets", "ssrcs", "payload_types",
                 "verdict_after_packets", "verdict_source")
ALERT_FIELDS = ("type", "severity", "endpoint", "peer", "device_class")


def summary(report: dict) -> dict:
    """The decisions of a report, without timestamps, confidence figures or evidence wording."""
    return {
        "streams": [{k: s[k] for k in STREAM_FIELDS} | {"in_call": s["call_id"] is not None}
                    for s in sorted(report["streams"], key=lambda s: s["id"])],
        "signaling": sorted(f"{s['transport']} {s['client']} -> {s['server']}:{s['server_port']}"
                            for s in report["signaling"]),
        "calls": sorted((c["signaling_transport"], c["offer"], c["answer"], c["media_encrypted"], len(c["streams"]))
                        for c in report["calls"]),
        "alerts": sorted(({k: a[k] for k in ALERT_FIELDS} for a in report["alerts"]),
                         key=lambda a: (a["type"], a["endpoint"], a["peer"] or "")),
    }


def golden_path(capture: Path) -> Path:
    return capture.with_suffix(".report.json")


def main() -> None:
    for capture in sorted(HERE.glob("*.pcap")):
        data = summary(analyze_files([str(capture)]))
        golden_path(capture).write_text(json.dumps(data, indent=1, default=list) + "\n")
        print(golden_path(capture).name)


if __name__ == "__main__":
    main()
