"""Who runs a CLI command, as the audit log and SPAN records name them: `cli:USER`."""
from __future__ import annotations

import getpass


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:                  # no user name (container without passwd entry)
        return "cli"
