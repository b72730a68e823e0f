"""The destination policy: which addresses and names notifications may reach, how the allow-list is
read (TOML `[notify] allow`, APPLIANCE_NOTIFY_ALLOW), and that every notifier checks it after DNS at
delivery time against real receivers on loopback (refused by default)."""
from __future__ import annotations

import socket

import pytest

from appliance.doctor import webhook_check
from appliance.errors import UsageError
from appliance.notify import Dispatcher
from appliance.notify.delivery import Outgoing
from appliance.notify.destinations import DestinationPolicy, DestinationRefused, literal_address
from appliance.notify.errors import DeliveryError
from appliance.notify.hep import HepNotifier
from appliance.notify.syslog import SyslogNotifier
from appliance.settings import Settings
from appliance.store import queries
from appliance.store.recorder import Recorder
from tests.notify.receivers import LOOPBACK_ALLOWED, HttpReceiver, SyslogCollector
from tests.store.helpers import Clock, policy_alert

DEFAULT = DestinationPolicy()

REFUSED = {
    "169.254.169.254": "cloud metadata", "2852039166": "cloud metadata", "0xa9fea9fe": "cloud metadata",
    "0xA9.0xFE.0xA9.0xFE": "cloud metadata", "0251.0376.0251.0376": "cloud metadata",
    "169.254.43518": "cloud metadata", "[::ffff:169.254.169.254]": "cloud metadata",
    "[::ffff:a9fe:a9fe]": "cloud metadata", "[64:ff9b::a9fe:a9fe]": "cloud metadata",
    "[2002:a9fe:a9fe::1]": "cloud metadata", "[fd00:ec2::254]": "cloud metadata", "100.100.100.200": "cloud metadata",
    "169.254.1.1": "link-local", "[fe80::1]": "link-local", "127.0.0.1": "loopback", "127.1": "loopback",
    "2130706433": "loopback", "[::1]": "loopback", "[::ffff:127.0.0.1]": "loopback", "0.0.0.0": "unspecified",
    "0": "unspecified", "[::]": "unspecified", "224.0.0.1": "multicast", "239.255.255.250": "multicast",
    "[ff02::1]": "multicast", "255.255.255.255": "broadcast",
    "metadata.google.internal": "cloud metadata", "Metadata.Google.Internal.": "cloud metadata",
    "metadata.goog": "cloud metadata", "instance-data": "cloud metadata", "localhost": "loopback",
    "api.localhost": "loopback",
}
ALLOWED = ["10.0.0.5", "172.16.3.4", "192.168.1.10", "[fd12:3456::1]", "100.64.0.1", "hooks.slack.com",
           "siem.corp.example", "8.8.8.8", "[2001:db8::1]"]


@pytest.mark.parametrize("host, what", sorted(REFUSED.items()))
def test_refused_destinations_in_every_spelling(host, what):
    for url in (f"http://{host}/x", f"https://{host}:8443/x", f"syslog+udp://{host}:514", f"hep+tcp://{host}:9060"):
        with pytest.raises(DestinationRefused) as refused:
            DEFAULT.check_url(url)
        assert what in str(refused.value) and "APPLIANCE_NOTIFY_ALLOW" in str(refused.value)


@pytest.mark.parametrize("host", ALLOWED)
def test_private_and_public_destinations_stay_allowed(host):
    DEFAULT.check_url(f"http://{host}/hook")


def test_the_allow_list_takes_networks_and_names():
    policy = DestinationPolicy.parse(["127.0.0.0/8", "169.254.10.0/24", "metadata.google.internal", "fe80::/10"])
    for url in ("http://127.0.0.1:6379/", "http://2130706433/", "http://169.254.10.9/", "http://[fe80::2]/",
                "http://metadata.google.internal/", "http://[::ffff:127.0.0.1]/"):
        policy.check_url(url)
    for url in ("http://169.254.169.254/", "http://[::1]/", "http://localhost/"):     # not listed: still refused
        with pytest.raises(DestinationRefused):
            policy.check_url(url)
    with pytest.raises(ValueError, match="neither a CIDR"):
        DestinationPolicy.parse(["10.0.0.0/33"])
    with pytest.raises(ValueError, match="neither a CIDR"):
        DestinationPolicy.parse(["http://x/"])


def test_literal_addresses_are_read_as_resolvers_read_them():
    assert str(literal_address("2852039166")) == "169.254.169.254"
    assert str(literal_address("0x7f.1")) == "127.0.0.1"
    assert str(literal_address("017700000001")) == "127.0.0.1"
    assert literal_address("deadbeef") is None and literal_address("hooks.example") is None


def test_the_allow_list_comes_from_the_file_or_the_environment(tmp_path):
    config = tmp_path / "appliance.toml"
    config.write_text('[notify]\nallow = ["127.0.0.0/8", "syslog.lab"]\n')
    env = {"APPLIANCE_CONFIG": str(config), "APPLIANCE_DATA_DIR": str(tmp_path)}
    from_file = Settings.from_env(env).notify
    assert from_file.names == {"syslog.lab"} and str(from_file.networks[0]) == "127.0.0.0/8"
    from_env = Settings.from_env({**env, "APPLIANCE_NOTIFY_ALLOW": "10.1.0.0/16, ::1"}).notify
    assert [str(n) for n in from_env.networks] == ["10.1.0.0/16", "::1/128"] and not from_env.names
    assert Settings.from_env({"APPLIANCE_DATA_DIR": str(tmp_path)}).notify == DestinationPolicy()
    with pytest.raises(UsageError, match="APPLIANCE_NOTIFY_ALLOW"):
        Settings.from_env({**env, "APPLIANCE_NOTIFY_ALLOW": "not a network!"})
    config.write_text('[notify]\nallow = "127.0.0.1"\n')
    with pytest.raises(UsageError, match="notify.allow must be a list"):
        Settings.from_env(env)
    config.write_text('[notify]\nallowed = ["127.0.0.1"]\n')
    with pytest.raises(UsageError, match="unknown key notify.allowed"):
        Settings.from_env(env)


def _loopback_names() -> list[str]:
    """Names this host resolves to loopback only (e.g. its own host name in /etc/hosts), no address in them."""
    names = []
    for name in (socket.gethostname(), "ip6-localhost", "ip6-loopback"):
        try:
            found = {info[4][0] for info in socket.getaddrinfo(name, 80, type=socket.SOCK_STREAM)}
        except OSError:
            continue
        if found and all(a.startswith("127.") or a == "::1" for a in found):
            names.append(name)
    return names


def test_a_name_is_checked_once_resolved():
    names = _loopback_names()
    if not names:
        pytest.skip("no host name resolves to loopback only here")
    DEFAULT.check_url(f"http://{names[0]}/")                         # a name: nothing to check without DNS
    with pytest.raises(DestinationRefused, match="loopback"):
        DEFAULT.resolve(names[0], 80)
    assert DestinationPolicy.parse([names[0]]).resolve(names[0], 80)   # listed by name: allowed
    assert LOOPBACK_ALLOWED.resolve(names[0], 80)


def test_the_dispatcher_refuses_loopback_by_default(store):
    """A receiver on loopback, reached by address and by a name that resolves to it: nothing arrives,
    the delivery fails with the policy's message (permanent: three attempts, then given up)."""
    receiver, collector = HttpReceiver(), SyslogCollector("udp")
    urls = [receiver.url("/by-address"), collector.url()] + [f"http://{n}:{receiver.port}/by-name"
                                                            for n in _loopback_names()]
    try:
        with store.session() as s:
            hooks = [queries.create_webhook(s, None, url, "syslog" if url.startswith("syslog") else "generic").id
                     for url in urls]
        clock = Clock()
        Recorder(store, "sensor-1", clock=clock).alert(policy_alert())
        with Dispatcher(store, clock=clock) as dispatcher:
            for _ in range(3):
                dispatcher.run_once()
                clock.now += 3600
        with store.session(readonly=True) as s:
            for hook in hooks:
                [row] = queries.recent_deliveries(s, hook)
                assert row.state == "failed" and row.attempts == 3 and "refused destination" in row.last_error
        assert receiver.requests == [] and collector.messages == []
    finally:
        receiver.stop()
        collector.stop()


def test_hep_and_syslog_notifiers_check_before_sending():
    collector = SyslogCollector("udp")
    try:
        item = Outgoing(1, 1, f"hep+udp://127.0.0.1:{collector.port}", "hep", "homer", policy_alert_dict())
        with pytest.raises(DeliveryError, match="refused destination 127.0.0.1") as refused:
            HepNotifier(timeout=1.0).send(item)
        assert refused.value.permanent
        syslog = Outgoing(2, 1, f"syslog+udp://2130706433:{collector.port}", "syslog", "siem", policy_alert_dict())
        with pytest.raises(DeliveryError, match=r"refused destination 2130706433 \(127.0.0.1\)"):
            SyslogNotifier(timeout=1.0).send(syslog)
        HepNotifier(timeout=1.0, destinations=LOOPBACK_ALLOWED).send(item)   # allow-listed: sent
        assert len(collector.wait(1)) == 1
    finally:
        collector.stop()


def test_doctor_reports_a_refused_webhook():
    check = webhook_check(1, "meta", "http://169.254.169.254/latest", True)
    assert check.status == "FAIL" and "cloud metadata" in check.detail and "APPLIANCE_NOTIFY_ALLOW" in check.fix


def policy_alert_dict() -> dict:
    return {"id": 1, "type": "cleartext_media", "severity": "high", "endpoint": "10.0.0.1", "peer": "10.0.0.2",
            "stream": None, "call_id": "c@x", "summary": "cleartext RTP", "evidence": [], "first_seen": 1.0,
            "device_class": "unknown", "sensor": "s1", "state": "open", "count": 1, "last_seen": 1.0,
            "event": "new"}


@pytest.mark.parametrize("certified", [True, False])
def test_https_goes_to_the_checked_address_and_still_verifies_the_name(store, certified):
    """The request is sent to the resolved address; the Host header and the TLS server name stay the
    configured host, so the receiver's certificate is checked against that name (a wrong one fails)."""
    from datetime import datetime, timedelta, timezone

    import httpx

    from tests.collectors.tls import client_context, make_cert, rsa_key, server_context
    names = [n for n in _loopback_names() if not n.startswith("ip6-")]
    if not names:
        pytest.skip("no host name resolves to IPv4 loopback only here")
    key = rsa_key()
    now = datetime.now(timezone.utc)
    cert = make_cert(key, cn=names[0], sans=(names[0] if certified else "other.example",),
                     not_before=now - timedelta(days=1), not_after=now + timedelta(days=1))
    receiver = HttpReceiver(tls=server_context([cert], key))
    try:
        with store.session() as s:
            hook = queries.create_webhook(s, None, f"https://{names[0]}:{receiver.port}/tls").id
        clock = Clock()
        Recorder(store, "sensor-1", clock=clock).alert(policy_alert())
        with httpx.HTTPTransport(verify=client_context(trust=cert)) as transport, \
                Dispatcher(store, transport=transport, destinations=LOOPBACK_ALLOWED, clock=clock) as dispatcher:
            dispatcher.run_once()
        with store.session(readonly=True) as s:
            [row] = queries.recent_deliveries(s, hook)
        if certified:
            [request] = receiver.to("/tls")
            assert row.state == "delivered" and request.headers["host"] == f"{names[0]}:{receiver.port}"
        else:
            assert row.state == "pending" and "Hostname mismatch" in row.last_error
            assert receiver.requests == []
    finally:
        receiver.stop()


def test_a_configured_notifier_to_a_refused_destination_stops_the_start(store):
    from appliance.notifiers import sync_notifiers
    metadata = {"name": "meta", "url": "http://metadata.google.internal/computeMetadata/v1/", "format": "generic"}
    with pytest.raises(UsageError, match="notifier meta: refused destination metadata.google.internal"):
        sync_notifiers(store, [metadata], environ={}, destinations=DEFAULT)
    allowed = DestinationPolicy.parse(["metadata.google.internal"])
    assert sync_notifiers(store, [metadata], environ={}, destinations=allowed) == ["notifier meta: added (generic)"]
