"""One router per resource, mounted under /api/v1 by `api.app` (health and metrics at the root).
The error responses every router documents (so the OpenAPI schema says what a client may get).

Optional query parameters are declared as `Annotated[str, Query()] = None`, not `str | None`: a query
string has no null, so the schema says "string" (left out: no filter) rather than "string or null"."""
from __future__ import annotations

from typing import Annotated

from fastapi import Path

from api.schemas import MAX_ID, ErrorPublic


def _error(description: str) -> dict:
    return {"model": ErrorPublic, "description": description}


AUTH = {400: _error("the body could not be read (not UTF-8 JSON)"),
        401: _error("no API token, or an unknown or revoked one"),
        403: _error("the token's role is too low for this"),
        422: _error("a parameter or the body is invalid"),
        429: _error("too many failed authentications from this address, or too many requests with this token "
                    "(api.ratelimit)") | {"headers": {"Retry-After": {"description": "seconds to wait",
                                                                      "schema": {"type": "integer"}}}}}
NOT_FOUND = {404: _error("no such row")}
CONFLICT = {409: _error("the alert cannot move to that state")}
UNAVAILABLE = {503: _error("the store is unreachable, or not configured for this")}
RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="the row id")]
