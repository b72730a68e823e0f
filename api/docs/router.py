"""Routes of /docs (outside the OpenAPI document):

    GET /docs                   the page (static/index.html)
    GET /docs/assets/{name}     Swagger UI's script and style sheet (swagger-ui-bundle-v2), and
                                static/init.js, which starts it on /openapi.json

A fixed list of files, read once; anything else is 404."""
from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from fastapi import APIRouter, HTTPException, Response

router = APIRouter(include_in_schema=False)
JS, CSS = "text/javascript; charset=utf-8", "text/css; charset=utf-8"
VENDOR = {"swagger-ui-bundle.js": JS, "swagger-ui.css": CSS, "favicon-32x32.png": "image/png"}
OURS = {"init.js": JS}


@cache
def _read(name: str) -> bytes:
    if name in OURS or name == "index.html":
        return resources.files("api.docs").joinpath("static", name).read_bytes()
    from swagger_ui_bundle import swagger_ui_path
    return (Path(swagger_ui_path) / name).read_bytes()


@router.get("/docs")
def page() -> Response:
    return Response(_read("index.html"), media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-cache"})


@router.get("/docs/assets/{name}")
def asset(name: str) -> Response:
    media_type = OURS.get(name) or VENDOR.get(name)
    if media_type is None:
        raise HTTPException(404, f"the API documentation has no {name!r}")
    return Response(_read(name), media_type=media_type, headers={"Cache-Control": "no-cache"})
