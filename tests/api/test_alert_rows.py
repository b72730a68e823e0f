"""The alert list writes its JSON from the store's rows (`alert_rows.page_json`) rather than through a
model per row: for any texts, numbers and times the store can hand back, the bytes are those of
`AlertPage` made with `from_row` and dumped as FastAPI does."""
from __future__ import annotations

from collections import namedtuple
from datetime import datetime, timezone

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from api.schemas import AlertPage, AlertPublic
from api.schemas.alert_rows import ALERT_COLUMNS, OCCURRENCE_COLUMNS, page_json
from appliance.store.models import ALERT_STATES
from appliance.store.queries import Page

AlertRow = namedtuple("AlertRow", [column.key for column in ALERT_COLUMNS])
OccurrenceRow = namedtuple("OccurrenceRow", [column.key for column in OCCURRENCE_COLUMNS])
ids = st.integers(1, 2**63 - 1)
texts = st.text(max_size=12)
maybe = st.none() | texts
times = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(timezone.utc))
evidence = st.none() | st.lists(texts, max_size=3)
occurrences = st.builds(OccurrenceRow, id=ids, alert_id=ids, sensor_id=texts, severity=texts, peer=maybe, stream=maybe,
                        call_id=maybe, summary=texts, evidence=evidence, first_seen=times, last_seen=times,
                        recorded_at=times)
alerts = st.builds(AlertRow, id=ids, sensor_id=texts, type=texts, severity=texts, endpoint=texts, peer=maybe,
                   stream=maybe, call_id=maybe, summary=texts, evidence=evidence, device_class=texts,
                   state=st.sampled_from(ALERT_STATES), count=st.integers(0, 2**31 - 1), first_seen=times,
                   last_seen=times, acknowledged_by=maybe, acknowledged_at=st.none() | times, resolved_by=maybe,
                   resolved_at=st.none() | times, comment=maybe, resolved_reason=maybe,
                   recorded_at=st.none() | times)


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(st.tuples(alerts, st.none() | occurrences), max_size=4), total=st.integers(0, 2**40),
       cursor=st.none() | ids)
def test_page_json_is_the_models_json(rows, total, cursor):
    page = Page([alert for alert, _ in rows], total, cursor)
    latest = {alert.id: occurrence for alert, occurrence in rows if occurrence is not None}
    model = AlertPage(items=[AlertPublic.from_row(row, latest.get(row.id)) for row in page.items], total=total,
                      next_cursor=cursor)
    assert page_json(page, latest) == TypeAdapter(AlertPage).dump_json(model)
