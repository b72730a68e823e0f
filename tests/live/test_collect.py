"""Live capture on a mirror port, in namespaces the tests create: the live report of recorded calls
replayed in real time equals the offline report of the same capture, with 1 and 2 workers; drops are
true counts; errors are one clear line; an alert appears while a real baresip call is running."""
from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from collectors.sources.pcapfile import PcapFileSource
from tests.conftest import APPLIANCE, DATA, analyze, need_tool, validate_report
from tests.live.netns import replay_link, sh, span_lab
from tests.synth.capture import CallSpec, build_call

LAB = DATA / "lab"


def collect_cmd(ns: str, interface: str, *args: str) -> list[str]:
    return ["ip", "netns", "exec", ns, str(APPLIANCE), "collect", "--interface", interface, *args]


def wait_ready(collector: subprocess.Popen, timeout: float = 60.0) -> None:
    """Block until the collector says every worker listens (its stderr line), however loaded the
    machine is; the rest of stderr stays readable through communicate()."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = collector.stderr.readline()
        if not line:
            break
        if line.startswith("appliance: capturing"):
            return
    raise AssertionError("the collector never reported that it was capturing")


def decisions(report: dict) -> dict:
    streams = sorted((s["id"], s["kind"], s["encrypted"], s["keying"], s["codec"], s["packets"], s["call_id"])
                     for s in report["streams"])
    alerts = sorted((a["type"], a["endpoint"], a["severity"]) for a in report["alerts"])
    calls = sorted((c["call_id"], c["offer"], c["answer"], c["media_encrypted"]) for c in report["calls"])
    return {"streams": streams, "alerts": alerts, "calls": calls}


def replay_live(capture, workers: int) -> dict:
    need_tool("tcpreplay")
    times = [frame.ts for frame in PcapFileSource(str(capture)).packets()]
    duration = f"{times[-1] - times[0] + 5:.1f}"      # the replay in real time, and some slack
    with replay_link() as (mon, monitor_if, src, replay_if):
        collector = subprocess.Popen(collect_cmd(mon, monitor_if, "--duration", duration, "--format", "json",
                                                 "--workers", str(workers)),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_ready(collector)
        sh("ip", "netns", "exec", src, "tcpreplay", "-q", "-i", replay_if, str(capture))
        out, err = collector.communicate(timeout=60)
    assert collector.returncode == 0, err
    return validate_report(json.loads(out))


@pytest.mark.parametrize("name, workers", [("udp-srtp-fallback.pcap", 1), ("udp-srtp.pcap", 2),
                                           ("sipp-tcp-pcap.pcap", 2)])
def test_live_report_equals_offline_report(name, workers):
    live = replay_live(LAB / name, workers)
    offline = analyze(LAB / name)
    assert decisions(live) == decisions(offline)
    [capture] = live["captures"]
    assert capture["path"].startswith("live:") and capture["drops"] == 0
    assert capture["packets"] == offline["captures"][0]["packets"]


def test_by_default_a_core_is_left_to_the_coordinator():
    """Without --workers: one capture worker per core but one (at least one), each a child of the
    collector, which coordinates them (policy, store) in a process of its own; the report is the offline
    one."""
    need_tool("tcpreplay")
    capture = LAB / "udp-srtp.pcap"
    times = [frame.ts for frame in PcapFileSource(str(capture)).packets()]
    with replay_link() as (mon, monitor_if, src, replay_if):
        collector = subprocess.Popen(collect_cmd(mon, monitor_if, "--duration", f"{times[-1] - times[0] + 5:.1f}",
                                                 "--format", "json"),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_ready(collector)
        children = Path(f"/proc/{collector.pid}/task/{collector.pid}/children").read_text().split()
        sh("ip", "netns", "exec", src, "tcpreplay", "-q", "-i", replay_if, str(capture))
        out, err = collector.communicate(timeout=60)
    assert collector.returncode == 0, err
    assert len(children) == max(1, (os.cpu_count() or 1) - 1)
    live = validate_report(json.loads(out))
    assert decisions(live) == decisions(analyze(capture))
    assert live["captures"][0]["drops"] == 0


def test_vlan_tagged_mirror_traffic_is_captured(tmp_path):
    call = build_call(CallSpec(vlans=(200,), duration=2.0, seed=31))
    path = call.write(tmp_path / "vlan.pcap")
    live = replay_live(path, 1)
    assert decisions(live) == decisions(analyze(path))
    assert len([s for s in live["streams"] if s["kind"] == "rtp"]) == 2


def test_drops_are_true_counts(tmp_path):
    """A flood into a small ring: frames processed + kernel drops = frames sent."""
    need_tool("tcpreplay")
    call = build_call(CallSpec(duration=20.0, seed=32, rtcp=False))
    path = call.write(tmp_path / "flood.pcap")
    sent = len(call.frames) * 5
    with replay_link() as (mon, monitor_if, src, replay_if):
        collector = subprocess.Popen(collect_cmd(mon, monitor_if, "--duration", "6", "--format", "json",
                                                 "--workers", "1", "--ring-kib", "128"),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_ready(collector)
        sh("ip", "netns", "exec", src, "tcpreplay", "-q", "--topspeed", "--loop", "5", "-i", replay_if, str(path))
        out, err = collector.communicate(timeout=60)
    assert collector.returncode == 0, err
    [capture] = json.loads(out)["captures"]
    assert capture["packets"] + capture["drops"] == sent
    assert capture["drops"] > 0, "the flood should overrun a 128 KiB ring"


def test_missing_interface_is_one_clear_line():
    proc = subprocess.run([str(APPLIANCE), "collect", "--interface", "no-such-if0", "--duration", "1"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip().splitlines() == ["appliance: error: interface 'no-such-if0' does not exist"]


def test_missing_privilege_is_one_clear_line():
    need_tool("setpriv")
    with replay_link() as (mon, monitor_if, _src, _replay_if):
        proc = subprocess.run(["ip", "netns", "exec", mon, "setpriv", "--reuid=65534", "--regid=65534",
                               "--clear-groups", "--inh-caps=-all", "--bounding-set=-all",
                               str(APPLIANCE), "collect", "--interface", monitor_if, "--duration", "1"],
                              capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith("appliance: error:") and "CAP_NET_RAW" in line


def test_alert_arrives_while_a_real_call_is_running(tmp_path):
    """baresip calls across a mirrored bridge; the collector prints cleartext_media alerts as JSON
    lines, and the first one arrives while both phones are still in the call."""
    need_tool("baresip")
    with span_lab() as lab:
        collector = subprocess.Popen(collect_cmd(lab["mon"], lab["monitor_if"], "--format", "jsonl",
                                                 "--workers", "2", "--duration", "25"),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_ready(collector)
        phones = start_call(lab, tmp_path, seconds=8)
        alert, running = None, None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = collector.stdout.readline()
            if not line:
                break
            record = json.loads(line)
            if record["type"] == "cleartext_media":
                alert, running = record, all(p.poll() is None for p in phones)
                break
        for phone in phones:
            phone.wait(timeout=30)
        collector.terminate()
        collector.wait(timeout=30)
    assert alert is not None, "no cleartext_media alert"
    assert running, "the alert came only after the call had ended"
    assert alert["endpoint"] in (lab["a_ip"], lab["b_ip"]) and alert["severity"] in ("high", "critical")


def baresip_config(directory, user: str, ip: str, interface: str, ports: str, answer: str) -> None:
    directory.mkdir()
    (directory / "config").write_text("\n".join([
        "poll_method epoll", f"sip_listen {ip}:5060", "audio_player aubridge,nil" + user,
        "audio_alert aubridge,nil" + user, "audio_source ausine,440", "ausrc_srate 48000", "ausrc_channels 2",
        "auplay_srate 48000", "auplay_channels 2", f"rtp_ports {ports}", "rtcp_mux no", f"net_interface {interface}",
        "module_path /usr/lib/baresip/modules", "module g711.so", "module ausine.so", "module aubridge.so",
        "module_tmp uuid.so", "module_tmp account.so", "module_app menu.so", ""]))
    (directory / "accounts").write_text(f"<sip:{user}@{ip}>;regint=0;answermode={answer};audio_codecs=PCMU\n")
    (directory / "contacts").write_text("")


def start_call(lab: dict, tmp_path, seconds: int) -> list[subprocess.Popen]:
    baresip_config(tmp_path / "b", "b", lab["b_ip"], lab["b_if"], "30000-30999", "auto")
    baresip_config(tmp_path / "a", "a", lab["a_ip"], lab["a_if"], "20000-20999", "manual")
    callee = subprocess.Popen(["ip", "netns", "exec", lab["b"], "baresip", "-4", "-f", str(tmp_path / "b"),
                               "-t", str(seconds + 6)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    time.sleep(1.5)
    caller = subprocess.Popen(["ip", "netns", "exec", lab["a"], "baresip", "-4", "-f", str(tmp_path / "a"),
                               "-t", str(seconds + 2), "-e", f"/dial sip:b@{lab['b_ip']}"],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return [caller, callee]


def test_cap_net_raw_and_cap_net_admin_are_enough():
    """Least privilege: an unprivileged user holding only CAP_NET_RAW and CAP_NET_ADMIN captures."""
    need_tool("setpriv")
    need_tool("tcpreplay")
    with replay_link() as (mon, monitor_if, src, replay_if):
        collector = subprocess.Popen(
            ["ip", "netns", "exec", mon, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
             "--inh-caps=-all,+net_raw,+net_admin", "--ambient-caps=-all,+net_raw,+net_admin",
             str(APPLIANCE), "collect", "--interface", monitor_if, "--duration", "6", "--format", "json",
             "--workers", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_ready(collector)
        sh("ip", "netns", "exec", src, "tcpreplay", "-q", "--topspeed", "-i", replay_if, str(LAB / "udp-pcmu.pcap"))
        out, err = collector.communicate(timeout=60)
    assert collector.returncode == 0, err
    report = validate_report(json.loads(out))
    assert report["captures"][0]["packets"] == analyze(LAB / "udp-pcmu.pcap")["captures"][0]["packets"]


def test_collect_records_into_the_store(tmp_path):
    """`collect --store`: alerts, streams and the sensor's counters land in the store."""
    from appliance.store import StoreSettings, open_store
    from appliance.store.queries import list_alerts, list_sensors, list_streams
    need_tool("tcpreplay")
    env = {**__import__("os").environ, "APPLIANCE_DATA_DIR": str(tmp_path / "data"), "APPLIANCE_SENSOR_ID": "span-1"}
    env.pop("APPLIANCE_DATABASE_URL", None)
    with replay_link() as (mon, monitor_if, src, replay_if):
        collector = subprocess.Popen(collect_cmd(mon, monitor_if, "--duration", "8", "--format", "jsonl",
                                                 "--workers", "2", "--store"),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        wait_ready(collector)
        sh("ip", "netns", "exec", src, "tcpreplay", "-q", "-i", replay_if, str(LAB / "udp-srtp-fallback.pcap"))
        out, err = collector.communicate(timeout=60)
    assert collector.returncode == 0, err
    printed = {(a["type"], a["endpoint"]) for a in map(json.loads, out.splitlines())}
    store = open_store(StoreSettings(None, tmp_path / "data"))
    with store.session(readonly=True) as session:
        stored = {(a.type, a.endpoint) for a in list_alerts(session, sensor="span-1", limit=100).items}
        [sensor] = list_sensors(session)
        streams = list_streams(session).items
    store.close()
    assert stored == printed and ("srtp_downgrade", "10.250.7.12") in stored   # B answered plain to A's SRTP offer
    assert sensor.packets == analyze(LAB / "udp-srtp-fallback.pcap")["captures"][0]["packets"]
    assert len([s for s in streams if s.kind == "rtp"]) == 2
