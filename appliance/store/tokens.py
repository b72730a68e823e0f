"""API tokens: 32 random bytes, url-safe; the clear token is returned once at creation and only its
SHA-256 is stored (with a short prefix to tell tokens apart in a list). Verification looks the hash
up and compares it in constant time."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Row, bindparam, select
from sqlalchemy.orm import Session

from appliance.store.columns import utcnow
from appliance.store.errors import InvalidValue, NotFound
from appliance.store.models import ROLES, ApiToken

PREFIX_CHARS = 8
TOUCH_EVERY = timedelta(minutes=1)      # last_used_at is written at most this often per token


@dataclass(frozen=True, slots=True)
class NewToken:
    token: str              # shown once, never stored
    row: ApiToken


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(session: Session, name: str, role: str, created_by: str | None = None,
                 now: datetime | None = None) -> NewToken:
    if role not in ROLES:
        raise InvalidValue(f"role must be one of {', '.join(ROLES)}")
    token = secrets.token_urlsafe(32)
    row = ApiToken(name=name, role=role, token_hash=token_hash(token), prefix=token[:PREFIX_CHARS],
                   created_by=created_by, created_at=now or utcnow())
    session.add(row)
    session.flush()
    return NewToken(token, row)


def verify_token(session: Session, token: str, now: datetime | None = None) -> ApiToken | None:
    """The live (not revoked) token row for a presented token, or None."""
    digest = token_hash(token)
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == digest)).one_or_none()
    if not _live(row, digest):
        return None
    now = now or utcnow()
    if _due(row, now):
        row.last_used_at = now
    return row


def _live(row, digest: str) -> bool:
    return row is not None and hmac.compare_digest(row.token_hash, digest) and row.revoked_at is None


def _due(row, now: datetime) -> bool:
    """Whether the token's `last_used_at` is to be recorded again (at most once per TOUCH_EVERY)."""
    return row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY


LIVE_COLUMNS = (ApiToken.id, ApiToken.name, ApiToken.role, ApiToken.token_hash, ApiToken.revoked_at,
                ApiToken.last_used_at)
_LOOKUP = select(*LIVE_COLUMNS).where(ApiToken.token_hash == bindparam("digest"))


def live_token(connection: Connection, token: str, now: datetime | None = None) -> tuple[Row | None, bool]:
    """`verify_token` as a read: the live token's row of `LIVE_COLUMNS` (or None) and whether its
    `last_used_at` is due (for the caller to record through `verify_token` in a writing session). One
    Core query on `connection`: what the API asks the store on every request."""
    digest = token_hash(token)
    row = connection.execute(_LOOKUP, {"digest": digest}).one_or_none()
    if not _live(row, digest):
        return None, False
    return row, _due(row, now or utcnow())


def revoke_token(session: Session, token_id: int, now: datetime | None = None) -> ApiToken:
    """Revoke a token (idempotent: the first revocation time stays)."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"no token {token_id}")
    row.revoked_at = row.revoked_at or now or utcnow()
    return row


def list_tokens(session: Session, include_revoked: bool = False) -> list[ApiToken]:
    query = select(ApiToken).order_by(ApiToken.id)
    if not include_revoked:
        query = query.where(ApiToken.revoked_at.is_(None))
    return list(session.scalars(query))
