"""The report's JSON text (`appliance.jsontext.dumps_indent1`) is `json.dumps(value, indent=1)` byte for
byte: on generated values of every kind json encodes, and on a real report."""
from __future__ import annotations

import enum
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.analyze import analyze_files
from appliance.jsontext import dumps_indent1
from tests.conftest import DATA

SCALARS = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True)
           | st.text())
KEYS = st.text() | st.integers() | st.floats(allow_nan=False) | st.booleans() | st.none()
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=6) | st.tuples(inner, inner)
                      | st.dictionaries(KEYS, inner, max_size=6)
                      | st.lists(st.text(), max_size=5) | st.lists(st.integers(), max_size=5), max_leaves=40)


class Colour(str, enum.Enum):
    red = "red"


class Level(enum.IntEnum):
    high = 3


@settings(max_examples=400, deadline=None)
@given(VALUES)
def test_generated_values_give_the_standard_text(value):
    assert dumps_indent1(value) == json.dumps(value, indent=1)


def test_subclasses_and_odd_keys_give_the_standard_text():
    value = {"colour": Colour.red, "level": Level.high, "levels": [Level.high, 1, True], 2.5: [], None: {},
             False: [Colour.red, "x"], 7: (1, (2, [3.0, float("nan"), float("-inf")]))}
    assert dumps_indent1(value) == json.dumps(value, indent=1)


def test_what_json_cannot_encode_is_refused_as_json_does():
    for value in ({"x": object()}, [b"bytes"], {(1, 2): "tuple key"}):
        with pytest.raises(TypeError):
            json.dumps(value, indent=1)
        with pytest.raises(TypeError):
            dumps_indent1(value)


def test_a_real_report():
    report = analyze_files([str(DATA / "lab" / "udp-srtp-fallback.pcap")])
    assert dumps_indent1(report) == json.dumps(report, indent=1)
