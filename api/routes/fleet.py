"""The fleet's compliance: posture counts (overall and grouped), the daily trend of non-compliant
phones, endpoints by posture (cursor paging), and CSV exports of endpoints and incidents."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from api.auth import Viewer
from api.deps import ReadSessionDep
from api.routes import AUTH
from api.schemas import MAX_ID, AlertState, AlertType, Moment, Text
from api.schemas.fleet import FleetEndpointPage, FleetEndpointPublic, FleetSummary, TrendDay
from appliance.store import fleet, queries
from appliance.store.columns import as_utc

router = APIRouter(prefix="/fleet", tags=["fleet"], responses=AUTH)
Posture = Literal[fleet.POSTURES]
GroupBy = Literal[fleet.GROUPS]
Since = Annotated[Moment, Query(description="seen at or after (ISO 8601 or epoch seconds)")]
Until = Annotated[Moment, Query(description="seen at or before (ISO 8601 or epoch seconds)")]
Sensor = Annotated[Text(64), Query(description="the sensor id")]
DeviceClass = Annotated[Text(20), Query(description="e.g. hard_phone")]
CSV = {200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "CSV with a header row"}}
ENDPOINT_COLUMNS = ("id", "sensor", "ip", "mac", "vlan", "vendor", "model", "firmware", "device_class", "compliance",
                    "incidents", "signaling_tls", "media_srtp", "keying", "certificate_state", "first_seen",
                    "last_seen")
INCIDENT_COLUMNS = ("id", "sensor", "type", "severity", "endpoint", "peer", "state", "occurrences", "first_seen",
                    "last_seen", "acknowledged_by", "resolved_by", "resolved_reason", "summary")


@router.get("/summary", summary="Endpoints by posture, overall and per group")
def summary(session: ReadSessionDep, _: Viewer, group_by: Annotated[GroupBy, Query()] = None,
            prefix: Annotated[int, Query(ge=8, le=128, description="subnet prefix length")] = 24,
            sensor: Sensor = None, device_class: DeviceClass = None, since: Since = None,
            until: Until = None) -> FleetSummary:
    rows = fleet.endpoints(session, sensor=sensor, device_class=device_class, since=since, until=until)
    return FleetSummary(**fleet.summary(rows, group_by, prefix), group_by=group_by)


@router.get("/trend", summary="Non-compliant phones per day (default: the last 30 days)")
def trend(session: ReadSessionDep, _: Viewer, since: Since = None, until: Until = None,
          sensor: Sensor = None) -> list[TrendDay]:
    return [TrendDay(**day) for day in fleet.trend(session, since=since, until=until, sensor=sensor)]


@router.get("/endpoints", summary="Endpoints with their posture, by id")
def endpoints(session: ReadSessionDep, _: Viewer, posture: Annotated[list[Posture], Query()] = None,
              sensor: Sensor = None, device_class: DeviceClass = None, since: Since = None, until: Until = None,
              limit: Annotated[int, Query(ge=1, le=queries.MAX_LIMIT)] = 50,
              cursor: Annotated[int, Query(ge=1, le=MAX_ID, description="`next_cursor` of the previous page")] = None,
              ) -> FleetEndpointPage:
    rows = [r for r in fleet.endpoints(session, sensor=sensor, device_class=device_class, since=since, until=until)
            if not posture or r.posture in posture]
    after = [r for r in rows if cursor is None or r.row.id > cursor]
    page = after[:limit]
    return FleetEndpointPage(items=[FleetEndpointPublic.of(r) for r in page], total=len(rows),
                             next_cursor=page[-1].row.id if len(after) > limit else None)


@router.get("/endpoints.csv", response_class=StreamingResponse, responses=CSV, summary="Endpoints as CSV")
def endpoints_csv(session: ReadSessionDep, _: Viewer, sensor: Sensor = None, device_class: DeviceClass = None,
                  since: Since = None, until: Until = None) -> StreamingResponse:
    rows = fleet.endpoints(session, sensor=sensor, device_class=device_class, since=since, until=until)
    lines = ([r.row.id, r.row.sensor_id, r.row.ip, r.row.mac, r.row.vlan, r.row.vendor, r.row.model, r.row.firmware,
              r.row.device_class, r.posture, " ".join(r.incidents), r.row.signaling_tls, r.row.media_srtp,
              r.row.keying, r.row.certificate_state, _iso(r.row.first_seen), _iso(r.row.last_seen)] for r in rows)
    return _csv(ENDPOINT_COLUMNS, list(lines), "endpoints.csv")


@router.get("/incidents.csv", response_class=StreamingResponse, responses=CSV, summary="Incidents (alerts) as CSV")
def incidents_csv(session: ReadSessionDep, _: Viewer,
                  type: Annotated[list[AlertType], Query(description="repeat for several")] = None,
                  state: Annotated[list[AlertState], Query(description="repeat for several")] = None,
                  sensor: Sensor = None, since: Since = None, until: Until = None) -> StreamingResponse:
    lines, cursor = [], None
    while True:
        page = queries.list_alerts(session, type=type, state=state, sensor=sensor, since=since, until=until,
                                   limit=queries.MAX_LIMIT, after=cursor)
        lines += [[a.id, a.sensor_id, a.type, a.severity, a.endpoint, a.peer, a.state, a.count, _iso(a.first_seen),
                   _iso(a.last_seen), a.acknowledged_by, a.resolved_by, a.resolved_reason, a.summary]
                  for a in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    return _csv(INCIDENT_COLUMNS, lines, "incidents.csv")


def _iso(moment) -> str:
    return "" if moment is None else as_utc(moment).isoformat().replace("+00:00", "Z")


def _csv(header: tuple[str, ...], rows: list[list], name: str) -> StreamingResponse:
    def chunks() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in [list(header), *rows]:
            writer.writerow(["" if value is None else _safe(value) for value in row])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    return StreamingResponse(chunks(), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _safe(value) -> str:
    """A cell a spreadsheet shows as text: one starting with = + - @ is a formula to Excel (CSV injection)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
