"""Typed dependencies shared by the routers: the store the app was created with, and one session per
request — read-only for reads, writing (one transaction, committed when the route returns and rolled
back when it raises) for changes. Both end before the response is sent (`scope="function"`). And
a guard that refuses undeclared query parameters. The read-only session is also left where the token
check (api.auth) finds it, so that one connection and transaction serve both."""
from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Annotated

import anyio
from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.orm import Session

from appliance.store import Store


_READ_SESSION = "appliance.read_session"


async def get_store(request: Request) -> Store:        # async: no blocking, so no hop to a worker thread
    return request.app.state.store


StoreDep = Annotated[Store, Depends(get_store)]


async def read_session(request: Request, store: StoreDep) -> AsyncIterator[Session]:
    """`store.session(readonly=True)`, opened on the event loop (making a session does no I/O, so it needs
    no hop to a worker thread) and closed in a worker thread (its rollback and the connection's return to
    the pool may wait), shielded from cancellation with a limiter of its own, as FastAPI ends a sync
    generator dependency."""
    session = store.read_only_session()
    request.scope[_READ_SESSION] = session              # for the token check (api.auth), solved after it
    try:
        yield session
    finally:
        request.scope.pop(_READ_SESSION, None)
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(session.close, limiter=anyio.CapacityLimiter(1))


def request_read_session(request: Request) -> Session | None:
    """The request's read-only session, while `read_session` holds one open."""
    return request.scope.get(_READ_SESSION)


def write_session(store: StoreDep) -> Iterator[Session]:
    with store.session() as session:
        yield session


ReadSessionDep = Annotated[Session, Depends(read_session, scope="function")]
WriteSessionDep = Annotated[Session, Depends(write_session, scope="function")]


async def known_query_only(request: Request) -> None:
    """Refuse query parameters the operation does not declare (422): a misspelt filter (`?stat=open`)
    must not silently list everything. The declared names come from the app's OpenAPI document.
    Async (it never blocks) so that every request does not hop to a worker thread for it."""
    allowed = _query_names(request.app, request.url.path[len(request.scope.get("root_path", "")):],
                           request.method.lower())
    unknown = [name for name in dict.fromkeys(request.query_params.keys()) if name not in allowed]
    if unknown:
        raise RequestValidationError([{"loc": ("query", name), "msg": "unknown query parameter",
                                       "type": "extra_forbidden"} for name in unknown])


def _query_names(app, path: str, method: str) -> frozenset[str]:
    operations = app.state.__dict__.get("_query_operations")
    if operations is None:
        operations = app.state.__dict__["_query_operations"] = _operations(app.openapi())
    for pattern, by_method in operations:
        if pattern.fullmatch(path):
            return by_method.get(method, frozenset())
    return frozenset()


def _operations(document: dict) -> list[tuple[re.Pattern, dict[str, frozenset[str]]]]:
    """(path pattern, method -> query names) for every path; literal paths before templated ones."""
    schemes = document.get("components", {}).get("securitySchemes", {})
    out = []
    for path, item in document.get("paths", {}).items():
        pattern = re.compile(re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(path)))
        by_method = {}
        for method, operation in item.items():
            names = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
            for requirement in operation.get("security", []):
                names |= {schemes[s]["name"] for s in requirement if schemes.get(s, {}).get("in") == "query"}
            by_method[method] = frozenset(names)
        out.append((pattern, by_method))
    return sorted(out, key=lambda entry: "[^/]+" in entry[0].pattern)
