"""The site bench's one truth rule, for the live run (alerts read through the API) and the offline one
(alerts in `appliance analyze`'s report): which incidents were found, which are missing, which are false.

* An alert counts as the incident (endpoint, type), whether the store keeps a row per stream or one per
  phone and cause, and whether it comes from the API's alert list or the report (`incident_key`).
* Expected: the truth's (phone, type) pairs the frames sent give enough to decide (`sent`: Truth.required
  of the frames the live sender sent, or of those written to the pcap). An incident whose stream the end
  of the traffic cut short is not required; found, it is not false either.
* False: any incident on a compliant phone, and an incident on a misconfigured phone of a type its
  traffic never showed (a wrong cause). Incidents on addresses that are not phones (the PBX: its
  certificate, its forwarded SDP) are listed apart, neither found nor false.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

Key = tuple[str, str]                  # (endpoint ip, alert type)


def incident_key(alert: dict) -> Key:
    """The incident an alert belongs to (an item of GET /api/v1/alerts, or of the report's "alerts")."""
    return alert["endpoint"], alert["type"]


@dataclass
class Score:
    expected: int = 0
    found: int = 0
    missing: list[Key] = field(default_factory=list)
    false_list: list[Key] = field(default_factory=list)
    other: list[Key] = field(default_factory=list)        # incidents about non-phones (the PBX)

    @property
    def false(self) -> int:
        return len(self.false_list)


def score(truth, seen: Iterable[Key], required: Iterable[Key]) -> Score:
    """`truth`: bench.site.timeline.Truth; `seen`: the incidents the product raised; `required`: the
    incidents the frames sent made decidable (a subset of truth.expected)."""
    seen, sent = set(seen), set(required) & truth.expected
    phones = truth.phones
    on_compliant = sorted(k for k in seen if k[0] in phones and truth.compliant(k[0]))
    wrong_cause = sorted(k for k in seen if k[0] in phones and k not in truth.expected
                         and not truth.compliant(k[0]))
    return Score(expected=len(sent), found=len(sent & seen), missing=sorted(sent - seen),
                 false_list=on_compliant + wrong_cause, other=sorted(k for k in seen if k[0] not in phones))
