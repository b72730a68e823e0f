"""New incidents of a group commit, inserted together just before the group commits.

A boot storm opens hundreds of incidents within a second (bench/site: 970 for 2,000 phones), and each
new incident written on its own cost four INSERTs through the ORM (incident, occurrence, history,
delivery), one statement each: SQLite gives the ORM no way to insert many rows and learn their ids in
one statement. Inside a group (appliance.store.group) the recorder keeps a new incident's row here
instead, fully built, and when the group ends inserts all of them with one Core statement, reads their
ids back by their unique (sensor, key) with one SELECT, and inserts their occurrences, history and
deliveries with one statement per table. The store ends up the same: a later write of the group that
reads incidents (another alert of the same incident, an automatic resolution of the same endpoint, the
end report's stream ends) has the waiting ones inserted first.

The recorder keeps a group's new streams the same way (`Waiting`: a stream's verdict and its end, each
an INSERT of its own through the ORM on SQLite, become one row of one statement as the group ends).

A cache lives as long as the session it belongs to, like `RowCache`."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import inspect, insert
from sqlalchemy.orm import Session

from appliance.alerts import Alert as PolicyAlert
from appliance.store.models import Alert


@dataclass(slots=True)
class NewIncident:
    row: Alert                  # built, not yet added to the session
    alert: PolicyAlert
    device_class: str
    now: datetime


class Waiting:
    """Rows (or what stands for them) made in a group's session and inserted later, in order."""

    def __init__(self):
        self._session: Session | None = None
        self.waiting: list = []

    def add(self, session: Session, item) -> None:
        if session is not self._session:
            self._session, self.waiting = session, []
        self.waiting.append(item)

    def take(self, session: Session) -> list:
        """What waits in `session` (nothing when it belonged to another one, rolled back)."""
        waiting = self.waiting if session is self._session else []
        self.waiting = []
        return waiting

    def mark(self) -> int:
        return len(self.waiting)

    def undo(self, mark: int) -> None:
        """Forget those added since `mark` (their write failed and was rolled back)."""
        del self.waiting[mark:]

    def forget(self) -> None:
        self._session, self.waiting = None, []


class NewIncidents(Waiting):
    waiting: list[NewIncident]

    def holds(self, session: Session, dedup_key: str) -> bool:
        return session is self._session and any(n.row.dedup_key == dedup_key for n in self.waiting)

    def names(self, session: Session, endpoint: str) -> bool:
        return session is self._session and any(n.row.endpoint == endpoint for n in self.waiting)

    def about_stream(self, session: Session, stream_id: str) -> bool:
        return session is self._session and any(n.row.stream == stream_id for n in self.waiting)


def insert_rows(session: Session, rows: list) -> None:
    """Insert unsaved ORM objects of one model with one Core statement (their ids are not read back)."""
    if rows:
        session.execute(insert(type(rows[0]).__table__), [table_values(row) for row in rows])


def table_values(row) -> dict:
    """An unsaved ORM object's columns for a Core insert, with the model's defaults where it has none."""
    values = {}
    for attribute in inspect(type(row)).column_attrs:
        column = attribute.columns[0]
        if column.primary_key:
            continue
        value = getattr(row, attribute.key)
        if value is None and column.default is not None and not column.default.is_clause_element:
            value = column.default.arg(None) if column.default.is_callable else column.default.arg
        values[column.key] = value
    return values
