"""Alerts: the list with filters and pagination, one alert, its lifecycle (ack, resolve) and its
evidence as a capture file. The live feed is `alert_stream`."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.auth import Operator, Viewer
from api.deps import ReadSessionDep, WriteSessionDep
from api.pcap import MEDIA_TYPE, capture_bytes
from api.routes import AUTH, CONFLICT, NOT_FOUND, RowId
from api.schemas import (MAX_ID, AlertAction, AlertDetail, AlertPage, AlertPublic, AlertState, AlertType, Moment,
                         Severity, Text)
from appliance.store import audit, queries
from appliance.store.errors import NotFound

router = APIRouter(prefix="/alerts", tags=["alerts"], responses=AUTH)
MAX_OFFSET = 10**9
LIFECYCLE = ("state", "acknowledged_by", "acknowledged_at", "resolved_by", "resolved_at")


@router.get("", summary="List alerts, newest first")
def list_alerts(
    session: ReadSessionDep, _: Viewer,
    type: Annotated[list[AlertType], Query(description="repeat for several")] = None,
    severity: Annotated[list[Severity], Query(description="repeat for several")] = None,
    state: Annotated[list[AlertState], Query(description="repeat for several")] = None,
    endpoint: Annotated[Text(45), Query(description="the IP the alert is about")] = None,
    sensor: Annotated[Text(64), Query(description="the sensor id")] = None,
    since: Annotated[Moment, Query(description="active at or after (ISO 8601 or epoch seconds)")] = None,
    until: Annotated[Moment, Query(description="active at or before (ISO 8601 or epoch seconds)")] = None,
    limit: Annotated[int, Query(ge=1, le=queries.MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    cursor: Annotated[int, Query(ge=1, le=MAX_ID, description="`next_cursor` of the previous page")] = None,
) -> AlertPage:
    page = queries.list_alerts(session, type=type, severity=severity, state=state, endpoint=endpoint,
                               sensor=sensor, since=since, until=until, limit=limit, offset=offset, after=cursor)
    return AlertPage(items=[AlertPublic.from_row(row) for row in page.items], total=page.total,
                     next_cursor=page.next_cursor)


@router.get("/{alert_id}", responses=NOT_FOUND, summary="One alert")
def get_alert(alert_id: RowId, session: ReadSessionDep, _: Viewer) -> AlertDetail:
    return AlertDetail.with_comments(queries.get_alert(session, alert_id), queries.comments(session, alert_id))


@router.post("/{alert_id}/ack", responses=NOT_FOUND | CONFLICT, summary="Acknowledge an alert")
def acknowledge(alert_id: RowId, session: WriteSessionDep, who: Operator,
                body: AlertAction | None = None) -> AlertDetail:
    return _change(session, who, alert_id, queries.acknowledge, "alert.acknowledge", body)


@router.post("/{alert_id}/resolve", responses=NOT_FOUND | CONFLICT, summary="Resolve an alert")
def resolve(alert_id: RowId, session: WriteSessionDep, who: Operator,
            body: AlertAction | None = None) -> AlertDetail:
    return _change(session, who, alert_id, queries.resolve, "alert.resolve", body)


def _change(session, who, alert_id: int, change, action: str, body: AlertAction | None) -> AlertDetail:
    """Acknowledge or resolve, recorded in the audit log (the state change, and the comment apart)."""
    comment = body.comment if body else None
    before = audit.snapshot(queries.get_alert(session, alert_id), LIFECYCLE)
    row = change(session, alert_id, who.name, comment)
    after = audit.snapshot(row, LIFECYCLE)
    target = f"alert:{alert_id}"
    if after != before:
        audit.record(session, who.name, action, target, before, after)
    if comment is not None:
        audit.record(session, who.name, "alert.comment", target, None, {"comment": comment})
    return AlertDetail.with_comments(row, queries.comments(session, alert_id))


@router.get("/{alert_id}/pcap", response_class=Response, summary="The alert's evidence frames as a pcap file",
            responses=NOT_FOUND | {200: {"content": {MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
                                         "description": "pcap (pcapng if the frames mix link types)"}})
def evidence_pcap(alert_id: RowId, session: ReadSessionDep, _: Viewer) -> Response:
    frames = queries.evidence_frames(session, alert_id)
    if not frames:
        raise NotFound(f"alert {alert_id} has no evidence frames to download")
    return Response(capture_bytes(frames), media_type=MEDIA_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="alert-{alert_id}.pcap"'})
