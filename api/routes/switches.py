"""Switches and the appliance's SPAN session on each (admin to register, operator to change SPAN,
viewer to look). Changes run over SSH from the API process, so its environment must hold the
secrets the switches name; only `APPLIANCE_SWITCH_*` variables and key files in the switch
credentials directory may be named (`appliance.switches.credentials`), and only by an admin.
Every action is recorded with the caller's token name and the time (`/switches/{name}/actions`)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from api.auth import Admin, Operator, Viewer
from api.deps import ReadSessionDep, StoreDep, WriteSessionDep
from api.routes import AUTH, NOT_FOUND, _error
from api.schemas.switches import (OutcomePublic, PlanPublic, RemovedPublic, SpanActionPublic, SpanRequest, SwitchCreate,
                                  SwitchName, SwitchPublic)
from appliance.store import audit
from appliance.store import switches as registry
from appliance.switches.connection import ConnectSettings
from appliance.switches.control import SpanControl
from appliance.switches.credentials import env_ref, keyfile_ref
from appliance.switches.drivers import driver_class

router = APIRouter(prefix="/switches", tags=["switches"], responses=AUTH)
CONFLICT = {409: _error("a switch of that name exists, the session is someone else's, or still applied")}
CREDENTIAL = {422: _error("a secret named outside APPLIANCE_SWITCH_* or the switch credentials directory")}
SWITCH_FAILED = {502: _error("the switch could not be reached, refused a command, or does not hold what was applied")}


def _control(request: Request, store) -> SpanControl:
    return SpanControl(store, ConnectSettings.from_settings(request.app.state.settings),
                       connector=request.app.state.switch_connector)


def _actor(who) -> str:
    return f"api:{who.name}"


@router.get("", summary="List switches and the appliance's SPAN session on each")
def list_switches(session: ReadSessionDep, _: Viewer) -> list[SwitchPublic]:
    return [SwitchPublic.from_row(row, registry.span_session(session, row)) for row in registry.list_switches(session)]


@router.post("", status_code=status.HTTP_201_CREATED, responses=CONFLICT | CREDENTIAL,
             summary="Register a switch (admin: it names where secrets are read from)")
def add_switch(body: SwitchCreate, request: Request, session: WriteSessionDep, who: Admin) -> SwitchPublic:
    driver_class(body.device_type)
    # the key file is looked for when connecting: it lives on the appliance, maybe not yet
    directory = request.app.state.settings.switch_credentials()
    credential = keyfile_ref(body.key_file, directory, must_exist=False) if body.key_file \
        else env_ref(body.password_env)
    row = registry.add_switch(session, body.name, body.device_type, body.host, port=body.port,
                              username=body.username, credential_ref=credential,
                              secret_ref=env_ref(body.secret_env) if body.secret_env else None,
                              session_number=body.session_number, created_by=_actor(who))
    session.flush()
    audit.record(session, who.name, "switch.add", f"switch:{body.name}", None, audit.snapshot(row))
    return SwitchPublic.from_row(row, None)


@router.get("/{name}", responses=NOT_FOUND, summary="One switch")
def get_switch(name: SwitchName, session: ReadSessionDep, _: Viewer) -> SwitchPublic:
    row = registry.get_switch(session, name)
    return SwitchPublic.from_row(row, registry.span_session(session, row))


@router.delete("/{name}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response,
               responses=NOT_FOUND | CONFLICT, summary="Forget a switch (not while its SPAN session is applied)")
def remove_switch(name: SwitchName, session: WriteSessionDep, who: Operator) -> Response:
    before = audit.snapshot(registry.get_switch(session, name))
    registry.remove_switch(session, name)
    audit.record(session, who.name, "switch.remove", f"switch:{name}", before, None)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{name}/span/plan", responses=NOT_FOUND, summary="The commands a SPAN change would send (no connection)")
def plan_span(name: SwitchName, body: SpanRequest, request: Request, store: StoreDep, _: Viewer) -> PlanPublic:
    plan = _control(request, store).plan(name, body.sources, body.source_vlans, body.destination)
    return PlanPublic(device_type=plan.device_type, create=plan.create, verify=plan.verify, remove=plan.remove,
                      save=plan.save, notes=plan.notes, text=plan.text())


@router.put("/{name}/span", responses=NOT_FOUND | CONFLICT | SWITCH_FAILED,
            summary="Apply (or dry-run) the appliance's SPAN session, read back")
def apply_span(name: SwitchName, body: SpanRequest, request: Request, store: StoreDep, who: Operator) -> OutcomePublic:
    control = _control(request, store)
    if body.dry_run:
        report = control.dry_run(name, body.sources, body.source_vlans, body.destination, _actor(who))
        return OutcomePublic(switch=name, matches=False, changed=False, observed=None, differences=[], dry_run=report)
    outcome = control.apply(name, body.sources, body.source_vlans, body.destination, _actor(who), save=body.save)
    return _outcome(name, outcome)


@router.post("/{name}/span/verify", responses=NOT_FOUND | SWITCH_FAILED,
             summary="Read the session back and compare it with what was applied")
def verify_span(name: SwitchName, request: Request, store: StoreDep, who: Operator) -> OutcomePublic:
    return _outcome(name, _control(request, store).verify(name, _actor(who)))


@router.delete("/{name}/span", responses=NOT_FOUND | CONFLICT | SWITCH_FAILED,
               summary="Remove the appliance's SPAN session (only its own), read back that it is gone")
def remove_span(name: SwitchName, request: Request, store: StoreDep, who: Operator) -> RemovedPublic:
    outcome = _control(request, store).remove(name, _actor(who))
    return RemovedPublic(switch=name, removed=outcome.changed)


@router.get("/{name}/actions", responses=NOT_FOUND, summary="Who did what to this switch's SPAN, and how it ended")
def list_actions(name: SwitchName, session: ReadSessionDep, _: Viewer,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[SpanActionPublic]:
    registry.get_switch(session, name)
    return [SpanActionPublic.from_row(row) for row in registry.list_actions(session, name, limit)]


def _outcome(name: str, outcome) -> OutcomePublic:
    observed = outcome.observed.to_dict() if outcome.observed is not None else None
    return OutcomePublic(switch=name, matches=outcome.matches, changed=outcome.changed, observed=observed,
                         differences=outcome.differences)
