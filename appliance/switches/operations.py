"""Apply, verify and remove the appliance's mirror session on a connected switch, under one rule:
never touch a session the appliance did not create. Before any change the session is read back:

- on platforms that mark sessions (name, description, comment, cookie), a session holding our
  number/name without our marker is someone else's: refused;
- on platforms that cannot mark (IOS, OS10), a session with our number is ours only when the store
  recorded applying it and the switch still holds exactly what was recorded.

Every change is read back afterwards and compared with what was wanted; the switch's own echo of
the commands is never trusted."""
from __future__ import annotations

from dataclasses import dataclass, field

from appliance.switches.drivers.base import Driver
from appliance.switches.errors import NotOurs, SwitchCommandError
from appliance.switches.model import MirrorSession


@dataclass
class Outcome:
    observed: MirrorSession | None
    differences: list[str] = field(default_factory=list)
    changed: bool = False
    output: str = ""

    @property
    def matches(self) -> bool:
        return self.observed is not None and not self.differences


def apply(conn, driver: Driver, wanted: MirrorSession, recorded: MirrorSession | None) -> Outcome:
    existing = driver.read(conn, wanted)
    if existing is not None:
        ensure_ours(driver, existing, recorded)
        if not driver.differences(wanted, existing):
            return Outcome(existing)                    # already in place: nothing to change
        driver.configure(conn, driver.remove_commands(existing))
    try:
        output = driver.configure(conn, driver.create_commands(wanted))
    except SwitchCommandError as exc:
        raise SwitchCommandError(f"{exc}{_roll_back(conn, driver, wanted)}") from exc
    observed = driver.read(conn, wanted)
    if observed is None:
        raise SwitchCommandError("the switch accepted the commands but holds no session afterwards")
    return Outcome(observed, driver.differences(wanted, observed), True, output)


def verify(conn, driver: Driver, recorded: MirrorSession) -> Outcome:
    observed = driver.read(conn, recorded)
    if observed is None:
        return Outcome(None, ["the switch holds no session"])
    found = driver.differences(recorded, observed)
    if driver.owns(observed) is False and not observed.extra.get("unmanaged"):
        found.insert(0, "the session on the switch does not carry the appliance's marker")
    state = observed.extra.get("state")
    if state and not delivering(str(state)):
        found.append(f"the session is not up: {state}")
    return Outcome(observed, found)


def remove(conn, driver: Driver, recorded: MirrorSession | None, probe: MirrorSession) -> Outcome:
    """Remove our session; `probe` names what to read back when nothing was recorded."""
    existing = driver.read(conn, recorded or probe)
    if existing is None:
        return Outcome(None)                            # already gone
    ensure_ours(driver, existing, recorded)
    output = driver.configure(conn, driver.remove_commands(existing))
    left = driver.read(conn, existing)
    if left is not None:
        raise SwitchCommandError("the session is still on the switch after removal")
    return Outcome(None, changed=True, output=output)


def delivering(state: str) -> bool:
    """A session state that mirrors traffic: up, active, enabled (an admin-disabled one does not)."""
    return state.strip().lower().startswith(("up", "active", "enable", "true"))


def dry_run(conn, driver: Driver, wanted: MirrorSession, recorded: MirrorSession | None) -> str:
    existing = driver.read(conn, wanted)
    commands = driver.create_commands(wanted)
    if existing is not None:
        ensure_ours(driver, existing, recorded)
        commands = driver.remove_commands(existing) + commands
    return driver.dry_run(conn, commands)


def _roll_back(conn, driver: Driver, wanted: MirrorSession) -> str:
    """After a refused create: platforms that apply line by line (IOS) keep the lines before the refused
    one. The session did not exist before (or was ours and removed), so what is there now is ours."""
    try:
        partial = driver.read(conn, wanted)
        if partial is None:
            return "; nothing was left on the switch"
        driver.configure(conn, driver.remove_commands(partial))
        return "; the partly applied session was removed again"
    except SwitchCommandError as exc:
        return f"; removing the partly applied session failed too: {exc}"


def ensure_ours(driver: Driver, existing: MirrorSession, recorded: MirrorSession | None) -> None:
    owned = driver.owns(existing)
    label = _label(existing)
    if existing.extra.get("unmanaged"):
        raise NotOurs(f"{label} on the switch is {existing.extra['unmanaged']}, a kind of session the "
                      f"appliance never creates; refusing to change it")
    if owned is False:
        raise NotOurs(f"{label} on the switch was not created by the appliance (marker "
                      f"{existing.extra.get('marker')!r}); refusing to change it. Pick another session "
                      f"number/name for this switch or remove it by hand")
    if owned is None:
        if recorded is None:
            raise NotOurs(f"{label} already exists on the switch and the appliance has no record of creating "
                          f"it; refusing to change it")
        changed = driver.differences(recorded, existing)
        if changed:
            raise NotOurs(f"{label} was changed on the switch since the appliance applied it "
                          f"({'; '.join(changed)}); refusing to change it")


def _label(session: MirrorSession) -> str:
    return f"session {session.name} (number {session.number})"
