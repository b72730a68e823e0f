"""Alerts (incidents: one per phone and cause): the list with filters and pagination (each with its
occurrence count and latest occurrence), one alert, its occurrences and history, its lifecycle (ack,
resolve) and its evidence as a capture file, per incident or per occurrence. The live feed is
`alert_stream`."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.auth import Operator, Viewer
from api.deps import ReadSessionDep, WriteSessionDep
from api.pcap import MEDIA_TYPE, capture_bytes
from api.routes import AUTH, CONFLICT, NOT_FOUND, RowId
from api.schemas import (MAX_ID, AlertAction, AlertDetail, AlertEventPublic, AlertPage, AlertState, AlertType, Moment,
                         OccurrencePage, OccurrencePublic, Severity, Text)
from api.schemas.alert_rows import ALERT_COLUMNS, OCCURRENCE_COLUMNS, page_json
from appliance.store import audit, queries
from appliance.store.errors import NotFound

router = APIRouter(prefix="/alerts", tags=["alerts"], responses=AUTH)
MAX_OFFSET = 10**9
LIFECYCLE = ("state", "acknowledged_by", "acknowledged_at", "resolved_by", "resolved_at")


@router.get("", response_model=AlertPage, summary="List alerts, newest first")
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
) -> Response:
    # an AlertPage, its JSON made from the store's rows directly (`alert_rows.page_json`), since dashboards
    # poll the list (a docstring would show in the OpenAPI document)
    page = queries.list_alerts(session, type=type, severity=severity, state=state, endpoint=endpoint,
                               sensor=sensor, since=since, until=until, limit=limit, offset=offset, after=cursor,
                               columns=ALERT_COLUMNS)
    latest = queries.latest_occurrences(session, [row.id for row in page.items], columns=OCCURRENCE_COLUMNS)
    return Response(page_json(page, latest), media_type="application/json")


@router.get("/{alert_id}", responses=NOT_FOUND, summary="One alert")
def get_alert(alert_id: RowId, session: ReadSessionDep, _: Viewer) -> AlertDetail:
    return _detail(session, queries.get_alert(session, alert_id))


@router.get("/{alert_id}/occurrences", responses=NOT_FOUND, summary="An alert's occurrences, newest first")
def list_occurrences(
    alert_id: RowId, session: ReadSessionDep, _: Viewer,
    since: Annotated[Moment, Query(description="seen at or after (ISO 8601 or epoch seconds)")] = None,
    until: Annotated[Moment, Query(description="seen at or before (ISO 8601 or epoch seconds)")] = None,
    limit: Annotated[int, Query(ge=1, le=queries.MAX_LIMIT)] = 50,
    cursor: Annotated[int, Query(ge=1, le=MAX_ID, description="`next_cursor` of the previous page")] = None,
) -> OccurrencePage:
    page = queries.list_occurrences(session, alert_id, since=since, until=until, limit=limit, after=cursor)
    return OccurrencePage(items=[OccurrencePublic.from_row(row) for row in page.items], total=page.total,
                          next_cursor=page.next_cursor)


@router.get("/{alert_id}/history", responses=NOT_FOUND, summary="An alert's lifecycle, oldest first")
def history(alert_id: RowId, session: ReadSessionDep, _: Viewer) -> list[AlertEventPublic]:
    return [AlertEventPublic.from_row(row) for row in queries.alert_history(session, alert_id)]


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
    return _detail(session, row)


PCAP = NOT_FOUND | {200: {"content": {MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
                          "description": "pcap (pcapng if the frames mix link types)"}}


@router.get("/{alert_id}/pcap", response_class=Response, responses=PCAP,
            summary="The alert's evidence frames (of its latest occurrences) as a pcap file")
def evidence_pcap(alert_id: RowId, session: ReadSessionDep, _: Viewer) -> Response:
    frames = queries.evidence_frames(session, alert_id)
    if not frames:
        raise NotFound(f"alert {alert_id} has no evidence frames to download")
    return _pcap(frames, f"alert-{alert_id}.pcap")


@router.get("/{alert_id}/occurrences/{occurrence_id}/pcap", response_class=Response, responses=PCAP,
            summary="One occurrence's evidence frames as a pcap file")
def occurrence_pcap(alert_id: RowId, occurrence_id: RowId, session: ReadSessionDep, _: Viewer) -> Response:
    frames = queries.occurrence_frames(session, alert_id, occurrence_id)
    if not frames:
        raise NotFound(f"occurrence {occurrence_id} of alert {alert_id} has no evidence frames to download")
    return _pcap(frames, f"alert-{alert_id}-occurrence-{occurrence_id}.pcap")


def _detail(session, row) -> AlertDetail:
    """One incident with its latest occurrence and every comment made on it."""
    return AlertDetail.with_comments(row, queries.comments(session, row.id),
                                     queries.latest_occurrences(session, [row.id]).get(row.id))


def _pcap(frames: list, name: str) -> Response:
    return Response(capture_bytes(frames), media_type=MEDIA_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
