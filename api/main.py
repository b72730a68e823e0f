"""Entry point for uvicorn: `uvicorn --factory api.main:app_factory` (settings and rate limits from
APPLIANCE_* variables, read when the server starts, not at import)."""
from __future__ import annotations

from fastapi import FastAPI

from api.app import create_app
from api.ratelimit import RateLimits
from appliance.settings import Settings


def app_factory() -> FastAPI:
    return create_app(Settings.from_env(), limits=RateLimits.from_env())
