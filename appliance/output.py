"""How listing and status commands print: `--format text` (tab-separated lines, for people and `cut`)
or `--format json` (one JSON document, for scripts)."""
from __future__ import annotations

import json
import sys
from enum import Enum
from typing import Callable, Iterable

import typer


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


def format_option(default: OutputFormat = OutputFormat.text):
    return typer.Option(default, "--format", "-f", help="text (tab-separated lines) or json")


def emit(rows: Iterable[dict], format: OutputFormat, line: Callable[[dict], str]) -> None:
    """A list of records: a JSON array, or one `line(row)` per record."""
    rows = list(rows)
    if format is OutputFormat.json:
        sys.stdout.write(json.dumps(rows, indent=1, default=str) + "\n")
    else:
        for row in rows:
            print(line(row))


def emit_one(record: dict, format: OutputFormat, lines: Callable[[dict], Iterable[str]]) -> None:
    """One record: a JSON object, or the lines `lines(record)` gives."""
    if format is OutputFormat.json:
        sys.stdout.write(json.dumps(record, indent=1, default=str) + "\n")
    else:
        for text in lines(record):
            print(text)
