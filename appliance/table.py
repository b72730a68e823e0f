"""The `--format table` rendering of a report: what a person reads in a terminal."""
from __future__ import annotations

from datetime import datetime, timezone

from rich.console import Console
from rich.table import Table

SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}


def render(report: dict, console: Console) -> None:
    console.print(_captures(report))
    console.print(_streams(report))
    if report["calls"]:
        console.print(_calls(report))
    if report["signaling"]:
        console.print(_signaling(report))
    console.print(_alerts(report))


def _captures(report: dict) -> Table:
    table = Table(title="Captures", title_justify="left")
    for column in ("file", "packets", "bytes", "decode errors", "warnings"):
        table.add_column(column)
    for c in report["captures"]:
        table.add_row(c["path"], str(c["packets"]), str(c["bytes"]), str(c["decode_errors"]),
                      "; ".join(c["warnings"]) or "-")
    return table


def _streams(report: dict) -> Table:
    table = Table(title=f"Media streams ({len(report['streams'])})", title_justify="left")
    for column in ("kind", "from", "to", "codec", "packets", "verdict", "keying", "conf.", "why"):
        table.add_column(column, overflow="fold")
    for s in report["streams"]:
        verdict = "[green]encrypted[/]" if s["encrypted"] else "[bold red]CLEARTEXT[/]"
        table.add_row(s["kind"], f"{s['src']}:{s['src_port']}", f"{s['dst']}:{s['dst_port']}",
                      s["codec"] or "-", str(s["packets"]), verdict, s["keying"] or "-",
                      f"{s['confidence']:.2f}", s["evidence"][0] if s["evidence"] else "-")
    return table


def _calls(report: dict) -> Table:
    table = Table(title=f"Calls ({len(report['calls'])})", title_justify="left")
    for column in ("call-id", "from", "to", "signaling", "offer", "answer", "media"):
        table.add_column(column, overflow="fold")
    for c in report["calls"]:
        media = {True: "[green]encrypted[/]", False: "[bold red]cleartext[/]", None: "-"}[c["media_encrypted"]]
        table.add_row(c["call_id"][:32], c["from"], c["to"], c["signaling_transport"], c["offer"] or "-",
                      c["answer"] or "-", media)
    return table


def _signaling(report: dict) -> Table:
    table = Table(title=f"Signaling ({len(report['signaling'])})", title_justify="left")
    for column in ("transport", "client", "server", "user agents", "calls"):
        table.add_column(column, overflow="fold")
    for s in report["signaling"]:
        table.add_row(s["transport"], f"{s['client']}:{s['client_port']}", f"{s['server']}:{s['server_port']}",
                      ", ".join(s["user_agents"]) or "-", str(len(s["call_ids"])))
    return table


def _alerts(report: dict) -> Table:
    table = Table(title=f"Alerts ({len(report['alerts'])})", title_justify="left")
    for column in ("when (UTC)", "severity", "type", "endpoint", "device", "summary"):
        table.add_column(column, overflow="fold")
    for a in report["alerts"]:
        when = datetime.fromtimestamp(a["first_seen"], timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        style = SEVERITY_STYLE.get(a["severity"], "")
        table.add_row(when, f"[{style}]{a['severity']}[/]", a["type"], a["endpoint"],
                      a.get("device_class", "unknown"), a["summary"])
    return table
