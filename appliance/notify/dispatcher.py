"""The outbox's sender: claims due deliveries, sends each through the notifier of its webhook's format,
and marks it delivered or failed (the store's back-off: 30 s doubling to an hour, given up after 10
attempts). Delivery is at least once: a crash between sending and marking sends those again (same
`X-Appliance-Delivery` id), nothing is lost because the rows were written with the alerts. The deliveries
of a webhook sent in one round are marked together, in one transaction, so a storm of alerts goes out at
the receiver's pace rather than at one commit per delivery.

Order per receiver. A webhook's deliveries go out in alert order (delivery id order): a delivery is sent
only when every older delivery of the same webhook is delivered or has been given up. While the oldest
pending one waits for its retry, the later ones are held back to the same moment (their `next_attempt_at`
is moved, no attempt is counted), so a receiver that comes back gets the backlog in order. One failing
receiver never holds up another.

Permanent failures. HTTP 4xx other than 408/425/429, redirects and unusable URLs will most likely fail
the same way again (bad token, wrong path, payload refused), and a receiver's queue waits behind them.
They get PERMANENT_ATTEMPTS attempts (now, after 30 s, after another minute) instead of 10 (about 8.5
hours), enough to ride out a receiver's restart or a quick fix of its configuration, then the delivery
is given up (state failed, last_error says why) and the ones after it proceed.

Secrets and payloads are never logged; URLs are logged as scheme://host only."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from appliance.notify.delivery import Notifier, Outgoing, redact
from appliance.notify.destinations import DestinationPolicy
from appliance.notify.errors import DeliveryError
from appliance.notify.hep import HepNotifier
from appliance.notify.results import DELIVERY_RESULTS
from appliance.notify.syslog import SyslogNotifier
from appliance.notify.webhook import HttpNotifier, new_transport
from appliance.store import outbox
from appliance.store.columns import from_epoch
from appliance.store.engine import Store
from appliance.store.errors import NotFound, StoreError
from appliance.store.models import Delivery
from appliance.store.webhooks import webhook_secret

log = logging.getLogger(__name__)
PERMANENT_ATTEMPTS = 3
HTTP_FORMATS = ("generic", "slack", "teams", "alertmanager")
SYSLOG_FORMATS = ("syslog", "cef")
HEP_FORMATS = ("hep",)
ALERTMANAGER_REFRESH = 120.0
POLL_INTERVAL = 0.2         # s between looks at an empty outbox: a new alert waits at most this long
PERIODIC_EVERY = 5.0        # s between looks for reminders and Alertmanager refreshes due (minutes apart)
# Deliveries claimed at once. Each claim and each round's marking is a write transaction, and on SQLite
# the dispatcher queues for the write lock behind the collector's group commits: bench/site at 5,000
# phones had the dispatcher waiting for the lock a third of its time with 50 per claim, and the storm's
# webhooks arrived 9 s late. What is claimed but not sent within half the lease is given back.
CLAIM = 500


class Dispatcher:
    def __init__(self, store: Store, clock: Callable[[], float] = time.time,
                 transport: httpx.BaseTransport | None = None, batch: int = CLAIM, timeout: float = 5.0, *,
                 external_url: str = "", notifiers: dict[str, Notifier] | None = None, hostname: str | None = None,
                 max_attempts: int = outbox.MAX_ATTEMPTS, lease: timedelta = outbox.LEASE,
                 destinations: DestinationPolicy | None = None,
                 remind_every: float | None = None, refresh_every: float | None = ALERTMANAGER_REFRESH):
        """`transport`: httpx's connection pool for HTTP receivers (made here, and closed by `close`, when
        None; give one to trust other CAs);
        `remind_every`: re-notify incidents left open (unacknowledged) this often (None: never);
        `refresh_every`: re-send active incidents to Alertmanager receivers this often (below its
        resolve_timeout, 5 min by default, so they stay firing);
        `notifiers`: replace the notifier of some formats; `external_url`: the UI's address, for links
        in messages; `hostname`: the HOSTNAME of syslog messages (default: this host's name).
        `destinations`: where deliveries may go (Settings.notify; the default refuses loopback, link-local,
        metadata, ... — see appliance.notify.destinations). HEP (Homer) targets go through the same
        claim/send/mark path as every other format."""
        self.store, self.clock, self.batch, self.lease = store, clock, batch, lease
        self.external_url, self.max_attempts = external_url, max_attempts
        self.remind_every, self.refresh_every = remind_every, refresh_every
        self.stopping = threading.Event()       # `run`'s stop event: claimed deliveries not sent are given back
        self._periodic_at = float("-inf")       # the clock's time of the next look for reminders and refreshes
        self._own_transport = transport is None
        self.transport = new_transport() if transport is None else transport
        policy = destinations or DestinationPolicy()
        web = HttpNotifier(self.transport, timeout, policy, clock)
        siem, hep = SyslogNotifier(timeout, hostname, policy), HepNotifier(timeout, policy)
        self.notifiers: dict[str, Notifier] = {**{f: web for f in HTTP_FORMATS}, **{f: siem for f in SYSLOG_FORMATS},
                                               **{f: hep for f in HEP_FORMATS}, **(notifiers or {})}

    # -- loop -------------------------------------------------------------------------------------
    def run_once(self) -> int:
        """Claim due deliveries and attempt each (in order per webhook); returns how many were attempted."""
        attempted = 0
        if (self.remind_every or self.refresh_every) and self.clock() >= self._periodic_at:
            self._periodic_at = self.clock() + PERIODIC_EVERY
            with self.store.session() as session:
                outbox.enqueue_periodic(session, self._now(), self.remind_every, self.refresh_every)
        until = time.monotonic() + self.lease.total_seconds() / 2
        for group in self._claim():
            attempted += self._send_group(group, until)
        return attempted

    def run(self, stop_event: threading.Event, interval: float = POLL_INTERVAL) -> None:
        """Dispatch until `stop_event` is set: straight on while there is work, else every `interval` s.
        Once it is set, the delivery in flight is finished and what was claimed and not sent is given back."""
        self.stopping = stop_event
        last_error = None
        while not stop_event.is_set():
            try:
                busy = self.run_once()
                last_error = None
            except Exception as exc:            # the database went away, ...: keep the loop alive
                if str(exc) != last_error:
                    log.exception("webhook dispatch failed; retrying every %g s", interval)
                last_error, busy = str(exc), 0
            if not busy:
                stop_event.wait(interval)

    def close(self) -> None:
        if self._own_transport:
            self.transport.close()

    def __enter__(self) -> Dispatcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- claiming ---------------------------------------------------------------------------------
    def _claim(self) -> list[list[tuple[Outgoing, DeliveryError | None]]]:
        """Lease due rows; hold back those with an older pending delivery of the same webhook that was not
        claimed; return the rest grouped per webhook, oldest first, detached from the session."""
        now = self._now()
        with self.store.session(readonly=True) as session:
            if not outbox.any_due(session, now):
                return []
        with self.store.session() as session:
            rows = outbox.due_deliveries(session, now, self.batch, self.lease)
            if not rows:
                return []
            barriers = _oldest_unclaimed(session, rows)
            groups: dict[int, list[tuple[Outgoing, DeliveryError | None]]] = {}
            held: dict[datetime, list[int]] = {}
            for row in sorted(rows, key=lambda r: r.id):
                barrier = barriers.get(row.webhook_id)
                if barrier is not None and barrier[0] < row.id:
                    held.setdefault(barrier[1], []).append(row.id)
                else:
                    groups.setdefault(row.webhook_id, []).append(self._prepare(row))
            for until, ids in held.items():
                _hold(session, ids, until)
        if held:
            log.debug("held back %d deliveries behind older pending ones", sum(map(len, held.values())))
        return list(groups.values())

    def _prepare(self, row: Delivery) -> tuple[Outgoing, DeliveryError | None]:
        try:
            secret = webhook_secret(self.store.secrets, row.webhook) if row.webhook.secret_encrypted else None
        except StoreError as exc:               # no key configured, or the key changed: fixable, so retried
            return Outgoing.of(row, None, self.external_url), DeliveryError(str(exc))
        return Outgoing.of(row, secret, self.external_url), None

    # -- sending ----------------------------------------------------------------------------------
    def _send_group(self, group: list[tuple[Outgoing, DeliveryError | None]], until: float) -> int:
        """Send one webhook's claimed deliveries in order, up to the first failure; the ones sent are
        marked delivered together (one transaction, not one per delivery: the receiver, not the store,
        should set the pace). Past `until` (a slow receiver), or when the dispatcher stops, the rest are
        given back, due now, before their lease ends. Returns how many were attempted."""
        sent: list[tuple[Outgoing, datetime]] = []
        attempted = 0
        for index, (item, problem) in enumerate(group):
            if time.monotonic() > until or self.stopping.is_set():
                self._give_back([i.delivery_id for i, _ in group[index:]])
                break
            attempted += 1
            error = problem or self._send(item)
            if error is None:
                sent.append((item, self._now()))
                continue
            self._record_sent(sent)
            sent = []
            if not self._record_failure(item, error, later=[i.delivery_id for i, _ in group[index + 1:]]):
                break
        self._record_sent(sent)
        return attempted

    def _give_back(self, delivery_ids: list[int]) -> None:
        with self.store.session() as session:
            _hold(session, delivery_ids, self._now())

    def _record_sent(self, sent: list[tuple[Outgoing, datetime]]) -> None:
        if not sent:
            return
        with self.store.session() as session:
            outbox.mark_all_delivered(session, [(item.delivery_id, at) for item, at in sent])
        for item, _ in sent:
            log.info("delivered %d (alert %s, %s) to webhook %d %s, attempt %d", item.delivery_id,
                     item.alert.get("id"), item.format, item.webhook_id, redact(item.url), item.attempts + 1,
                     extra=_fields(item, "delivered", item.attempts + 1))
            DELIVERY_RESULTS.count(item.format, "delivered")

    def _record_failure(self, item: Outgoing, error: DeliveryError, later: list[int]) -> bool:
        """Count the failed attempt; True when the webhook's next deliveries may go out now (this one
        was given up, or its webhook is gone)."""
        now = self._now()
        try:
            with self.store.session() as session:
                limit = min(PERMANENT_ATTEMPTS, self.max_attempts) if error.permanent else self.max_attempts
                row = outbox.mark_failed(session, item.delivery_id, str(error), now, limit)
                if row.state == "failed":
                    log.warning("gave up delivery %d (alert %s) to webhook %d %s after %d attempts: %s",
                                item.delivery_id, item.alert.get("id"), item.webhook_id, redact(item.url),
                                row.attempts, error, extra=_fields(item, "gave_up", row.attempts))
                    DELIVERY_RESULTS.count(item.format, "gave_up")
                    return True
                if error.retry_after:
                    row.next_attempt_at = max(row.next_attempt_at, now + timedelta(seconds=error.retry_after))
                _hold(session, later, row.next_attempt_at)
                log.warning("delivery %d to webhook %d %s failed (attempt %d, next at %s): %s", item.delivery_id,
                            item.webhook_id, redact(item.url), row.attempts, row.next_attempt_at.isoformat(), error,
                            extra=_fields(item, "retry", row.attempts))
                DELIVERY_RESULTS.count(item.format, "retry")
                return False
        except NotFound:                        # the webhook (and its deliveries) was deleted meanwhile
            return True

    def _send(self, item: Outgoing) -> DeliveryError | None:
        notifier = self.notifiers.get(item.format)
        if notifier is None:
            return DeliveryError(f"no notifier for format {item.format!r}", permanent=True)
        try:
            notifier.send(item)
        except DeliveryError as exc:
            return exc
        except Exception as exc:                # a bug must not stop the loop; retried, then given up
            log.exception("delivery %d: unexpected error from the %s notifier", item.delivery_id, item.format)
            return DeliveryError(f"internal error: {type(exc).__name__}")
        return None

    def _now(self) -> datetime:
        return from_epoch(self.clock())


def _fields(item: Outgoing, result: str, attempt: int) -> dict:
    """The structured fields of a delivery's log line (no secret, no payload, the URL cut to its host)."""
    return {"delivery": item.delivery_id, "webhook": item.webhook_id, "alert": item.alert.get("id"),
            "format": item.format, "receiver": redact(item.url), "result": result, "attempt": attempt}


def _oldest_unclaimed(session: Session, rows: list[Delivery]) -> dict[int, tuple[int, datetime]]:
    """Per webhook of `rows`: (id, next_attempt_at) of its oldest pending delivery not among `rows`,
    when that one is older than a claimed row."""
    claimed = [r.id for r in rows]
    oldest = (select(func.min(Delivery.id))
              .where(Delivery.state == "pending", Delivery.webhook_id.in_(sorted({r.webhook_id for r in rows})),
                     Delivery.id.not_in(claimed), Delivery.id < max(claimed))
              .group_by(Delivery.webhook_id))
    found = session.execute(select(Delivery.webhook_id, Delivery.id, Delivery.next_attempt_at)
                            .where(Delivery.id.in_(oldest)))
    return {hook: (delivery, at) for hook, delivery, at in found}


def _hold(session: Session, delivery_ids: list[int], until: datetime) -> None:
    """Move pending deliveries to `until` without counting an attempt (they wait behind an older one)."""
    if delivery_ids:
        session.execute(update(Delivery).where(Delivery.id.in_(delivery_ids), Delivery.state == "pending")
                        .values(next_attempt_at=until).execution_options(synchronize_session=False))
