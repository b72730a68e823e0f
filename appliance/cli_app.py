"""The `appliance` command line, as typer reads it (appliance.cli runs it, or reads plain `analyze`
command lines without it).

The commands defined here (`analyze`, `collect`, `serve`, ...) import what they need when they run. The
store, token, webhook, switch and SPAN commands live in their own modules, which are imported and
registered (`full_app`) only when the command line asks for something else than one of this module's
own commands: `appliance analyze` of a small capture does not pay for them (~10 ms of start-up).
`app` (the whole command line) is that registered application.
"""
from __future__ import annotations

import json
import sys
from enum import Enum
from functools import cache
from typing import List, Optional

import typer

from appliance.errors import ApplianceError

_app = typer.Typer(no_args_is_help=True,
                   help="VoIP media-encryption monitor: tells when a phone sends cleartext media, and why.")


class ReportFormat(str, Enum):
    json = "json"
    table = "table"


class LiveFormat(str, Enum):
    json = "json"
    table = "table"
    jsonl = "jsonl"


@cache
def full_app() -> typer.Typer:
    """The command line with every command registered, listed by `--help` in the order they always were."""
    from appliance.audit_command import audit_command
    from appliance.commands import db_app, import_command, secret_key_command, token_app, webhook_app
    from appliance.firstrun import first_run_command       # the newcomer's `make run`
    from appliance.status import status_command
    from appliance.switch_commands import span_app, switch_app
    own = list(_app.registered_commands)
    _app.registered_commands.clear()
    for group, name in ((db_app, "db"), (token_app, "token"), (webhook_app, "webhook"), (switch_app, "switch"),
                        (span_app, "span")):
        _app.add_typer(group, name=name)
    for command, name in ((import_command, "import"), (first_run_command, "first-run"),
                          (secret_key_command, "secret-key"), (status_command, "status"), (audit_command, "audit")):
        _app.command(name)(command)
    _app.registered_commands.extend(own)
    return _app


def __getattr__(name: str):
    if name == "app":
        return full_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _print_version(wanted: bool) -> None:
    if wanted:
        from appliance import __version__
        print(f"appliance {__version__}")
        raise typer.Exit()


@_app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                       help="print the version and exit")) -> None:
    """VoIP media-encryption monitor."""


@_app.command()
def analyze(captures: List[str] = typer.Argument(..., metavar="CAPTURE...", help="pcap or pcapng files"),
            format: ReportFormat = typer.Option(ReportFormat.json, "--format", "-f", help="json or table"),
            progress: bool = typer.Option(True, help="progress bar on stderr for large captures")) -> None:
    """Classify the VoIP traffic of captures: calls, streams, endpoints and alerts."""
    from appliance.analyze_command import analyze as run_analyze
    run_analyze(captures, format.value, progress)


@_app.command()
def collect(interface: str = typer.Option(..., "--interface", "-i", help="the mirror (SPAN) port"),
            duration: Optional[float] = typer.Option(None, help="stop after SECONDS and print the report"),
            workers: int = typer.Option(0, help="worker processes joined by PACKET_FANOUT (0: one per core but one, "
                                         "at least one, beside a coordinator process)"),
            format: LiveFormat = typer.Option(LiveFormat.jsonl, "--format", "-f",
                                              help="jsonl: each alert as it happens; json/table: the report"),
            bpf: Optional[str] = typer.Option(None, "--filter", help="BPF capture filter (default: all IP)"),
            ring_kib: int = typer.Option(64 * 1024, help="receive ring per worker, KiB"),
            store: bool = typer.Option(False, "--store", help="record events and alerts in the store")) -> None:
    """Classify live traffic on a mirror port: alerts within a second, the report at the end."""
    import os

    from appliance.collect import CollectSettings, auto_workers, collect as run_collect
    from appliance.logs import configure_from
    from collectors.sources.live import DEFAULT_FILTER
    from appliance.settings import Settings
    env = Settings.from_env()
    configure_from(env)                    # structured lines on stderr: store outages, start and stop
    settings = CollectSettings(interface, duration, workers or auto_workers(os.cpu_count()), bpf or DEFAULT_FILTER,
                               ring_kib=ring_kib, sensor_id=env.sensor_id, policy=env.policy, coordinator=not workers)
    printer = _alert_printer(format)
    heartbeat, terminated = _watchdog(), _terminated()
    stop = lambda: heartbeat() or terminated()                            # noqa: E731
    if store:
        from appliance.commands import open_migrated_store
        from appliance.store.buffered import BufferedRecorder
        from appliance.store.group import GroupCommit
        from appliance.store.recorder import Recorder
        with open_migrated_store(env) as opened:
            recorder = BufferedRecorder(Recorder(GroupCommit(opened), env.sensor_id,
                                                 incident_settings=env.incidents))
            try:
                report = run_collect(settings, on_alert=printer, recorder=recorder, stop=stop)
            finally:
                status = recorder.close()
            if status.outages:
                print(f"appliance: {status.line()}", file=sys.stderr)
            if status.pending or status.dropped:
                raise ApplianceError(f"{status.pending + status.dropped} writes did not reach the store "
                                     f"({status.pending} still waiting at exit, {status.dropped} dropped)")
    else:
        report = run_collect(settings, on_alert=printer, stop=stop)
    capture = report["captures"][0]
    print(f"appliance: {capture['path']}: {capture['packets']} packets, {capture['drops']} dropped, "
          f"{len(report['alerts'])} alerts", file=sys.stderr)
    for warning in capture["warnings"]:              # e.g. what a long run's report no longer lists
        print(f"appliance: warning: {warning}", file=sys.stderr)
    if format is not LiveFormat.jsonl:      # at the end of --duration, or when interrupted
        from appliance.analyze_command import print_report
        print_report(report, format.value)


@_app.command()
def serve(host: Optional[str] = typer.Option(None, help="listen address (default APPLIANCE_HOST or 127.0.0.1)"),
          port: Optional[int] = typer.Option(None, help="listen port (default APPLIANCE_PORT or 8080)")) -> None:
    """Run the REST API, the live alert feed and the webhook dispatcher."""
    from appliance.service import serve as run_service
    run_service(_service_settings(), host, port)


@_app.command()
def run(host: Optional[str] = typer.Option(None, help="listen address"),
        port: Optional[int] = typer.Option(None, help="listen port")) -> None:
    """`serve`, plus a collector on each interface of APPLIANCE_INTERFACES."""
    from appliance.service import run as run_all
    run_all(_service_settings(), host, port)


def _watchdog():
    """Under systemd (Type=notify): READY=1 once the capture loop runs, WATCHDOG=1 while it keeps turning."""
    import os
    import threading

    from appliance.sdnotify import Heartbeat, Notifier
    heartbeat, notifier = Heartbeat(), Notifier(os.environ)
    if notifier.address:
        limit = 2 * notifier.interval if notifier.interval else 0
        notifier.serve(ready=heartbeat.started, healthy=lambda: heartbeat.fresh(limit), stop=threading.Event())
    return heartbeat


def _terminated():
    """SIGTERM (systemd, `appliance run` stopping its collector) ends the capture as Ctrl-C does: the
    store writes still waiting (alerts go first, appliance/store_backlog.py) and the final report are
    written before the process exits, instead of being lost with it. The handler only appends to a
    list: it may run again while it runs (a collector gets SIGTERM from `appliance run` and from its
    parent's death at once), and a handler that takes a lock (threading.Event.set) then waits for
    itself forever: bench/site left collectors spinning that way."""
    import signal
    asked: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, frame: asked.append(signum))
    return lambda: bool(asked)


def _service_settings():
    """Settings of a long-running command, with its structured logging configured."""
    from appliance.logs import configure_from
    from appliance.settings import Settings
    settings = Settings.from_env()
    configure_from(settings)
    return settings


@_app.command()
def doctor(interface: Optional[str] = typer.Option(None, "--interface", "-i",
                                                   help="the mirror port (default: APPLIANCE_INTERFACES)"),
           seconds: float = typer.Option(3.0, "--seconds", help="how long to listen for mirrored traffic")) -> None:
    """Check privileges, the mirror port, arriving traffic, drops, the store and each webhook."""
    from appliance.doctor import FAIL, run_checks
    from appliance.settings import Settings
    checks = run_checks(Settings.from_env(), interface, seconds)
    for check in checks:
        print(check.line())
    failed = sum(check.status == FAIL for check in checks)
    print(f"{len(checks)} checks, {failed} failed")
    if failed:
        raise typer.Exit(1)


class ExampleKind(str, Enum):
    env = "env"
    toml = "toml"


@_app.command("example-config")
def example_config(kind: ExampleKind = typer.Argument(..., help="env: /etc/appliance/appliance.env; "
                                                              "toml: /etc/appliance/appliance.toml")) -> None:
    """Print the documented example of a configuration file (shipped in the package)."""
    from importlib import resources
    sys.stdout.write(resources.files("appliance").joinpath("examples", f"appliance.{kind.value}").read_text())


def _alert_printer(format):
    def print_alert(alert: dict) -> None:
        if format is LiveFormat.jsonl:
            sys.stdout.write(json.dumps(alert) + "\n")
        else:
            print(f"appliance: alert: {alert['severity']} {alert['type']} {alert['endpoint']}: {alert['summary']}",
                  file=sys.stderr)
        sys.stdout.flush()
    return print_alert


# the commands defined above: run without the others registered
OWN_COMMANDS = frozenset(info.name or typer.main.get_command_name(info.callback.__name__)
                         for info in _app.registered_commands)


def run(argv: list[str]) -> None:
    """Run the command line `argv`: this module's own commands without the others registered."""
    (_app if argv and argv[0] in OWN_COMMANDS else full_app())()


def as_typer_ends(exc: Exception) -> None:
    """For `analyze` run without typer (appliance.cli): what typer's main does with `exc` from a command
    (typer/core.py `_main`, typer/main.py `Typer.__call__`). An EOFError aborts and a closed stdout ends
    the run with 1 (both exit here); anything else returns for the caller to raise with typer's traceback."""
    import errno

    from typer import main as typer_main
    from typer._click.utils import PacifyFlushWrapper
    from typer.core import DEFAULT_MARKUP_MODE, HAS_RICH
    if isinstance(exc, EOFError):
        print(file=sys.stderr)
        if HAS_RICH and DEFAULT_MARKUP_MODE is not None:
            from typer import rich_utils
            rich_utils.rich_abort_error()
        else:
            print("Aborted!", file=sys.stderr)
        sys.exit(1)
    if isinstance(exc, OSError) and exc.errno == errno.EPIPE:
        sys.stdout, sys.stderr = PacifyFlushWrapper(sys.stdout), PacifyFlushWrapper(sys.stderr)
        sys.exit(1)
    sys.excepthook = typer_main.except_hook
    setattr(exc, typer_main._typer_developer_exception_attr_name, typer_main.DeveloperExceptionConfig(
        pretty_exceptions_enable=_app.pretty_exceptions_enable,
        pretty_exceptions_show_locals=_app.pretty_exceptions_show_locals,
        pretty_exceptions_short=_app.pretty_exceptions_short))
