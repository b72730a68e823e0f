"""Who runs a CLI command, as the audit log and SPAN records name them: `cli:USER`."""
from __future__ import annotations


def cli_actor() -> str:
    import getpass                 # termios and pwd: only for the commands that record who ran them
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:                  # no user name (container without passwd entry)
        return "cli"
