"""GET /api/v1/alerts/stream: new and changed alerts as Server-Sent Events (sse-starlette). Each event
is named `alert`, carries the alert as JSON (the same fields as GET /alerts/{id}) and has as id the
highest alert id sent, so a reconnecting EventSource resumes through `Last-Event-ID`. Heartbeat
comments keep proxies from closing an idle stream. The token may come as `?token=` (EventSource
cannot set headers); it is checked again every 30 s (`LiveSettings`) and the stream ends once it is
revoked."""
from __future__ import annotations

import logging
import time
from typing import Annotated

import anyio
from fastapi import APIRouter, Header, Request
from sqlalchemy.exc import SQLAlchemyError
from sse_starlette import EventSourceResponse, ServerSentEvent

from api.auth import Principal, StreamViewer
from api.deps import StoreDep
from api.live import AlertFeed
from api.routes import AUTH
from api.schemas import MAX_ID
from appliance.store import Store, queries

router = APIRouter(prefix="/alerts", tags=["alerts"], responses=AUTH)
log = logging.getLogger(__name__)
STREAM_DOC = {200: {"description": "`event: alert` / `data: <alert JSON>` / `id: <highest alert id sent>`",
                    "content": {"text/event-stream": {"schema": {"type": "string"}}}}}


@router.get("/stream", response_class=EventSourceResponse, responses=STREAM_DOC,
            summary="Live feed of new and changed alerts (Server-Sent Events)")
def alert_stream(request: Request, store: StoreDep, viewer: StreamViewer,
                 last_event_id: Annotated[int | None, Header(ge=0, le=MAX_ID)] = None) -> EventSourceResponse:
    feed = AlertFeed(store, after=last_event_id)
    feed.prime()                                    # before the headers go out: nothing after this is missed
    live = request.app.state.live
    return EventSourceResponse(_events(store, feed, viewer, live), ping=live.heartbeat)


async def _events(store: Store, feed: AlertFeed, viewer: Principal, live):
    checked = time.monotonic()
    while True:
        try:
            alerts = await anyio.to_thread.run_sync(feed.poll)
        except SQLAlchemyError as exc:              # the store is away for a moment: keep the stream
            log.warning("live feed poll failed: %s", exc)
            alerts = []
        for alert in alerts:
            yield ServerSentEvent(data=alert.model_dump_json(), event="alert", id=str(feed.last_id))
        if time.monotonic() - checked >= live.token_recheck:
            checked = time.monotonic()
            if not await anyio.to_thread.run_sync(_still_valid, store, viewer):
                log.info("live feed closed: its token was revoked")
                return
        await anyio.sleep(live.poll_interval)


def _still_valid(store: Store, viewer: Principal) -> bool:
    with store.session(readonly=True) as session:
        return any(row.id == viewer.token_id for row in queries.list_tokens(session))
