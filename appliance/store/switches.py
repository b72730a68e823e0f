"""Switches the appliance may configure SPAN on, the one mirror session it keeps on each, and the
audit trail of every SPAN action. Secrets are never passed here: a switch row holds references
(`env:VAR`, `keyfile:PATH`) checked by appliance.switches.credentials before they arrive.

Sessions arrive and leave as plain dicts (`MirrorSession.to_dict()`), so the store does not depend on
the switch-control code."""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from appliance.store.columns import utcnow
from appliance.store.errors import InvalidTransition, InvalidValue, NotFound
from appliance.store.models import SpanAction, SpanSession, Switch

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
REF = re.compile(r"^(env:[A-Za-z_][A-Za-z0-9_]*|keyfile:/.+)$")
ACTIONS = ("plan", "apply", "dry-run", "verify", "remove", "wire-check")


def add_switch(session: Session, name: str, device_type: str, host: str, *, port: int = 22,
               username: str | None = None, credential_ref: str | None = None, secret_ref: str | None = None,
               session_number: int = 7, created_by: str | None = None) -> Switch:
    if not NAME.match(name or ""):
        raise InvalidValue(f"a switch name is letters, digits, '.', '_' or '-' (at most 100): {name!r}")
    if not host or len(host) > 255 or any(ch.isspace() for ch in host):
        raise InvalidValue(f"a switch host is a name or an address: {host!r}")
    if not 1 <= port <= 65535 or not 1 <= session_number <= 65535:
        raise InvalidValue("port and session number must be between 1 and 65535")
    for ref in (credential_ref, secret_ref):
        if ref is not None and not REF.match(ref):
            raise InvalidValue(f"a credential reference is env:VARIABLE or keyfile:/absolute/path, not {ref!r}")
    if session.scalar(select(Switch).where(Switch.name == name)) is not None:
        raise InvalidTransition(f"a switch named {name} exists already")
    row = Switch(name=name, device_type=device_type, host=host, port=port, username=username,
                 credential_ref=credential_ref, secret_ref=secret_ref, session_number=session_number,
                 created_by=created_by, created_at=utcnow())
    session.add(row)
    session.flush()
    return row


def list_switches(session: Session) -> list[Switch]:
    return list(session.scalars(select(Switch).order_by(Switch.name)))


def get_switch(session: Session, name: str) -> Switch:
    row = session.scalar(select(Switch).where(Switch.name == name))
    if row is None:
        raise NotFound(f"no switch named {name!r} (see `appliance switch list`)")
    return row


def remove_switch(session: Session, name: str) -> None:
    """Forget a switch; refused while the appliance's mirror is applied on it (remove that first)."""
    row = get_switch(session, name)
    span = span_session(session, row)
    if span is not None and span.state == "applied":
        raise InvalidTransition(f"switch {name} still carries the appliance's SPAN session: "
                                f"run `appliance span remove {name}` first")
    session.delete(row)


def span_session(session: Session, switch: Switch) -> SpanSession | None:
    return session.scalar(select(SpanSession).where(SpanSession.switch_id == switch.id))


def recorded_session(session: Session, switch: Switch) -> dict | None:
    """The session as last applied (what the switch should hold), or None."""
    row = span_session(session, switch)
    if row is None or row.state != "applied":
        return None
    return {"name": row.name, "number": switch.session_number, "sources": list(row.sources),
            "source_vlans": list(row.source_vlans or []), "destination": row.destination}


def record_span(session: Session, switch: Switch, wanted: dict, state: str, actor: str,
                error: str | None = None, now: datetime | None = None) -> SpanSession:
    row = span_session(session, switch)
    if row is None:
        row = SpanSession(switch_id=switch.id, name=wanted["name"], created_by=actor, created_at=now or utcnow())
        session.add(row)
    row.sources, row.source_vlans = list(wanted["sources"]), list(wanted["source_vlans"])
    row.destination, row.state, row.last_error = wanted["destination"], state, error
    if state == "applied":
        row.applied_by, row.applied_at = actor, now or utcnow()
        row.verified_at, row.verified_ok = row.applied_at, error is None
    session.flush()
    return row


def record_verification(session: Session, switch: Switch, ok: bool, error: str | None = None,
                        now: datetime | None = None) -> None:
    row = span_session(session, switch)
    if row is not None:
        row.verified_at, row.verified_ok, row.last_error = now or utcnow(), ok, error


def record_action(session: Session, switch_name: str, action: str, actor: str, ok: bool,
                  wanted: dict | None = None, detail: str | None = None, now: datetime | None = None) -> SpanAction:
    if action not in ACTIONS:
        raise InvalidValue(f"unknown SPAN action {action!r}")
    row = SpanAction(switch_name=switch_name, action=action, actor=actor, ok=ok, session=wanted,
                     detail=(detail or "")[:4000] or None, at=now or utcnow())
    session.add(row)
    session.flush()
    return row


def list_actions(session: Session, switch_name: str | None = None, limit: int = 100) -> list[SpanAction]:
    query = select(SpanAction).order_by(SpanAction.at.desc(), SpanAction.id.desc()).limit(max(1, min(limit, 1000)))
    if switch_name is not None:
        query = query.where(SpanAction.switch_name == switch_name)
    return list(session.scalars(query))
