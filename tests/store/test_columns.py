"""`to_epoch` (every time the API and the reports show) takes a shortcut for datetimes already in UTC,
as the store hands them back: the seconds are those of `as_utc(moment).timestamp()` for any moment,
naive (taken as UTC), in UTC, or at any other offset."""
from __future__ import annotations

import os
import time
from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from appliance.store.columns import UTC, as_utc, to_epoch

offsets = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda minutes: timezone(timedelta(minutes=minutes)))
moments = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                       timezones=st.none() | st.just(UTC) | st.just(timezone(timedelta(0))) | offsets)


@given(moments)
def test_to_epoch_is_the_utc_timestamp(moment):
    zone = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"           # a naive moment is UTC, not this machine's local time
    time.tzset()
    try:
        assert to_epoch(moment) == as_utc(moment).timestamp()
        assert to_epoch(moment) == (moment.replace(tzinfo=moment.tzinfo or UTC) - datetime(1970, 1, 1, tzinfo=UTC)) \
            / timedelta(seconds=1)
    finally:
        if zone is None:
            os.environ.pop("TZ")
        else:
            os.environ["TZ"] = zone
        time.tzset()


def test_none_stays_none():
    assert to_epoch(None) is None
