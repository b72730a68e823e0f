"""Which webhook targets the store accepts for the delivery formats (syslog and cef go to syslog+udp://
or syslog+tcp://, the others to http(s)://), and the dispatcher's loop as a service runs it."""
from __future__ import annotations

import json
import threading
import time

import pytest

from appliance.notify import Dispatcher
from appliance.notify.formats import verify
from appliance.notify.webhook import retry_after
from appliance.store import queries
from appliance.store.errors import InvalidValue
from appliance.store.recorder import Recorder
from tests.notify.receivers import LOOPBACK_ALLOWED
from tests.store.helpers import policy_alert


@pytest.mark.parametrize("url, format", [
    ("syslog+udp://siem.example:514", "syslog"), ("syslog+tcp://10.0.0.9:6514", "cef"),
    ("syslog+udp://[2001:db8::9]?facility=local3", "cef"), ("https://hooks.slack.com/services/T/B/X", "slack"),
    ("http://am.example:9093/api/v2/alerts", "alertmanager")])
def test_targets_accepted(store, url, format):
    with store.session() as s:
        assert queries.create_webhook(s, store.secrets, url, format).format == format


@pytest.mark.parametrize("url, format", [
    ("https://siem.example/", "syslog"), ("syslog+udp://siem.example:514", "generic"),
    ("syslog+tcp://:514", "cef"), ("syslog+udp://siem.example:99999", "syslog"), ("http://x", "snmp")])
def test_targets_refused(store, url, format):
    with store.session() as s, pytest.raises(InvalidValue):
        queries.create_webhook(s, store.secrets, url, format)


def test_changing_the_format_checks_the_url(store):
    with store.session() as s:
        hook = queries.create_webhook(s, store.secrets, "https://noc.example/hook").id
    with store.session() as s, pytest.raises(InvalidValue):
        queries.update_webhook(s, store.secrets, hook, format="cef")
    with store.session() as s:
        row = queries.update_webhook(s, store.secrets, hook, url="syslog+tcp://siem.example:514", format="cef")
        assert (row.url, row.format) == ("syslog+tcp://siem.example:514", "cef")


def test_run_loop_delivers_until_stopped(store, receiver):
    with store.session() as s:
        queries.create_webhook(s, store.secrets, receiver.url(), secret="k")
    stop = threading.Event()
    with Dispatcher(store, destinations=LOOPBACK_ALLOWED) as dispatcher:
        thread = threading.Thread(target=dispatcher.run, args=(stop, 0.05), daemon=True)
        thread.start()
        recorder = Recorder(store, "s1")
        for n in range(3):
            recorder.alert(policy_alert(endpoint=f"10.0.0.{n}", first_seen=time.time()))
        deadline = time.monotonic() + 5
        while len(receiver.to("/hook")) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        stop.set()
        thread.join(5)
    assert not thread.is_alive()
    requests = receiver.to("/hook")
    assert [json.loads(r.body)["endpoint"] for r in requests] == ["10.0.0.0", "10.0.0.1", "10.0.0.2"]
    assert all(verify(r.body, r.headers, "k") for r in requests)
    assert not verify(requests[0].body + b" ", requests[0].headers, "k")


def test_helpers():
    assert retry_after("120") == 120 and retry_after("99999") == 3600 and retry_after("soon") is None
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0
