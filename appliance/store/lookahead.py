"""Look-ups ahead of a group's writes that are not one row per key (appliance.store.recorder's
`prefetch`; `RowCache.preload` holds those that are): one query per group instead of one per write.

* `occurrences_by_key`: the existing occurrences the group's alerts may update (an alert on an existing
  incident asked for its occurrence, same per-stream key and first seen, with a SELECT of its own).
* `frames_by_stream`: how many evidence frames the streams the group sends evidence for already keep
  (a COUNT of its own for each stream's evidence).
* `active_by_endpoint`: the active incidents of the endpoints whose compliant traffic the group records
  (a phone with one asked for them again on each of its SRTP verdicts and SIP-over-TLS sessions, to
  resolve what had lasted `auto_resolve_after`; most have none: nothing to resolve, nothing to ask).

The occurrences and incidents are ORM rows of the group's session: the same objects a later query of
the group returns, so what the group changes on them (an incident re-opened, resolved or seen again) is
what the recorder reads; what the group adds (a new incident, an occurrence, frames) the recorder notes
as it adds it. The database is asked again only where a resolution is due: `incidents.compliant`."""
from __future__ import annotations

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from appliance.store.incidents import ACTIVE
from appliance.store.models import Alert, EvidencePacket, Occurrence


def occurrences_by_key(session: Session, wanted: set[tuple[int, str]],
                       size: int = 500) -> dict[tuple[int, str], list[Occurrence]]:
    """(incident id, occurrence key) -> its occurrences (oldest first), for each pair `wanted`."""
    found: dict[tuple[int, str], list[Occurrence]] = {pair: [] for pair in wanted}
    alert_ids = sorted({alert_id for alert_id, _ in wanted})
    keys = sorted({key for _, key in wanted})
    for start in range(0, len(alert_ids), size):
        for occurrence in session.scalars(_OCCURRENCES, {"alert_ids": alert_ids[start:start + size], "keys": keys}):
            pair = (occurrence.alert_id, occurrence.key)
            if pair in found:
                found[pair].append(occurrence)
    return found


def active_by_endpoint(session: Session, sensor_id: str, ips: list[str]) -> dict[str, list[Alert]]:
    """Endpoint -> its active incidents (an empty list: none), for each of `ips`."""
    found: dict[str, list[Alert]] = {ip: [] for ip in ips}
    for row in session.scalars(_ACTIVE, {"sensor": sensor_id, "ips": ips}):
        found[row.endpoint].append(row)
    return found


def frames_by_stream(session: Session, stream_row_ids: list[int]) -> dict[int, int]:
    """Stream row id -> the evidence frames it keeps (0: none), for each of `stream_row_ids`."""
    return {**dict.fromkeys(stream_row_ids, 0), **dict(session.execute(_FRAMES, {"ids": stream_row_ids}).all())}


# the statements, built once (each group runs them; building one and its cache key cost more than running it)
_OCCURRENCES = (select(Occurrence).where(Occurrence.alert_id.in_(bindparam("alert_ids", expanding=True)),
                                         Occurrence.key.in_(bindparam("keys", expanding=True))).order_by(Occurrence.id))
_ACTIVE = (select(Alert).where(Alert.sensor_id == bindparam("sensor"), Alert.endpoint.in_(bindparam("ips", expanding=True)),
                               Alert.state.in_(ACTIVE)).order_by(Alert.id))
_FRAMES = (select(EvidencePacket.stream_row_id, func.count())
           .where(EvidencePacket.stream_row_id.in_(bindparam("ids", expanding=True))).group_by(EvidencePacket.stream_row_id))
