"""Alerts and occurrences from the store as their public fields, in one mapping: public name <- column,
in the order of `AlertPublic`'s and `OccurrencePublic`'s fields. The list selects just these columns and
reads its rows by position (no ORM instances, no attribute look-ups); one alert (an ORM instance) is read
by name through `values_of`. Both then go through `alert_fields` / `occurrence_fields`, so the models'
`from_row` and the list agree by construction."""
from __future__ import annotations

from pydantic_core import to_json

from appliance.store.columns import to_epoch
from appliance.store.models import Alert, Occurrence

ALERT = (("id", Alert.id), ("sensor", Alert.sensor_id), ("type", Alert.type), ("severity", Alert.severity),
         ("endpoint", Alert.endpoint), ("peer", Alert.peer), ("stream", Alert.stream), ("call_id", Alert.call_id),
         ("summary", Alert.summary), ("evidence", Alert.evidence), ("device_class", Alert.device_class),
         ("state", Alert.state), ("count", Alert.count), ("first_seen", Alert.first_seen),
         ("last_seen", Alert.last_seen), ("acknowledged_by", Alert.acknowledged_by),
         ("acknowledged_at", Alert.acknowledged_at), ("resolved_by", Alert.resolved_by),
         ("resolved_at", Alert.resolved_at), ("comment", Alert.comment), ("resolved_reason", Alert.resolved_reason),
         ("recorded_at", Alert.recorded_at))     # then `occurrences` (= count) and `latest_occurrence`
OCCURRENCE = (("id", Occurrence.id), ("alert_id", Occurrence.alert_id), ("sensor", Occurrence.sensor_id),
              ("severity", Occurrence.severity), ("peer", Occurrence.peer), ("stream", Occurrence.stream),
              ("call_id", Occurrence.call_id), ("summary", Occurrence.summary), ("evidence", Occurrence.evidence),
              ("first_seen", Occurrence.first_seen), ("last_seen", Occurrence.last_seen),
              ("recorded_at", Occurrence.recorded_at))
ALERT_COLUMNS = tuple(column for _, column in ALERT)
OCCURRENCE_COLUMNS = tuple(column for _, column in OCCURRENCE)
_ALERT_NAMES = tuple(name for name, _ in ALERT)
_OCCURRENCE_NAMES = tuple(name for name, _ in OCCURRENCE)
_ALERT_TIMES = ("first_seen", "last_seen", "acknowledged_at", "resolved_at", "recorded_at")
_OCCURRENCE_TIMES = ("first_seen", "last_seen", "recorded_at")


def values_of(row, columns: tuple) -> tuple:
    """An ORM instance's values of `columns`, in order (what a row of those columns holds)."""
    return tuple(getattr(row, column.key) for column in columns)


def alert_fields(values, latest=None) -> dict:
    """`AlertPublic`'s fields, in order, from the values of `ALERT_COLUMNS` and those of its latest
    occurrence's `OCCURRENCE_COLUMNS` (None: no occurrence)."""
    fields = _fields(_ALERT_NAMES, values, _ALERT_TIMES)
    fields["occurrences"] = fields["count"]
    fields["latest_occurrence"] = None if latest is None else occurrence_fields(latest)
    return fields


def occurrence_fields(values) -> dict:
    """`OccurrencePublic`'s fields, in order, from the values of `OCCURRENCE_COLUMNS`."""
    return _fields(_OCCURRENCE_NAMES, values, _OCCURRENCE_TIMES)


def _fields(names: tuple, values, times: tuple) -> dict:
    fields = dict(zip(names, values))
    fields["evidence"] = list(fields["evidence"] or [])
    for name in times:
        fields[name] = to_epoch(fields[name])
    return fields


def page_json(page, latest: dict) -> bytes:
    """The list's JSON body (`AlertPage`) from a store `Page` of `ALERT_COLUMNS` rows and alert id -> its
    latest occurrence's `OCCURRENCE_COLUMNS` row: the bytes FastAPI sends for `AlertPage(...)`, without
    building and validating a model per row (most of the list's CPU). The same because validating these
    fields changes nothing for what the store holds (ints, strings, None, floats from `to_epoch`, a state
    the table's CHECK keeps among `AlertState`'s, evidence as the recorder writes it: lists of strings),
    and `to_json` writes a dict in its key order, the models' field order, by the rules the models'
    serializer follows (tests/api/test_alerts.py holds the two side by side)."""
    items = [alert_fields(row, latest.get(row.id)) for row in page.items]
    return to_json({"items": items, "total": page.total, "next_cursor": page.next_cursor})
