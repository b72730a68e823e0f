"""Structured logs of the long-running commands (`serve`, `run`, `collect`): one line per event on
stderr, JSON (default) or logfmt, each with `ts`, `level`, `logger`, `event` and the event's own fields
(`extra=`). Under systemd (stderr is the journal's stream, JOURNAL_STREAM) every line starts with its
syslog priority, `<4>` for a warning, so `journalctl -p warning` filters on it.

Secrets never reach a line: the values the settings hold (secret key, database password) are replaced
by `***`, as are passwords in URLs and bearer tokens; httpx's per-request lines (full URLs) are off."""
from __future__ import annotations

import json
import logging
import os
import re
import sys
import time

FORMATS = ("json", "logfmt")
PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2}
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@/\s]+(?=@)", re.I)
_BEARER = re.compile(r"(?P<head>Bearer\s+)\S+", re.I)
MASK = "***"


class Scrubber:
    """Removes secrets from text: known values, URL passwords, bearer tokens."""

    def __init__(self, secrets=()):
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        text = _URL_PASSWORD.sub(lambda m: m.group("head") + MASK, text)
        return _BEARER.sub(lambda m: m.group("head") + MASK, text)


class EventFormatter(logging.Formatter):
    def __init__(self, format: str = "json", journald: bool = False, scrub: Scrubber | None = None):
        super().__init__()
        self.render = _json if format == "json" else _logfmt
        self.journald, self.scrub = journald, scrub or Scrubber()

    def format(self, record: logging.LogRecord) -> str:
        fields = {"ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) +
                  f".{int(record.msecs):03d}Z", "level": record.levelname.lower(), "logger": record.name,
                  "event": record.getMessage()}
        fields.update((k, v) for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_"))
        if record.exc_info:
            fields["exception"] = self.formatException(record.exc_info)
        line = self.scrub(self.render(fields))
        return f"<{PRIORITY.get(record.levelno, 6)}>{line}" if self.journald else line


def _json(fields: dict) -> str:
    return json.dumps(fields, default=str, ensure_ascii=False)


def _logfmt(fields: dict) -> str:
    def value(v) -> str:
        text = v if isinstance(v, str) else json.dumps(v, default=str)
        return text if text and re.fullmatch(r"[^\s\"=]+", text) else json.dumps(text, ensure_ascii=False)
    return " ".join(f"{key}={value(v)}" for key, v in fields.items())


def under_journald(stream=None) -> bool:
    """stderr is the journal's stream (systemd sets JOURNAL_STREAM=device:inode of it)."""
    expected = os.environ.get("JOURNAL_STREAM", "")
    try:
        info = os.fstat((stream or sys.stderr).fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return expected == f"{info.st_dev}:{info.st_ino}"


def configure_logging(level: str = "info", format: str = "json", secrets=(), stream=None) -> logging.Handler:
    """Replace the root logger's handlers with one structured handler on `stream` (stderr)."""
    stream = stream or sys.stderr
    handler = logging.StreamHandler(stream)
    handler.setFormatter(EventFormatter(format, under_journald(stream), Scrubber(secrets)))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    logging.getLogger("httpx").setLevel(logging.WARNING)      # one INFO line per request, with its URL
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.captureWarnings(True)
    return handler


def configure_from(settings) -> logging.Handler:
    """Logging for a command, from its settings (level, format, the secrets to keep out)."""
    return configure_logging(settings.log_level, settings.log_format, settings.secrets())
