"""Who is calling: `Authorization: Bearer TOKEN`, checked against the store's API tokens, and whether
their role is enough. Roles are ordered viewer < operator < admin; a route names the least it needs
through a typed alias (`Viewer`, `Operator`, `Admin`).

401 (with `WWW-Authenticate: Bearer`) when the token is missing, unknown or revoked; 403 when its role
is too low. Both messages name the role the route needs. The live alert stream also takes `?token=`,
because a browser's EventSource cannot set headers (`StreamViewer`).

A token is looked up in the store on every request (nothing is cached, so a token revoked by another
process is refused on its next request): one Core query (`tokens.live_token`) on the connection of the
request's read-only session when the route has one (`deps.read_session` is solved first), else on a
connection of its own. The writing session `verify_token` needs to record `last_used_at` is opened only
when that timestamp is due (at most once a minute per token), so reads do not queue for SQLite's write
lock behind the collector.

Before any of that, the rate limits (`api.ratelimit`): an address with too many recent failed
authentications gets 429 whatever it sends, each failure (401) is counted against its address, and
each authenticated request takes one from its token's bucket (429 when empty)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.security import APIKeyQuery, HTTPAuthorizationCredentials, HTTPBearer

from sqlalchemy.orm import Session

from api.deps import StoreDep, request_read_session
from api.ratelimit import address_key, retry_after
from appliance.store import Store, queries
from appliance.store.models import ROLES
from appliance.store.tokens import live_token

RANK = {role: n for n, role in enumerate(ROLES)}
bearer = HTTPBearer(auto_error=False, description="An API token (`appliance token create`, or POST /api/v1/tokens).")
query_token = APIKeyQuery(name="token", auto_error=False,
                          description="The API token as a query parameter, for EventSource (live stream only).")


@dataclass(frozen=True, slots=True)
class Principal:
    token_id: int
    name: str
    role: str


def verify(store: Store, token: str, session: Session | None = None) -> Principal | None:
    """The live token's identity, or None (unknown or revoked). `session`: a read-only session of this
    request to ask through (else a connection of the store's, for this look-up alone)."""
    if session is not None:
        row, due = live_token(session.connection(), token)
    else:
        with store.engine.connect() as connection:
            row, due = live_token(connection, token)
    if row is None:
        return None
    principal = Principal(row.id, row.name, row.role)
    if due:
        with store.session() as session:
            if queries.verify_token(session, token) is None:      # revoked meanwhile
                return None
    return principal


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, message, headers={"WWW-Authenticate": "Bearer"})


def _too_many(message: str, wait: float) -> HTTPException:
    return HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, message, headers={"Retry-After": retry_after(wait)})


def _check(request: Request, store: Store, role: str, token: str | None) -> Principal:
    limiter = request.app.state.limiter
    address = address_key(request.client.host if request.client else None)
    wait = limiter.blocked_for(address)
    if wait is not None:
        limits = limiter.limits
        raise _too_many(f"too many failed authentications from {address} ({limits.auth_failures} within "
                        f"{limits.auth_window:g} s): every request from it is refused, even with a valid token; "
                        f"retry in {retry_after(wait)} s", wait)
    if not token:
        limiter.failed(address)
        raise _unauthorized(f"an API token with the {role} role (or higher) is needed: "
                            "send Authorization: Bearer TOKEN")
    principal = verify(store, token, request_read_session(request))
    if principal is None:
        limiter.failed(address)
        raise _unauthorized(f"the API token is unknown or revoked; a token with the {role} role (or higher) "
                            "is needed")
    wait = limiter.take(principal.token_id)
    if wait is not None:
        limits = limiter.limits
        raise _too_many(f"the API token {principal.name!r} is over its rate limit ({limits.token_rate:g} "
                        f"requests/s, bursts of {limits.token_burst}); retry in {retry_after(wait)} s", wait)
    if RANK[principal.role] < RANK[role]:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"this needs the {role} role (or higher); the token "
                            f"{principal.name!r} has the {principal.role} role")
    return principal


def require(role: str):
    """A dependency admitting tokens with `role` or a higher one."""
    def dependency(request: Request, store: StoreDep,
                   credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]) -> Principal:
        return _check(request, store, role, credentials.credentials if credentials else None)
    dependency.__name__ = f"require_{role}"
    return dependency


def require_for_stream(role: str):
    """Like `require`, also taking the token from `?token=` (the header wins when both are sent)."""
    def dependency(request: Request, store: StoreDep,
                   credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
                   token: Annotated[str | None, Security(query_token)]) -> Principal:
        return _check(request, store, role, credentials.credentials if credentials else token)
    dependency.__name__ = f"require_{role}_for_stream"
    return dependency


Viewer = Annotated[Principal, Depends(require("viewer"))]
Operator = Annotated[Principal, Depends(require("operator"))]
Admin = Annotated[Principal, Depends(require("admin"))]
StreamViewer = Annotated[Principal, Depends(require_for_stream("viewer"))]
