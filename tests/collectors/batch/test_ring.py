"""A TPACKET_V3 ring block read as one batch gives the frames read one by one (real ring, veth in
namespaces the test creates)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import DATA, need_tool
from tests.live.netns import replay_link, sh


def test_ring_blocks_read_as_batches_give_the_same_frames():
    need_tool("tcpreplay")
    with replay_link() as (mon, monitor_if, src, replay_if):
        probe = subprocess.Popen(["ip", "netns", "exec", mon, sys.executable, "-m", "tests.collectors.batch.ring_probe",
                                  monitor_if, "8"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert probe.stdout.readline().strip() == "ready"
        for name in ("udp-pcmu.pcap", "udp-opus-srtp.pcap"):
            sh("ip", "netns", "exec", src, "tcpreplay", "-q", "--topspeed", "-i", replay_if, str(DATA / "lab" / name))
        out, err = probe.communicate(timeout=60)
    assert probe.returncode == 0, err
    result = json.loads(out)
    assert result["frames"] == 642 and result["batched"] >= 2
    assert result["different"] == 0


def test_ring_blocks_walked_in_c_give_the_frames_and_the_report_read_one_by_one():
    """The compiled walk on a real ring: the frames it hands back, and a whole pipeline's report."""
    from collectors.batch import kernel
    if not kernel.available():
        pytest.skip("the compiled walk is not built here")
    need_tool("tcpreplay")
    with replay_link() as (mon, monitor_if, src, replay_if):
        probe = subprocess.Popen(["ip", "netns", "exec", mon, sys.executable, "-m", "tests.collectors.batch.ring_probe",
                                  monitor_if, "8"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert probe.stdout.readline().strip() == "ready"
        for name in ("udp-pcmu.pcap", "udp-opus-srtp.pcap", "tls-rtp.pcap"):
            sh("ip", "netns", "exec", src, "tcpreplay", "-q", "--topspeed", "-i", replay_if, str(DATA / "lab" / name))
        out, err = probe.communicate(timeout=60)
    assert probe.returncode == 0, err
    result = json.loads(out)
    assert result["frames"] > 642 and result["walked_different"] == 0
    walked_packets, each_packets, walked_bytes, each_bytes = result["walked_packets"]
    assert walked_packets == each_packets == result["frames"] and walked_bytes == each_bytes
    assert result["walked_reports_same"]
