"""SPAN control against the store: look the switch up, connect, run the operation, and record the
outcome and who asked for it, whether it worked or not. The CLI and the API both go through here.

    control = SpanControl(store, ConnectSettings(session_log_dir=data_dir / "switch-logs"))
    outcome = control.apply("core1", ["Gi1/0/5:both"], ["100:rx"], "Gi1/0/48", actor="cli")"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from appliance.store import audit
from appliance.store import switches as registry
from appliance.switches import operations
from appliance.switches.connection import ConnectSettings, SwitchAccess, connect
from appliance.switches.drivers import Plan, for_device_type
from appliance.switches.errors import SwitchError
from appliance.switches.model import MirrorSession
from appliance.switches.operations import Outcome

SPAN_FIELDS = ("sources", "source_vlans", "destination", "state", "applied_by", "verified_ok")   # audit before

log = logging.getLogger(__name__)


@dataclass
class SpanControl:
    store: object
    connect_settings: ConnectSettings = field(default_factory=ConnectSettings)
    environ: dict | None = None
    connector: object = connect

    def plan(self, name: str, sources: list[str], vlans: list[str], destination: str) -> Plan:
        access, _recorded, number = self._load(name)
        return for_device_type(access.device_type).plan(MirrorSession.build(sources, vlans, destination,
                                                                             number=number))

    def apply(self, name: str, sources: list[str], vlans: list[str], destination: str, actor: str,
              save: bool = False) -> Outcome:
        """`save`: also write the switch's startup configuration once the read-back matches."""
        access, recorded, number = self._load(name)
        driver = for_device_type(access.device_type)
        wanted = MirrorSession.build(sources, vlans, destination, number=number)
        try:
            with self.connector(access, self.connect_settings, self.environ) as conn:
                outcome = operations.apply(conn, driver, wanted, recorded)
                if save and outcome.matches:
                    driver.save(conn)
        except SwitchError as exc:
            self._record(name, "apply", actor, False, wanted, str(exc), state="failed")
            raise
        detail = "; ".join(outcome.differences) or ("applied" if outcome.changed else "already in place")
        detail += " and saved" if save and outcome.matches else ""
        self._record(name, "apply", actor, outcome.matches, wanted, detail,
                     state="applied", error=None if outcome.matches else detail)
        return outcome

    def dry_run(self, name: str, sources: list[str], vlans: list[str], destination: str, actor: str) -> str:
        access, recorded, number = self._load(name)
        driver = for_device_type(access.device_type)
        wanted = MirrorSession.build(sources, vlans, destination, number=number)
        try:
            with self.connector(access, self.connect_settings, self.environ) as conn:
                report = operations.dry_run(conn, driver, wanted, recorded)
        except SwitchError as exc:
            self._record(name, "dry-run", actor, False, wanted, str(exc))
            raise
        self._record(name, "dry-run", actor, True, wanted, report)
        return report

    def verify(self, name: str, actor: str) -> Outcome:
        access, recorded, _number = self._load(name)
        if recorded is None:
            raise SwitchError(f"the appliance has no SPAN session applied on switch {name}: nothing to verify")
        driver = for_device_type(access.device_type)
        try:
            with self.connector(access, self.connect_settings, self.environ) as conn:
                outcome = operations.verify(conn, driver, recorded)
        except SwitchError as exc:
            self._record(name, "verify", actor, False, recorded.to_dict(), str(exc), verified=False)
            raise
        detail = "; ".join(outcome.differences) or "matches"
        self._record(name, "verify", actor, outcome.matches, recorded.to_dict(), detail, verified=outcome.matches)
        return outcome

    def remove(self, name: str, actor: str) -> Outcome:
        access, recorded, number = self._load(name)
        driver = for_device_type(access.device_type)
        probe = MirrorSession(number=number)
        try:
            with self.connector(access, self.connect_settings, self.environ) as conn:
                outcome = operations.remove(conn, driver, recorded, probe)
        except SwitchError as exc:
            self._record(name, "remove", actor, False, recorded.to_dict() if recorded else None, str(exc))
            raise
        self._record(name, "remove", actor, True, recorded.to_dict() if recorded else None,
                     "removed" if outcome.changed else "no session was on the switch", state="removed")
        return outcome

    def record_wire_check(self, name: str, actor: str, check) -> None:
        """Keep the result of listening on the collector's port after a change (`wirecheck.WireCheck`)."""
        with self.store.session() as session:
            registry.record_action(session, name, "wire-check", actor, check.ok, None, check.message())
        _log_action(name, "wire-check", actor, check.ok, check.message())

    # -- store ---------------------------------------------------------------------------------
    def _load(self, name: str) -> tuple[SwitchAccess, MirrorSession | None, int]:
        """How to reach the switch, the session as last applied (or None), and its session number."""
        with self.store.session(readonly=True) as session:
            row = registry.get_switch(session, name)
            access = SwitchAccess(row.name, row.device_type, row.host, row.port, row.username,
                                  row.credential_ref, row.secret_ref)
            recorded = registry.recorded_session(session, row)
            number = row.session_number
        return access, MirrorSession.from_dict(recorded) if recorded else None, number

    def _record(self, name: str, action: str, actor: str, ok: bool, wanted, detail: str, *,
                state: str | None = None, error: str | None = None, verified: bool | None = None) -> None:
        wanted_dict = wanted.to_dict() if isinstance(wanted, MirrorSession) else wanted
        with self.store.session() as session:
            registry.record_action(session, name, action, actor, ok, wanted_dict, detail)
            switch = registry.get_switch(session, name)
            span = registry.span_session(session, switch)
            audit.record_as(session, actor, f"span.{action}", f"switch:{name}", audit.snapshot(span, SPAN_FIELDS),
                            {"ok": ok, "session": wanted_dict, "detail": detail})
            if state == "failed" and span is not None and span.state == "applied":
                state = None                # a failed change leaves the applied session as it was recorded
            if state is not None and wanted_dict is not None:
                registry.record_span(session, switch, wanted_dict, state, actor, error)
            elif state == "removed" and span is not None:
                span.state = "removed"
            if verified is not None:
                registry.record_verification(session, switch, verified, None if verified else detail)
        _log_action(name, action, actor, ok, detail)


def _log_action(switch: str, action: str, actor: str, ok: bool, detail: str | None) -> None:
    """Every SPAN action, as it is recorded in the store's action log (no credentials are in either)."""
    log.info("span %s on %s by %s: %s", action, switch, actor,   # INFO: the CLI already prints a failure
            "ok" if ok else "failed", extra={"switch": switch, "action": action, "actor": actor, "ok": ok,
                                              "detail": (detail or "")[:500]})

