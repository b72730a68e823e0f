"""What `appliance analyze` does once its arguments are read, and the plain arguments read without typer.

The typer command (appliance.cli_app) and the entry point (appliance.cli) both run `analyze` here. The
entry point reads the command lines scripts and the bench write itself (`plain_arguments`) and does not
import typer for them: typer and its click cost ~25 ms of CPU to import and build, a fifth of the start-up
of `appliance analyze`. Any other command line goes to typer, which reads it, or says what is wrong with it.
"""
from __future__ import annotations

import sys

FORMATS = ("json", "table")       # cli_app.ReportFormat's values


def plain_arguments(args: list[str]) -> tuple[list[str], str, bool] | None:
    """(captures, format, progress) of `analyze`'s arguments when each one is a capture (`-` too), `--format`
    or `-f` followed by json or table, `--progress` or `--no-progress`, read as typer's click reads them (in
    any order, the last format or progress given counts). None for anything else (`--help`, `--`,
    `--format=json`, no capture, ...): typer reads that, or says what is wrong with it."""
    captures, format, progress = [], "json", True
    words = iter(args)
    for word in words:
        if word in ("--format", "-f"):
            format = next(words, None)
            if format not in FORMATS:
                return None
        elif word in ("--progress", "--no-progress"):
            progress = word == "--progress"
        elif word.startswith("-") and word != "-":
            return None
        else:
            captures.append(word)
    return (captures, format, progress) if captures else None


def analyze(captures: list[str], format: str, progress: bool) -> None:
    from appliance.analyze import analyze_files
    from appliance.progress import file_progress
    from appliance.settings import Settings
    policy = Settings.from_env().policy                     # hard phones, exemptions, severities
    report = analyze_files(captures, policy, progress=file_progress if progress else None)
    for capture in report["captures"]:
        for warning in capture["warnings"]:
            print(f"appliance: warning: {warning}", file=sys.stderr)
    print_report(report, format)


def print_report(report: dict, format: str) -> None:
    if format == "json":
        from appliance.jsontext import dumps_indent1
        sys.stdout.write(dumps_indent1(report) + "\n")          # json.dumps(report, indent=1), faster
    else:
        from rich.console import Console

        from appliance.table import render
        console = Console()
        render(report, console if console.is_terminal else Console(width=160))
