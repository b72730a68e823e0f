"""Routes of the dashboard (outside /api/v1 and the OpenAPI document):

    GET /                       the page
    GET /dashboard/{asset}      its script, style sheet and icon (a fixed list, read from package data)
    GET /dashboard/session      who the Bearer token is (name, role): the page shows or disables the
                                operator's buttons with it

Every answer carries the security headers (`api.headers`: a CSP allowing only 'self', no inline
script or style, no framing; X-Frame-Options DENY, nosniff, no referrer), and the page and assets
`Cache-Control: no-cache`."""
from __future__ import annotations

from functools import cache
from importlib import resources

from fastapi import APIRouter, HTTPException, Response
from pydantic import BaseModel

from api.auth import Viewer
from api.headers import SECURITY_HEADERS as SECURITY

SECURITY_HEADERS = {**SECURITY, "Cache-Control": "no-cache"}
ASSETS = {"app.js": "text/javascript; charset=utf-8", "style.css": "text/css; charset=utf-8",
          "favicon.svg": "image/svg+xml"}

router = APIRouter(include_in_schema=False)


class SessionPublic(BaseModel):
    name: str
    role: str


@cache
def _read(name: str) -> bytes:
    return resources.files("api.dashboard").joinpath("static", name).read_bytes()


def _asset(name: str, media_type: str) -> Response:
    return Response(_read(name), media_type=media_type, headers=SECURITY_HEADERS)


@router.get("/")
def page() -> Response:
    return _asset("index.html", "text/html; charset=utf-8")


@router.get("/dashboard/session")
def session(who: Viewer, response: Response) -> SessionPublic:
    response.headers.update(SECURITY_HEADERS)
    response.headers["Cache-Control"] = "no-store"
    return SessionPublic(name=who.name, role=who.role)


@router.get("/dashboard/{name}")
def asset(name: str) -> Response:
    if name not in ASSETS:
        raise HTTPException(404, f"the dashboard has no {name!r}")
    return _asset(name, ASSETS[name])
