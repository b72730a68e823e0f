"""API tokens (admin only): list, create (the clear token is in the answer, once), revoke."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.auth import Admin
from api.deps import ReadSessionDep, WriteSessionDep
from api.routes import AUTH, NOT_FOUND, RowId
from api.schemas import TokenCreate, TokenCreated, TokenPublic
from appliance.store import audit, queries
from appliance.store.models import ApiToken

router = APIRouter(prefix="/tokens", tags=["tokens"], responses=AUTH)


@router.get("", summary="List API tokens (never their values)")
def list_tokens(session: ReadSessionDep, _: Admin,
                include_revoked: Annotated[bool, Query()] = False) -> list[TokenPublic]:
    return [TokenPublic.from_row(row) for row in queries.list_tokens(session, include_revoked=include_revoked)]


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create an API token; its value is shown once")
def create_token(body: TokenCreate, session: WriteSessionDep, who: Admin) -> TokenCreated:
    new = queries.create_token(session, body.name, body.role, created_by=who.name)
    session.flush()
    audit.record(session, who.name, "token.create", f"token:{new.row.id}", None, audit.snapshot(new.row))
    return TokenCreated(**TokenPublic.fields_of(new.row), token=new.token)


@router.delete("/{token_id}", responses=NOT_FOUND, summary="Revoke an API token (it stays listed as revoked)")
def revoke_token(token_id: RowId, session: WriteSessionDep, who: Admin) -> TokenPublic:
    before = audit.snapshot(session.get(ApiToken, token_id))
    row = queries.revoke_token(session, token_id)
    audit.record(session, who.name, "token.revoke", f"token:{token_id}", before, audit.snapshot(row))
    return TokenPublic.from_row(row)
