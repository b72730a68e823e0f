"""The FastAPI application, built by `create_app(settings)`; nothing is opened at import.

    app = create_app(Settings.from_env())            # what `api.main:app_factory` does for uvicorn
    app = create_app(settings, store=store)          # tests: a store they filled themselves
    app = create_app(settings, live=LiveSettings(poll_interval=0.1))   # a quicker live feed
    app = create_app(settings, store, switch_connector=refuse)      # no SSH to generated hosts
    app = create_app(settings, limits=RateLimits.from_env())        # rate limits (api.ratelimit)

Start-up migrates the database to the code's head (Alembic), so a new release is ready when it
answers; shut-down closes the store if the app opened it. A malformed `APPLIANCE_SECRET_KEY` is
refused when the app is built, not at the first webhook."""
from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass

import anyio
from fastapi import APIRouter, Depends, FastAPI

from api import dashboard, docs, errors, openapi
from api.deps import known_query_only
from api.headers import SecurityHeaders
from api.metrics import registry_for
from api.ratelimit import Limiter, RateLimits
from api.routes import (alert_stream, alerts, audit, calls, endpoints, fleet, sensors, service, stats, streams,
                        switches, tokens, webhooks)
from appliance.settings import Settings
from appliance.store import Store, migrate, open_store
from appliance.store.crypto import SecretBox
from appliance.switches.connection import connect

API_PREFIX = "/api/v1"
ROUTERS = (alert_stream, alerts, streams, calls, endpoints, sensors, webhooks, tokens, audit,   # the stream before /{id}
           stats, switches, fleet)


@dataclass(frozen=True)
class LiveSettings:
    poll_interval: float = 0.5          # seconds between the live feed's reads of the store
    heartbeat: float = 15.0             # seconds between SSE comment lines on a quiet stream
    token_recheck: float = 30.0         # seconds between checks that a stream's token is still valid


def create_app(settings: Settings, store: Store | None = None, *, live: LiveSettings | None = None,
               switch_connector=None, limits: RateLimits | None = None) -> FastAPI:
    if settings.secret_key:
        SecretBox(settings.secret_key)                  # ConfigError now rather than at the first webhook
    owned = store is None
    store = store if store is not None else open_store(settings.store())

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.head = await anyio.to_thread.run_sync(migrate.upgrade, store.settings)
        try:
            yield
        finally:
            if owned:
                store.close()

    app = FastAPI(title="VoIP encryption monitor", version="1", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Alerts, streams, calls, endpoints and sensors of the appliance; "
                              "`Authorization: Bearer TOKEN` on everything but /health.")
    app.state.settings, app.state.store = settings, store
    app.state.head = None
    app.state.live = live or LiveSettings()
    app.state.switch_connector = switch_connector or connect      # tests: one that refuses to dial out
    app.state.metrics = registry_for(store)
    app.state.limiter = Limiter(limits or RateLimits())
    app.state.metrics.register(app.state.limiter)
    errors.install(app)
    api = APIRouter(prefix=API_PREFIX, dependencies=[Depends(known_query_only)])
    for module in ROUTERS:
        api.include_router(module.router)
    app.include_router(api)
    app.include_router(service.router, dependencies=[Depends(known_query_only)])
    app.include_router(dashboard.router)                # the NOC dashboard at /
    app.include_router(docs.router)                     # Swagger UI at /docs, from local files
    openapi.install(app)
    app.add_middleware(SecurityHeaders)                 # on every answer, errors and streams included
    return app
