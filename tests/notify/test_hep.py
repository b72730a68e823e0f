"""HEP v3 (Homer) deliveries: the Dispatcher sends alerts through the outbox to a real HEP collector on
127.0.0.1 (UDP datagrams, TCP stream), which decodes them with the independent decoder below (written
from the HEP3 specification, not from the product's encoder), and tshark reads a pcap of the packets
when it has a HEP dissector (built in, or a Lua one given in HEP_DISSECTOR_LUA)."""
from __future__ import annotations

import ipaddress
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import zlib

import pytest
from sqlalchemy import select

from appliance.notify import Dispatcher
from appliance.notify.delivery import Outgoing
from appliance.notify.errors import DeliveryError
from appliance.notify.formats import generic
from appliance.notify.hep import HepNotifier, HepTarget, capture_agent_id, packet
from appliance.store import queries
from appliance.store.errors import InvalidValue
from appliance.store.models import Delivery
from appliance.store.recorder import Recorder
from tests.notify.receivers import LOOPBACK_ALLOWED, SyslogCollector, free_port
from tests.store.helpers import T0, Clock, policy_alert

SENSOR_CAPTURE_ID = zlib.crc32(b"sensor-1")


# -- an independent HEP3 decoder ---------------------------------------------------------------------
def decode(data: bytes) -> dict:
    """{"length": total, "chunks": {type id: raw bytes}, "order": [type ids]}; checks every length."""
    assert data[:4] == b"HEP3", data[:16]
    total = int.from_bytes(data[4:6], "big")
    assert total == len(data), (total, len(data))
    chunks, order, offset = {}, [], 6
    while offset < total:
        assert total - offset >= 6, "truncated chunk header"
        vendor = int.from_bytes(data[offset:offset + 2], "big")
        kind = int.from_bytes(data[offset + 2:offset + 4], "big")
        length = int.from_bytes(data[offset + 4:offset + 6], "big")
        assert vendor == 0 and length >= 6 and offset + length <= total, (vendor, kind, length)
        assert kind not in chunks, f"chunk {kind} twice"
        chunks[kind] = data[offset + 6:offset + length]
        order.append(kind)
        offset += length
    return {"length": total, "chunks": chunks, "order": order}


def fields(data: bytes) -> dict:
    """The generic chunks as values."""
    c = decode(data)["chunks"]
    number = lambda kind: int.from_bytes(c[kind], "big")                              # noqa: E731
    family = number(1)
    assert (len(c[1]), len(c[2]), len(c[7]), len(c[8]), len(c[9]), len(c[10]), len(c[11]), len(c[12])) == \
        (1, 1, 2, 2, 4, 4, 1, 4)
    if family == 2:
        assert 5 not in c and 6 not in c and len(c[3]) == len(c[4]) == 4
        src, dst = c[3], c[4]
    else:
        assert family == 10 and 3 not in c and 4 not in c and len(c[5]) == len(c[6]) == 16
        src, dst = c[5], c[6]
    return {"family": family, "proto": number(2), "src": str(ipaddress.ip_address(src)),
            "dst": str(ipaddress.ip_address(dst)), "sport": number(7), "dport": number(8),
            "time": number(9) + number(10) / 1e6, "usec": number(10), "type": number(11),
            "capture_id": number(12), "auth": c[14].decode() if 14 in c else None,
            "payload": json.loads(c[15].decode("utf-8")), "correlation": c[17].decode() if 17 in c else None}


# -- collectors ----------------------------------------------------------------------------------------
class HepCollector(SyslogCollector):
    """HEP3 packets as they arrive: one per datagram (udp), or cut from the stream by their length (tcp)."""

    @property
    def packets(self) -> list[bytes]:
        return self.messages

    def read_frame(self, rfile) -> bytes | None:
        header = rfile.read(6)
        if len(header) < 6:
            return None
        assert header[:4] == b"HEP3"
        return header + rfile.read(int.from_bytes(header[4:6], "big") - 6)

    def url(self) -> str:
        return f"hep+{self.transport}://{self.host}:{self.port}"


@pytest.fixture(params=["udp", "tcp"])
def homer(request):
    collector = HepCollector(request.param)
    try:
        yield collector
    finally:
        collector.stop()


def alert(**overrides) -> dict:
    base = {"event": "new", "id": 7, "sensor": "sensor-1", "state": "open", "count": 2, "type": "sdes_keys_exposed",
            "severity": "critical", "endpoint": "10.0.0.5", "peer": "10.0.0.6", "stream": None,
            "call_id": "abc@pbx", "summary": "SRTP keys in cleartext SIP", "evidence": ["sdp: a=crypto"],
            "device_class": "hard_phone", "first_seen": T0, "last_seen": T0 + 5.25}
    return base | overrides


def item(url: str = "hep+udp://127.0.0.1:9", secret: str | None = None, **overrides) -> Outgoing:
    return Outgoing(1, 1, url, "hep", "homer", alert(**overrides), secret)


# -- through the outbox --------------------------------------------------------------------------------
def test_every_alert_arrives_in_order_with_its_call(store, homer):
    with store.session() as s:
        queries.create_webhook(s, store.secrets, homer.url(), "hep", name="homer")
    clock = Clock()
    recorder = Recorder(store, "sensor-1", clock=clock)
    ids = [recorder.alert(policy_alert(endpoint=f"10.0.0.{n}", call_id=f"call-{n}@pbx", summary=f"cleartext #{n}",
                                       evidence=("sdp: RTP/AVP", f"payload: PCMU [{n}]"))).alert_id
           for n in range(1, 6)]
    with Dispatcher(store, destinations=LOOPBACK_ALLOWED, clock=clock) as dispatcher:
        assert dispatcher.run_once() == 5
    got = [fields(p) for p in homer.wait(5)]
    assert [f["payload"]["id"] for f in got] == ids                        # alert order
    with store.session(readonly=True) as s:
        assert {r.state for r in s.scalars(select(Delivery))} == {"delivered"}
        rows = {r.alert_id: r for r in s.scalars(select(Delivery))}
    for n, f in enumerate(got, 1):
        assert (f["family"], f["proto"], f["type"]) == (2, 17, 100)
        assert (f["src"], f["sport"], f["dst"], f["dport"]) == (f"10.0.0.{n}", 4000, "10.0.0.2", 5000)
        assert f["correlation"] == f"call-{n}@pbx"
        assert f["capture_id"] == SENSOR_CAPTURE_ID and f["auth"] is None
        assert f["time"] == pytest.approx(T0, abs=1e-6)                    # when the traffic was seen
        payload = f["payload"]
        assert payload == generic(Outgoing(0, 0, "", "generic", "", rows[ids[n - 1]].payload))   # the same fields
        assert (payload["endpoint"], payload["call_id"], payload["sensor"]) == (f"10.0.0.{n}", f"call-{n}@pbx",
                                                                                 "sensor-1")
        assert payload["stream"] == f"udp:10.0.0.{n}:4000-10.0.0.2:5000/rtp"
        assert payload["evidence"] == ["sdp: RTP/AVP", f"payload: PCMU [{n}]"] and payload["event"] == "new"


def test_a_homer_that_is_down_gets_retries_then_everything_in_order(store):
    port = free_port()
    with store.session() as s:
        hook = queries.create_webhook(s, store.secrets, f"hep+tcp://127.0.0.1:{port}", "hep").id
    clock = Clock()
    recorder = Recorder(store, "sensor-1", clock=clock)
    ids = [recorder.alert(policy_alert(endpoint=f"10.1.0.{n}")).alert_id for n in range(3)]
    with Dispatcher(store, destinations=LOOPBACK_ALLOWED, clock=clock) as dispatcher:
        dispatcher.run_once()                                   # refused: the first fails, the rest wait
        for _ in range(2):
            clock.now += 3600
            dispatcher.run_once()
        ids.append(recorder.alert(policy_alert(endpoint="10.1.0.9")).alert_id)   # more while it is down
        dispatcher.run_once()
        with store.session(readonly=True) as s:
            rows = list(s.scalars(select(Delivery).where(Delivery.webhook_id == hook).order_by(Delivery.id)))
        assert [r.state for r in rows] == ["pending"] * 4
        assert rows[0].attempts == 3 and all(r.attempts == 0 for r in rows[1:])
        assert "refused" in rows[0].last_error.lower() and "hep/tcp" in rows[0].last_error

        homer = HepCollector("tcp", port)                       # Homer comes up
        try:
            clock.now += 3600
            while dispatcher.run_once():
                pass
            got = [fields(p)["payload"]["id"] for p in homer.wait(4)]
        finally:
            homer.stop()
    assert got == ids                                           # all, once, in order
    with store.session(readonly=True) as s:
        assert {r.state for r in s.scalars(select(Delivery))} == {"delivered"}


# -- what a packet carries ---------------------------------------------------------------------------
def test_ipv6_stream_and_ipv6_endpoint_without_stream(homer):
    notifier = HepNotifier(timeout=2.0, destinations=LOOPBACK_ALLOWED)
    notifier.send(item(homer.url(), endpoint="2001:db8::5", peer="2001:db8::6",
                       stream="udp:2001:db8::5:16384-2001:db8::6:20000/rtp#2", call_id="v6@pbx"))
    notifier.send(item(homer.url(), endpoint="2001:db8::5", peer=None, stream=None, call_id=None))
    with_stream, without = (fields(p) for p in homer.wait(2))
    assert (with_stream["family"], with_stream["proto"]) == (10, 17)
    assert (with_stream["src"], with_stream["sport"], with_stream["dst"], with_stream["dport"]) == (
        "2001:db8::5", 16384, "2001:db8::6", 20000)
    assert with_stream["correlation"] == "v6@pbx"
    assert (without["family"], without["src"], without["sport"], without["dst"], without["dport"]) == (
        10, "2001:db8::5", 0, "::", 0)
    assert without["correlation"] is None


def test_alert_without_stream_or_call_id():
    data = packet(item(stream=None, call_id=None))
    f, chunks = fields(data), decode(data)
    assert (f["family"], f["src"], f["sport"], f["dst"], f["dport"]) == (2, "10.0.0.5", 0, "10.0.0.6", 0)
    assert 17 not in chunks["chunks"] and f["payload"]["call_id"] is None and f["payload"]["stream"] is None
    assert chunks["order"] == [1, 2, 3, 4, 7, 8, 9, 10, 11, 12, 15]
    assert (int(f["time"]), f["usec"]) == (int(T0 + 5.25), 250000)
    alone = fields(packet(item(stream=None, call_id=None, peer=None)))
    assert (alone["src"], alone["dst"]) == ("10.0.0.5", "0.0.0.0")
    tcp = fields(packet(item(stream="tcp:10.0.0.5:5061-10.0.0.6:40000/rtp", call_id="x")))
    assert (tcp["proto"], tcp["sport"], tcp["dport"]) == (6, 5061, 40000)
    garbled = fields(packet(item(stream="not a stream id", call_id=None)))
    assert (garbled["src"], garbled["sport"], garbled["dst"]) == ("10.0.0.5", 0, "10.0.0.6")


def test_capture_agent_id_auth_key_and_size_limit():
    assert capture_agent_id("2001") == 2001 and capture_agent_id("sensor-1") == SENSOR_CAPTURE_ID == 0x573BDFD3
    assert capture_agent_id(str(2 ** 32)) == zlib.crc32(str(2 ** 32).encode())
    assert fields(packet(item(sensor="2002")))["capture_id"] == 2002
    secret = fields(packet(item(secret="homer-pass")))
    assert secret["auth"] == "homer-pass"
    decoded = decode(packet(item(secret="homer-pass")))
    assert decoded["order"] == [1, 2, 3, 4, 7, 8, 9, 10, 11, 12, 14, 15, 17]
    huge = packet(item(evidence=[f"line {n}: " + "x" * 290 for n in range(400)]))
    assert len(huge) <= 65507
    body = fields(huge)["payload"]
    assert body["evidence_truncated"] > 0 and len(body["evidence"]) + body["evidence_truncated"] == 400
    assert body["evidence"][0].startswith("line 0: ")


def test_targets_and_failures(store):
    assert HepTarget.parse("hep+udp://homer.example") == HepTarget("udp", "homer.example", 9060)
    assert HepTarget.parse("hep+tcp://[2001:db8::9]:9061") == HepTarget("tcp", "2001:db8::9", 9061)
    with store.session() as s:
        for url in ("hep+udp://homer.example", "hep+tcp://10.0.0.9:9061", "hep+udp://[2001:db8::9]"):
            assert queries.create_webhook(s, store.secrets, url, "hep").format == "hep"
    for url, format in (("https://homer.example/", "hep"), ("hep+udp://homer.example", "syslog"),
                        ("hep+udp://homer.example", "generic"), ("syslog+udp://homer.example", "hep"),
                        ("hep+sctp://homer.example", "hep"), ("hep+udp://:9060", "hep"),
                        ("hep+udp://homer.example:70000", "hep")):
        with store.session() as s, pytest.raises(InvalidValue):
            queries.create_webhook(s, store.secrets, url, format)
    with pytest.raises(DeliveryError) as caught:
        HepNotifier(timeout=1.0, destinations=LOOPBACK_ALLOWED).send(item(f"hep+tcp://127.0.0.1:{free_port()}"))
    assert not caught.value.permanent and "refused" in str(caught.value).lower()
    with pytest.raises(DeliveryError) as caught:
        HepNotifier().send(item("hep+udp://127.0.0.1:0"))
    assert caught.value.permanent


# -- tshark as a witness -----------------------------------------------------------------------------
def _hep_dissector(tshark: str) -> list[str] | None:
    """The options that give tshark a HEP dissector (none needed when built in), or None."""
    protocols = subprocess.run([tshark, "-G", "protocols"], capture_output=True, text=True, timeout=120).stdout
    if any(line.split("\t")[-1] in ("hep", "hep3") for line in protocols.splitlines()):
        return []
    script = os.environ.get("HEP_DISSECTOR_LUA")
    return ["-X", f"lua_script:{script}"] if script and os.path.isfile(script) else None


def _capture(path, port: int, send) -> None:
    """Capture the UDP datagrams to `port` on loopback with dumpcap while `send()` runs. dumpcap says
    "Capturing on" a moment before it captures: probes to another port show when it does."""
    dumpcap = shutil.which("dumpcap")
    if dumpcap is None:
        pytest.skip("dumpcap is not installed")
    probe = free_port()
    proc = subprocess.Popen([dumpcap, "-i", "lo", "-f", f"udp dst port {port} or udp dst port {probe}", "-P", "-w",
                             str(path)], stderr=subprocess.DEVNULL)
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            deadline = time.monotonic() + 20
            while not (path.exists() and path.stat().st_size > 24):        # more than the pcap file header
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.skip(f"dumpcap cannot capture on lo (exit {proc.poll()})")
                sock.sendto(b"probe", ("127.0.0.1", probe))
                time.sleep(0.1)
        send()
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)                         # dumpcap writes out and stops
        proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


CASES = [("10.0.0.5", "10.0.0.6", 4000, 5000, "abc@pbx"), ("2001:db8::5", "2001:db8::6", 16384, 20000, "v6@pbx")]


def _sent_and_captured(tmp_path) -> tuple[str, object, int, list[bytes]]:
    """tshark, a pcap of the HEP datagrams as they crossed loopback, their port, what the collector got."""
    tshark = shutil.which("tshark")
    if tshark is None:
        pytest.skip("tshark is not installed")
    homer = HepCollector("udp")
    capture = tmp_path / "hep.pcap"

    def send() -> None:
        notifier = HepNotifier(timeout=2.0, destinations=LOOPBACK_ALLOWED)
        for src, dst, sport, dport, call in CASES:
            notifier.send(item(homer.url(), endpoint=src, peer=dst, stream=f"udp:{src}:{sport}-{dst}:{dport}/rtp",
                               call_id=call))
        homer.wait(len(CASES))

    try:
        _capture(capture, homer.port, send)
    finally:
        homer.stop()
    assert len(homer.packets) == len(CASES)
    return tshark, capture, homer.port, homer.packets


def test_tshark_sees_the_datagrams_as_sent(tmp_path):
    """tshark's view of a real capture: UDP to the collector's port, the bytes it received, which the
    test's decoder reads as sent."""
    tshark, capture, port, packets = _sent_and_captured(tmp_path)
    rows = subprocess.run([tshark, "-n", "-r", str(capture), "-Y", f"udp.dstport=={port}",
                           "-d", f"udp.port=={port},data", "-T", "fields",
                           "-e", "ip.src", "-e", "udp.dstport", "-e", "udp.length", "-e", "data.data"],
                          capture_output=True, text=True, timeout=120).stdout.split("\n")
    rows = [row.split("\t") for row in rows if row]
    assert len(rows) == len(CASES)
    for (ip_src, dst_port, length, data), sent, case in zip(rows, packets, CASES):
        wire = bytes.fromhex(data.replace(":", ""))
        assert (ip_src, int(dst_port), int(length), wire) == ("127.0.0.1", port, 8 + len(sent), sent)
        f = fields(wire)
        assert (f["src"], f["dst"], f["sport"], f["dport"], f["correlation"]) == case


def test_tshark_hep_dissector_reads_the_fields(tmp_path):
    """With a HEP dissector (none is built into Wireshark 4.0; sipcapture's hep.lua via HEP_DISSECTOR_LUA):
    version 3, length, ports, capture id, correlation id and payload as tshark shows them."""
    tshark = shutil.which("tshark")
    options = _hep_dissector(tshark) if tshark else None
    if options is None:
        version = subprocess.run([tshark, "-v"], capture_output=True, text=True, timeout=60).stdout.split("\n")[0] \
            if tshark else "tshark is not installed:"
        pytest.skip(f"{version.strip()} has no HEP dissector (set HEP_DISSECTOR_LUA to a Lua one)")
    tshark, capture, port, packets = _sent_and_captured(tmp_path)
    pdml = subprocess.run([tshark, *options, "-n", "-r", str(capture), "-Y", f"udp.dstport=={port}",
                           "-d", f"udp.port=={port},hep", "-T", "pdml"], capture_output=True, text=True,
                          timeout=120).stdout
    import xml.etree.ElementTree as ET
    found = ET.fromstring(pdml).findall("packet")
    assert len(found) == len(CASES)
    for pkt, sent, (src, dst, sport, dport, call) in zip(found, packets, CASES):
        shown = {}
        for field in pkt.iter("field"):
            label = (field.get("showname") or "").split(": ", 1)
            if len(label) == 2:
                shown.setdefault(label[0], field.get("show") or label[1])
        assert shown.get("HEP ID") == "HEP3", shown                                    # version 3
        assert int(shown["Length (Bytes)"]) == len(sent)
        assert (int(shown["Source port"]), int(shown["Destination port"])) == (sport, dport)
        assert int(shown["Capture ID"]) == SENSOR_CAPTURE_ID and shown["Correlation ID"] == call
        assert json.loads(shown["Payload"])["call_id"] == call
