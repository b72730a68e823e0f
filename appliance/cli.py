"""The `appliance` command line."""
from __future__ import annotations

import json
import sys
from enum import Enum
from typing import List

import typer
from rich.console import Console

from appliance.errors import ApplianceError
from collectors.errors import CollectorError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="VoIP media-encryption monitor: tells when a phone sends cleartext media, and why.")


class ReportFormat(str, Enum):
    json = "json"
    table = "table"


@app.callback()
def _root() -> None:
    """VoIP media-encryption monitor."""


@app.command()
def analyze(captures: List[str] = typer.Argument(..., metavar="CAPTURE...", help="pcap or pcapng files"),
            format: ReportFormat = typer.Option(ReportFormat.json, "--format", "-f", help="json or table"),
            progress: bool = typer.Option(True, help="progress bar on stderr for large captures")) -> None:
    """Classify the VoIP traffic of captures: calls, streams, endpoints and alerts."""
    from appliance.analyze import analyze_files
    from appliance.progress import file_progress
    report = analyze_files(captures, progress=file_progress if progress else None)
    for capture in report["captures"]:
        for warning in capture["warnings"]:
            print(f"appliance: warning: {warning}", file=sys.stderr)
    if format is ReportFormat.json:
        sys.stdout.write(json.dumps(report, indent=1) + "\n")
    else:
        from appliance.table import render
        console = Console()
        render(report, console if console.is_terminal else Console(width=160))


def main() -> None:
    try:
        app()
    except (CollectorError, ApplianceError) as exc:
        print(f"appliance: error: {exc}", file=sys.stderr)
        sys.exit(getattr(exc, "exit_code", 2))
    except KeyboardInterrupt:
        sys.exit(130)
