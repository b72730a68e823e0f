"""Outside /api/v1: GET /health (no token: for load balancers and `systemctl`-style probes) and
GET /metrics (Prometheus text format; a viewer token, e.g. `authorization: {credentials: ...}` in
the scrape config)."""
from __future__ import annotations

import anyio
from alembic.runtime.migration import MigrationContext
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import SQLAlchemyError

from api.auth import Viewer
from api.deps import StoreDep
from api.routes import AUTH, UNAVAILABLE
from api.schemas import HealthPublic
from appliance.store import Store

router = APIRouter(tags=["service"])
HEALTH_DOC = {503: {"model": HealthPublic, "description": "the store is unreachable or not at the code's migration"}}
METRICS_DOC = {200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                     "description": "Prometheus text exposition format"}}


@router.get("/health", responses=HEALTH_DOC, summary="Is the store reachable and migrated?")
def health(request: Request, store: StoreDep) -> HealthPublic:
    head = request.app.state.head
    try:
        revision = _revision(store)
    except SQLAlchemyError as exc:
        return _unhealthy(HealthPublic(status="unavailable", database=store.dialect, revision=None, head=head,
                                       detail=f"the store is unreachable: {type(exc).__name__}"))
    if revision != head:
        return _unhealthy(HealthPublic(status="outdated", database=store.dialect, revision=revision, head=head,
                                       detail=f"the database is at migration {revision}, this code needs {head}"))
    return HealthPublic(status="ok", database=store.dialect, revision=revision, head=head)


@router.get("/metrics", response_class=Response, responses=AUTH | UNAVAILABLE | METRICS_DOC,
            summary="Prometheus metrics read from the store")
async def metrics(request: Request, _: Viewer) -> Response:
    body = await anyio.to_thread.run_sync(generate_latest, request.app.state.metrics)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def _revision(store: Store) -> str | None:
    with store.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _unhealthy(body: HealthPublic) -> JSONResponse:
    return JSONResponse(body.model_dump(), status_code=503)
