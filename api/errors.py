"""Every error leaves as JSON `{"detail": "<a sentence>"}`: the store's refusals mapped to a status
(NotFound 404, InvalidTransition 409, InvalidValue 422, ConfigError 503), switch control's (a
session that is not the appliance's 409, an unreachable or refusing switch 502, bad input 422), request validation as 422
naming each bad field (listed again in `errors`), an unreachable or locked database as 503, and
anything unexpected as a logged 500 without internals."""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.headers import SECURITY_HEADERS
from appliance.errors import UsageError
from appliance.store.errors import ConfigError, InvalidTransition, InvalidValue, NotFound, StoreError
from appliance.switches.errors import (CredentialError, NotOurs, SwitchCommandError, SwitchConnectError, SwitchError,
                                       Unsupported)

log = logging.getLogger(__name__)
STORE_STATUS = {NotFound: 404, InvalidTransition: 409, InvalidValue: 422, ConfigError: 503}
SWITCH_STATUS = {NotOurs: 409, SwitchConnectError: 502, SwitchCommandError: 502, Unsupported: 422,
                 CredentialError: 422}


def error(status_code: int, detail: str, headers: dict | None = None, **extra) -> JSONResponse:
    return JSONResponse({"detail": detail, **extra}, status_code=status_code, headers=headers)


async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"there is no {request.url.path} (the API lives under /api/v1; see /docs)"
    elif exc.status_code == 400 and detail == "There was an error parsing the body":
        detail = "the request body could not be parsed: send UTF-8 JSON"
    elif exc.status_code == 405 and detail == "Method Not Allowed":
        detail = f"{request.method} is not allowed on {request.url.path}"
    return error(exc.status_code, detail, getattr(exc, "headers", None))


async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    fields = [{"loc": [str(p) if not isinstance(p, int) else p for p in e.get("loc", ())],
               "msg": e.get("msg", "invalid"), "type": e.get("type", "value_error")} for e in exc.errors()]
    reasons = "; ".join(f"{'.'.join(map(str, f['loc']))}: {f['msg']}" for f in fields)
    return error(422, f"invalid request: {reasons or 'malformed'}", errors=fields)


async def store_error(request: Request, exc: StoreError) -> JSONResponse:
    status = next((code for kind, code in STORE_STATUS.items() if isinstance(exc, kind)), 400)
    return error(status, str(exc) or type(exc).__name__)


async def switch_error(request: Request, exc: SwitchError) -> JSONResponse:
    status = next((code for kind, code in SWITCH_STATUS.items() if isinstance(exc, kind)), 409)
    return error(status, str(exc) or type(exc).__name__)


async def usage_error(request: Request, exc: UsageError) -> JSONResponse:
    return error(422, str(exc))


async def database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("store unavailable during %s %s: %s", request.method, request.url.path, exc)
    return error(503, "the store is unavailable (database unreachable or busy); try again shortly",
                 {"Retry-After": "5"})


async def internal_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error in %s %s", request.method, request.url.path)
    # answered by Starlette's outermost middleware, outside `SecurityHeaders`: the headers are set here
    return error(500, "internal error; the appliance logged the details", SECURITY_HEADERS)


def install(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StoreError, store_error)
    app.add_exception_handler(SwitchError, switch_error)
    app.add_exception_handler(UsageError, usage_error)
    app.add_exception_handler(OperationalError, database_unavailable)
    app.add_exception_handler(InterfaceError, database_unavailable)
    app.add_exception_handler(Exception, internal_error)
