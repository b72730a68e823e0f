"""The audit log (admin only): who changed tokens, webhooks, switches, SPAN sessions and alerts,
when, and what the state was before and after (secrets redacted). Newest first, filtered, paged."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.auth import Admin
from api.deps import ReadSessionDep
from api.routes import AUTH
from api.schemas import Moment, Text
from api.schemas.audit import AuditEntryPublic, AuditPage
from appliance.store import audit

router = APIRouter(prefix="/audit", tags=["audit"], responses=AUTH)


@router.get("", summary="The audit log, newest first")
def list_audit(
    session: ReadSessionDep, _: Admin,
    actor: Annotated[Text(100, 1), Query(description="a token's name, or a CLI user")] = None,
    action: Annotated[Text(40, 1), Query(description="an action (webhook.update) or a family (webhook)")] = None,
    target: Annotated[Text(200, 1), Query(description="e.g. switch:core1, alert:12")] = None,
    since: Annotated[Moment, Query(description="at or after (ISO 8601 or epoch seconds)")] = None,
    until: Annotated[Moment, Query(description="at or before (ISO 8601 or epoch seconds)")] = None,
    limit: Annotated[int, Query(ge=1, le=audit.MAX_LIMIT)] = 100,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> AuditPage:
    rows, total = audit.entries(session, actor=actor, action=action, target=target, since=since, until=until,
                                limit=limit, offset=offset)
    return AuditPage(items=[AuditEntryPublic.from_row(row) for row in rows], total=total)
