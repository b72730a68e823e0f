"""CLI commands `switch` (the switches the appliance may configure) and `span` (its mirror session on
one of them). Secrets are never arguments: a password or enable secret is named by the
`APPLIANCE_SWITCH_*` environment variable that holds it, a key by its file in the switch credentials
directory (`appliance.switches.credentials`)."""
from __future__ import annotations

import sys
from typing import List, Optional

import typer

from appliance.actor import cli_actor
from appliance.errors import UsageError
from appliance.output import OutputFormat, emit, format_option
from appliance.settings import Settings

switch_app = typer.Typer(help="Switches the appliance configures SPAN on.", no_args_is_help=True)
span_app = typer.Typer(help="The appliance's mirror (SPAN) session on a switch.", no_args_is_help=True)

SOURCE_HELP = "a mirrored port, PORT[:rx|tx|both] (default both); repeat for more"
VLAN_HELP = "a mirrored VLAN, VID[:rx|tx|both] (default rx); repeat for more"
DEST_HELP = "the switch port the appliance's mirror NIC is cabled to"
NAME_HELP = "the switch's name (`switch list`)"
CHECK_SECONDS_HELP = "how long to listen for mirrored traffic"


def _control(settings: Settings, store):
    from appliance.switches.connection import ConnectSettings
    from appliance.switches.control import SpanControl
    return SpanControl(store, ConnectSettings.from_settings(settings))


@switch_app.command("add")
def switch_add(name: str = typer.Argument(..., help="a name for the switch (used by every other command)"),
               device_type: str = typer.Option(..., "--device-type", help="Netmiko device type, e.g. cisco_ios"),
               host: str = typer.Option(..., "--host", help="the switch's management address"),
               port: int = typer.Option(22, "--port", help="its SSH port"),
               username: str = typer.Option(..., "--username", help="the SSH user"),
               key_file: Optional[str] = typer.Option(None, "--key-file", help="SSH private key file in the switch credentials directory"),
               password_env: Optional[str] = typer.Option(None, "--password-env",
                                                          help="APPLIANCE_SWITCH_* variable holding the password"),
               secret_env: Optional[str] = typer.Option(None, "--secret-env",
                                                        help="APPLIANCE_SWITCH_* variable holding the enable secret"),
               session_number: int = typer.Option(7, "--session-number",
                                                  help="the mirror session number the appliance owns")) -> None:
    """Register a switch; its secrets stay where they are (environment or key file)."""
    from appliance.commands import open_migrated_store
    from appliance.store import audit
    from appliance.store import switches as registry
    from appliance.switches.credentials import env_ref, keyfile_ref
    from appliance.switches.drivers import driver_class
    driver_class(device_type)                                   # Unsupported for an unknown type
    if (key_file is None) == (password_env is None):
        raise UsageError("give exactly one of --key-file or --password-env")
    settings = Settings.from_env()
    credential = keyfile_ref(key_file, settings.switch_credentials()) if key_file else env_ref(password_env)
    secret = env_ref(secret_env) if secret_env else None
    with open_migrated_store(settings) as store, store.session() as session:
        row = registry.add_switch(session, name, device_type, host, port=port, username=username,
                                  credential_ref=credential, secret_ref=secret, session_number=session_number,
                                  created_by=cli_actor())
        session.flush()
        audit.record_as(session, cli_actor(), "switch.add", f"switch:{name}", None, audit.snapshot(row))
    print(f"switch {name}: {device_type} at {username}@{host}:{port}, credentials from {credential}")


@switch_app.command("list")
def switch_list(format: OutputFormat = format_option()) -> None:
    """The registered switches and the state of the appliance's mirror session on each."""
    from appliance.commands import open_migrated_store
    from appliance.store import switches as registry
    with open_migrated_store() as store, store.session(readonly=True) as session:
        rows = []
        for row in registry.list_switches(session):
            span = registry.span_session(session, row)
            rows.append({"name": row.name, "device_type": row.device_type, "host": row.host, "port": row.port,
                         "username": row.username, "span_state": span.state if span else None,
                         "span_destination": span.destination if span else None})
    emit(rows, format, _switch_line)


def _switch_line(row: dict) -> str:
    state = row["span_state"]
    span = "no span" if state is None else f"span {state}" + (
        f" -> {row['span_destination']}" if state == "applied" else "")
    return f"{row['name']}\t{row['device_type']}\t{row['username']}@{row['host']}:{row['port']}\t{span}"


@switch_app.command("remove")
def switch_remove(name: str = typer.Argument(..., help=NAME_HELP)) -> None:
    """Forget a switch (refused while the appliance's mirror is applied on it)."""
    from appliance.commands import open_migrated_store
    from appliance.store import audit
    from appliance.store import switches as registry
    with open_migrated_store() as store, store.session() as session:
        before = audit.snapshot(registry.get_switch(session, name))
        registry.remove_switch(session, name)
        audit.record_as(session, cli_actor(), "switch.remove", f"switch:{name}", before, None)
    print(f"switch {name} removed")


@span_app.command("plan")
def span_plan(name: str = typer.Argument(..., help=NAME_HELP), source: List[str] = typer.Option([], "--source", help=SOURCE_HELP),
              source_vlan: List[str] = typer.Option([], "--source-vlan", help=VLAN_HELP),
              destination: str = typer.Option(..., "--destination", help=DEST_HELP)) -> None:
    """Print the commands that would create, read back and remove the session, without connecting."""
    from appliance.commands import open_migrated_store
    settings = Settings.from_env()
    with open_migrated_store(settings) as store:
        plan = _control(settings, store).plan(name, source, source_vlan, destination)
    sys.stdout.write(plan.text())


@span_app.command("apply")
def span_apply(name: str = typer.Argument(..., help=NAME_HELP), source: List[str] = typer.Option([], "--source", help=SOURCE_HELP),
               source_vlan: List[str] = typer.Option([], "--source-vlan", help=VLAN_HELP),
               destination: str = typer.Option(..., "--destination", help=DEST_HELP),
               dry_run: bool = typer.Option(False, "--dry-run",
                                            help="check against the switch's candidate config, change nothing"),
               save: bool = typer.Option(False, "--save", help="also save the switch's startup configuration"),
               check_interface: Optional[str] = typer.Option(None, "--check-interface",
                                                             help="after applying, listen here for mirrored "
                                                                  "traffic (default: first APPLIANCE_INTERFACES)"),
               check_seconds: float = typer.Option(5.0, "--check-seconds", help=CHECK_SECONDS_HELP)) -> None:
    """Create (or update) the appliance's session, read it back, then check the wire."""
    from appliance.commands import open_migrated_store
    settings = Settings.from_env()
    with open_migrated_store(settings) as store:
        control = _control(settings, store)
        if dry_run:
            sys.stdout.write(control.dry_run(name, source, source_vlan, destination, cli_actor()).rstrip() + "\n")
            return
        outcome = control.apply(name, source, source_vlan, destination, cli_actor(), save=save)
        _print_outcome(name, outcome, "applied" if outcome.changed else "already in place")
        if not outcome.matches:
            raise typer.Exit(1)
        _wire_check(control, name, check_interface or next(iter(settings.interfaces), None), check_seconds)


@span_app.command("verify")
def span_verify(name: str = typer.Argument(..., help=NAME_HELP),
                check_interface: Optional[str] = typer.Option(None, "--check-interface",
                                                              help="also listen here for mirrored traffic"),
                check_seconds: float = typer.Option(5.0, "--check-seconds", help=CHECK_SECONDS_HELP)) -> None:
    """Read the session back; exit 0 only when the switch holds exactly what was applied."""
    from appliance.commands import open_migrated_store
    settings = Settings.from_env()
    with open_migrated_store(settings) as store:
        control = _control(settings, store)
        outcome = control.verify(name, cli_actor())
        _print_outcome(name, outcome, "matches" if outcome.matches else "DOES NOT MATCH")
        if not outcome.matches:
            raise typer.Exit(1)
        _wire_check(control, name, check_interface, check_seconds)


@span_app.command("remove")
def span_remove(name: str = typer.Argument(..., help=NAME_HELP)) -> None:
    """Remove the appliance's session (only its own) and read back that it is gone."""
    from appliance.commands import open_migrated_store
    settings = Settings.from_env()
    with open_migrated_store(settings) as store:
        outcome = _control(settings, store).remove(name, cli_actor())
    print(f"switch {name}: " + ("session removed" if outcome.changed else "no appliance session was there"))


@span_app.command("log")
def span_log(name: Optional[str] = typer.Argument(None, help="only this switch (default: all)"),
             limit: int = typer.Option(20, "--limit", help="the newest N actions"),
             format: OutputFormat = format_option()) -> None:
    """Who did what to which switch, and how it ended."""
    from appliance.commands import open_migrated_store
    from appliance.store import switches as registry
    with open_migrated_store() as store, store.session(readonly=True) as session:
        rows = [{"at": row.at.isoformat(), "switch": row.switch_name, "action": row.action, "ok": row.ok,
                 "actor": row.actor, "detail": row.detail} for row in registry.list_actions(session, name, limit)]
    emit(rows, format, lambda r: f"{r['at'][:19].replace('T', ' ')}\t{r['switch']}\t{r['action']}\t"
                                 f"{'ok' if r['ok'] else 'FAILED'}\t{r['actor']}\t{r['detail'] or ''}")


def _print_outcome(name: str, outcome, verdict: str) -> None:
    print(f"switch {name}: session {verdict}")
    if outcome.observed is not None:
        seen = outcome.observed
        print(f"  sources: {', '.join(map(str, seen.sources)) or '-'}; VLANs: {', '.join(map(str, seen.vlans)) or '-'}; "
              f"destination: {seen.destination or '-'}")
    for difference in outcome.differences:
        print(f"  difference: {difference}")


def _wire_check(control, name: str, interface: str | None, seconds: float) -> None:
    if not interface:
        print("wire check skipped: no --check-interface and no APPLIANCE_INTERFACES", file=sys.stderr)
        return
    from appliance.switches.wirecheck import check_mirror
    check = check_mirror(interface, seconds)
    control.record_wire_check(name, cli_actor(), check)
    print(check.message())
    if not check.ok:
        raise typer.Exit(4)
