"""False-alert sweep over the shared corpus: every capture without cleartext media (negatives,
proprietary-encrypted VoIP, SRTP/DTLS-SRTP) must raise no cleartext_media or srtp_downgrade alert.
Skipped where ../shared/corpus is absent."""
from __future__ import annotations

import json

import pytest

from tests.conftest import SHARED, analyze

CORPUS = SHARED / "corpus"
LABELS = CORPUS / "labels.json"
MEDIA_ALERTS = ("cleartext_media", "srtp_downgrade")
# unlabelled corpus files that carry no cleartext media (MANIFEST: proprietary encrypted or negative)
UNLABELLED_CLEAN = ["nDPI/KakaoTalk_talk.pcap", "nDPI/dtls.pcap", "nDPI/dtls_mid_sessions.pcapng",
                    "nDPI/webex.pcap", "nDPI/linecall_falsepositve.pcap", "nDPI/lru_ipv6_caches.pcapng",
                    "heplify/ipv6_udp_fragmented.pcap", "suricata-verify/sdp.pcap"]


def clean_captures() -> list[str]:
    if not LABELS.exists():
        return []
    labels = json.loads(LABELS.read_text())["captures"]
    labelled = [c["file"] for c in labels
                if c.get("no_media") or "cleartext_media" in c.get("forbid", ()) or
                (c.get("media") and all(m["encrypted"] for m in c["media"]))]
    return labelled + [f for f in UNLABELLED_CLEAN if (CORPUS / f).exists()]


@pytest.mark.skipif(not LABELS.exists(), reason="../shared/corpus is not present on this machine")
def test_no_cleartext_media_alert_where_there_is_none():
    captures = clean_captures()
    assert len(captures) >= 60
    false_alerts = {}
    for name in captures:
        report = analyze(CORPUS / name)
        found = sorted({(a["type"], a["endpoint"]) for a in report["alerts"] if a["type"] in MEDIA_ALERTS})
        if found:
            false_alerts[name] = found
    assert false_alerts == {}
