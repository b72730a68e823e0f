"""The endpoint list writes its JSON from the store's rows (`endpoint_rows.page_json`) rather than through
a model per row: for any texts, numbers, flags and times the store can hand back, the bytes are those of
`Page[EndpointPublic]` made with `EndpointPublic.from_row` and dumped as FastAPI does."""
from __future__ import annotations

from collections import namedtuple
from datetime import datetime, timezone

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from api.schemas import EndpointPublic, Page
from api.schemas.endpoint_rows import COLUMNS, page_json
from appliance.store import queries

EndpointRow = namedtuple("EndpointRow", [column.key for column in COLUMNS])
ids = st.integers(1, 2**63 - 1)
texts = st.text(max_size=12)
maybe = st.none() | texts
flags = st.none() | st.booleans()
times = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(timezone.utc))
rows = st.builds(EndpointRow, id=ids, sensor_id=texts, ip=texts, mac=maybe, vlan=st.none() | st.integers(0, 2**31 - 1),
                 vendor=maybe, model=maybe, firmware=maybe, user_agent=maybe, device_class=texts,
                 evidence=st.none() | st.lists(texts, max_size=3), signaling_tls=flags, media_srtp=flags,
                 keying=maybe, certificate_state=maybe, last_cleartext_media=st.none() | times, first_seen=times,
                 last_seen=times)


@settings(max_examples=300, deadline=None)
@given(items=st.lists(rows, max_size=4), total=st.integers(0, 2**40), limit=st.integers(1, 500),
       offset=st.integers(0, 10**9), cursor=st.none() | ids)
def test_page_json_is_the_models_json(items, total, limit, offset, cursor):
    page = queries.Page(items, total, cursor)
    model = Page[EndpointPublic](items=[EndpointPublic.from_row(row) for row in items], total=total, limit=limit,
                                 offset=offset, next_cursor=cursor)
    assert page_json(page, limit, offset) == TypeAdapter(Page[EndpointPublic]).dump_json(model)
