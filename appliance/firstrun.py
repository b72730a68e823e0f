"""`appliance first-run`: a newcomer's one command (what `make run` calls).

It migrates the store (SQLite in APPLIANCE_DATA_DIR unless APPLIANCE_DATABASE_URL says otherwise),
imports the project's own recorded real-client calls (tests/data/lab/*.pcap, through the same
importer as `appliance import`) under the sensor id `lab-recordings`, creates an admin token and
prints it, then runs `appliance run` — the API and dashboard on 127.0.0.1:8080 plus a collector on
each interface of APPLIANCE_INTERFACES — and prints the dashboard's URL.

Running it again reuses the store: a capture already imported (by content, SHA-256, recorded in
`<data_dir>/first-run.json`) is not imported again, so alerts are not counted twice; each run makes
a new admin token named `first-run` and revokes the previous one, and says so."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import typer

from appliance.settings import Settings

LAB_SENSOR = "lab-recordings"
TOKEN_NAME = "first-run"
MARKER = "first-run.json"
LAB_DIR = Path(__file__).resolve().parent.parent / "tests" / "data" / "lab"


@dataclass
class FirstRun:
    """What `prepare` did, for the banner (and tests)."""
    database: str
    token: str
    revoked: int = 0                                     # earlier first-run tokens revoked now
    imported: list[str] = field(default_factory=list)    # capture names imported this run
    skipped: list[str] = field(default_factory=list)     # already imported by an earlier run
    streams: int = 0
    alerts: int = 0
    captures_dir: Path | None = None


def _digest(path: Path) -> str:
    import hashlib                 # here: every `appliance` command imports this module (first-run's command)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _captures(source: Path | None) -> tuple[Path | None, list[Path]]:
    folder = source or LAB_DIR
    if folder.is_file():
        return folder.parent, [folder]
    return (folder, sorted(folder.glob("*.pcap"))) if folder.is_dir() else (None, [])


def _marker(settings: Settings, store) -> tuple[Path, dict[str, str]]:
    """The record of imported captures (sha256 -> name); empty when the store no longer holds the
    lab sensor (a new or wiped database), so the captures are imported again."""
    from appliance.store.models import Sensor
    path = settings.data_dir / MARKER
    try:
        recorded = json.loads(path.read_text())
    except (OSError, ValueError):
        return path, {}
    with store.session(readonly=True) as session:
        present = session.get(Sensor, LAB_SENSOR) is not None
    if not present or recorded.get("database") != _database(settings) or not isinstance(recorded.get("captures"), dict):
        return path, {}
    return path, dict(recorded["captures"])


def _database(settings: Settings) -> str:
    from appliance.store.engine import database_url
    return database_url(settings.store()).render_as_string(hide_password=True)


def prepare(settings: Settings, captures: Path | None = None) -> FirstRun:
    """Store, lab import and admin token; returns what was done (the token in clear)."""
    from appliance.actor import cli_actor
    from appliance.commands import open_migrated_store
    from appliance.store import audit, queries
    from appliance.store.importer import import_captures

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    folder, paths = _captures(captures)
    with open_migrated_store(settings) as store:
        marker, done = _marker(settings, store)
        todo = [p for p in paths if _digest(p) not in done]
        result = FirstRun(database=_database(settings), token="", captures_dir=folder,
                          skipped=[p.name for p in paths if p not in todo])
        if todo:
            report = import_captures(store, LAB_SENSOR, [str(p) for p in todo], settings.policy)
            result.imported = [p.name for p in todo]
            result.streams, result.alerts = len(report["streams"]), len(report["alerts"])
            done.update({_digest(p): p.name for p in todo})
            marker.write_text(json.dumps({"database": result.database, "sensor": LAB_SENSOR, "captures": done},
                                         indent=1) + "\n")
        with store.session() as session:
            for row in queries.list_tokens(session):
                if row.name == TOKEN_NAME and row.created_by == TOKEN_NAME:
                    audit.record_as(session, cli_actor(), "token.revoke", f"token:{row.id}", None,
                                    audit.snapshot(queries.revoke_token(session, row.id)))
                    result.revoked += 1
            new = queries.create_token(session, TOKEN_NAME, "admin", created_by=TOKEN_NAME)
            session.flush()
            audit.record_as(session, cli_actor(), "token.create", f"token:{new.row.id}", None, audit.snapshot(new.row))
            result.token = new.token
    return result


def banner(settings: Settings, done: FirstRun, host: str, port: int, serving: bool) -> str:
    lines = ["", "VoIP encryption monitor — first run", f"  store:      {done.database}"]
    if done.imported:
        lines.append(f"  lab calls:  imported {len(done.imported)} recorded real-client capture(s) from "
                     f"{done.captures_dir} as sensor {LAB_SENSOR!r}: {done.streams} streams, {done.alerts} alerts")
    if done.skipped:
        lines.append(f"  lab calls:  {len(done.skipped)} capture(s) already imported by an earlier run (not repeated)")
    if not done.imported and not done.skipped:
        lines.append("  lab calls:  none found (tests/data/lab is not next to this installation)")
    lines.append("  admin token (new on every run" +
                 ("; the previous first-run token is now revoked" if done.revoked else "") + "):")
    lines.append(f"      {done.token}")
    if settings.interfaces:
        lines.append(f"  collecting: on {', '.join(settings.interfaces)} (APPLIANCE_INTERFACES)")
    else:
        lines.append("  collecting: no interface set — set APPLIANCE_INTERFACES=eth1 to watch a mirror port")
    url = f"http://{host}:{port}/"
    if serving:
        lines += [f"  dashboard:  {url}   (sign in with the admin token; Ctrl-C stops)", ""]
    else:
        lines += [f"  dashboard:  `appliance run`, then {url}", ""]
    return "\n".join(lines)


def first_run(settings: Settings, host: str | None = None, port: int | None = None, serve: bool = True,
              captures: Path | None = None) -> FirstRun:
    done = prepare(settings, captures)
    host, port = host or settings.host, port or settings.port
    print(banner(settings, done, host, port, serve), flush=True)
    if serve:
        from appliance.logs import configure_from
        from appliance.service import run
        configure_from(settings)
        run(settings, host, port)
    return done


def first_run_command(
    host: Optional[str] = typer.Option(None, help="listen address (default APPLIANCE_HOST or 127.0.0.1)"),
    port: Optional[int] = typer.Option(None, help="listen port (default APPLIANCE_PORT or 8080)"),
    serve: bool = typer.Option(True, help="serve after the set-up (--no-serve: set up, print and exit)"),
    captures: Optional[str] = typer.Option(None, help="a capture or folder to import instead of the lab recordings"),
) -> None:
    """Set up a store, import the recorded lab calls, print an admin token and serve the dashboard."""
    first_run(Settings.from_env(), host, port, serve, Path(captures) if captures else None)
