"""Secrets for CLI commands come from an environment variable or a file (or stdin), never from an
argument: arguments end up in shell history and in `ps` for every user of the host."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from appliance.errors import UsageError

REFUSED_FLAG_HINT = ("--secret is refused: an argument is visible in shell history and `ps`. Use --secret-env VAR "
                     "(the name of an environment variable holding it) or --secret-file PATH (- reads stdin)")


def read_secret(env_name: str | None, file: str | None, environ=None, stdin=None) -> str | None:
    """The secret from `env_name` or `file` (`-`: stdin), trailing newline removed; None when neither is given."""
    if env_name and file:
        raise UsageError("give --secret-env or --secret-file, not both")
    if env_name:
        value = (os.environ if environ is None else environ).get(env_name)
        if not value:
            raise UsageError(f"--secret-env {env_name}: that environment variable is not set or empty")
        return value
    if file:
        try:
            value = (stdin or sys.stdin).read() if file == "-" else Path(file).read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--secret-file {file}: {exc.strerror}") from None
        value = value.rstrip("\r\n")
        if not value:
            raise UsageError(f"--secret-file {file}: empty")
        return value
    return None
