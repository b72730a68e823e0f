"""The live alert feed behind GET /api/v1/alerts/stream: what changed in the alerts table since the
last poll. An alert is sent when it is new (id above the highest seen) and again when it changes —
fires again (last_seen, count), is acknowledged or resolved, or re-opens.

The store has no "changed since" query (alerts carry no updated-at column), so this reads the alerts
table itself: rows with a higher id, or whose last_seen / acknowledged_at / resolved_at fall after a
watermark that trails the clock by `MARGIN` (writers' clocks and commit delays), deduplicated by a
fingerprint of the fields that change. A repeated ack or resolve that only replaces the comment moves
none of those timestamps, so it is not sent."""
from __future__ import annotations

from collections import OrderedDict
from datetime import timedelta

from sqlalchemy import func, or_, select

from api.schemas import AlertPublic
from appliance.store import Store
from appliance.store.columns import utcnow
from appliance.store.models import Alert

MARGIN = timedelta(seconds=10)
BATCH = 500
REMEMBERED = 10_000


class AlertFeed:
    def __init__(self, store: Store, after: int | None = None):
        self.store = store
        self.last_id = after
        self._since = utcnow() - MARGIN
        self._sent: OrderedDict[int, tuple] = OrderedDict()

    def prime(self) -> None:
        """Start from now: alerts that exist are not sent (unless after a Last-Event-ID) until they change."""
        with self.store.session(readonly=True) as session:
            if self.last_id is None:
                self.last_id = session.scalar(select(func.max(Alert.id))) or 0
            for row in self._changed(session):
                if row.id <= self.last_id:          # newer ones (after a Last-Event-ID) go out on the first poll
                    self._remember(row)

    def poll(self) -> list[AlertPublic]:
        started = utcnow()
        with self.store.session(readonly=True) as session:
            rows = list(self._changed(session))
            out = [AlertPublic.from_row(row) for row in rows if self._remember(row)]
        if len(rows) < BATCH:
            self._since = started - MARGIN
        return out

    def _changed(self, session):
        since = self._since
        query = (select(Alert).where(or_(Alert.id > self.last_id, Alert.last_seen >= since,
                                         Alert.acknowledged_at >= since, Alert.resolved_at >= since))
                 .order_by(Alert.id).limit(BATCH))
        return session.scalars(query)

    def _remember(self, row: Alert) -> bool:
        """Note the row's state; True when it differs from what was last sent."""
        fingerprint = (row.state, row.count, row.last_seen, row.acknowledged_at, row.resolved_at, row.comment,
                       row.severity, row.summary)
        self.last_id = max(self.last_id or 0, row.id)
        if self._sent.get(row.id) == fingerprint:
            return False
        self._sent[row.id] = fingerprint
        self._sent.move_to_end(row.id)
        if len(self._sent) > REMEMBERED:
            self._sent.popitem(last=False)
        return True
