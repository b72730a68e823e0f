"""Notify tests run on the store fixtures (SQLite in tmp_path and PostgreSQL) with real receivers on
127.0.0.1: HTTP servers and syslog collectors in threads, on free ports."""
from __future__ import annotations

import pytest

from tests.notify.receivers import HttpReceiver, SyslogCollector
from tests.store.conftest import backend, pg_server, pg_session_url, settings, store  # noqa: F401  (fixtures)


@pytest.fixture
def receiver():
    server = HttpReceiver()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def syslog_udp():
    collector = SyslogCollector("udp")
    try:
        yield collector
    finally:
        collector.stop()


@pytest.fixture
def syslog_tcp():
    collector = SyslogCollector("tcp")
    try:
        yield collector
    finally:
        collector.stop()
