"""The dispatcher's side of the outbox: claiming due deliveries (leased, and locked past other
dispatchers on PostgreSQL), marking them delivered, retrying with back-off, giving up."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from appliance.store import outbox, queries
from appliance.store.recorder import Recorder
from tests.store.helpers import policy_alert

NOW = datetime(2025, 3, 2, 8, 30, tzinfo=timezone.utc)


@pytest.fixture
def pending(store) -> list[int]:
    with store.session() as s:
        queries.create_webhook(s, store.secrets, "https://noc.example/hook", secret="k")
    recorder = Recorder(store, "s1", clock=lambda: NOW.timestamp() - 3600)
    for n in range(3):
        recorder.alert(policy_alert(endpoint=f"10.0.0.{n}"))
    with store.session(readonly=True) as s:
        return [d.id for d in outbox.due_deliveries(s, now=NOW)]


def test_due_deliveries_are_leased_then_delivered(store, pending):
    assert len(pending) == 3
    with store.session() as s:
        claimed = outbox.due_deliveries(s, now=NOW, limit=2)
        assert [d.id for d in claimed] == pending[:2]
        assert claimed[0].webhook.url == "https://noc.example/hook"
        assert queries.webhook_secret(store.secrets, claimed[0].webhook) == "k"
    with store.session() as s:
        assert [d.id for d in outbox.due_deliveries(s, now=NOW)] == pending[2:]     # the others are leased
    with store.session() as s:
        row = outbox.mark_delivered(s, pending[0], now=NOW)
        assert (row.state, row.attempts, row.delivered_at) == ("delivered", 1, NOW)
    with store.session() as s:
        later = NOW + outbox.LEASE + timedelta(seconds=1)
        assert [d.id for d in outbox.due_deliveries(s, now=later)] == pending[1:]   # leases ran out


def test_failures_back_off_then_give_up(store, pending):
    delivery = pending[0]
    now = NOW
    for attempt in range(1, 4):
        with store.session() as s:
            row = outbox.mark_failed(s, delivery, "HTTP 502", now=now, max_attempts=4)
            assert (row.state, row.attempts, row.last_error) == ("pending", attempt, "HTTP 502")
            assert row.next_attempt_at == now + outbox.BACKOFF_BASE * 2 ** (attempt - 1)
        with store.session() as s:
            assert delivery not in [d.id for d in outbox.due_deliveries(s, now=row.next_attempt_at
                                                                         - timedelta(seconds=1))]
        now = row.next_attempt_at
    with store.session() as s:
        assert outbox.mark_failed(s, delivery, "HTTP 502", now=now, max_attempts=4).state == "failed"
    with store.session() as s:
        assert delivery not in [d.id for d in outbox.due_deliveries(s, now=now + timedelta(days=1))]
    assert outbox.backoff(100) == outbox.BACKOFF_CAP


def test_disabled_webhooks_are_not_dispatched(store, pending):
    with store.session() as s:
        hook = queries.list_webhooks(s)[0]
        queries.update_webhook(s, store.secrets, hook.id, enabled=False)
    with store.session() as s:
        assert outbox.due_deliveries(s, now=NOW) == []


def test_two_dispatchers_never_claim_the_same_row(store, pending, backend):
    if backend != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite serialises writers with BEGIN IMMEDIATE)")
    with store.session() as first:
        mine = {d.id for d in outbox.due_deliveries(first, now=NOW, limit=2)}
        with store.session() as second:                    # while the first still holds its row locks
            theirs = {d.id for d in outbox.due_deliveries(second, now=NOW)}
    assert len(mine) == 2 and theirs == set(pending) - mine
