"""Every command, group, option and argument of `appliance` says what it is (`--help` is the manual)."""
from __future__ import annotations

import typer

from appliance.cli import app


def walk(command, path: str = "appliance"):
    yield path, command
    if hasattr(command, "commands"):          # a group (typer's own click)
        for name, sub in command.commands.items():
            yield from walk(sub, f"{path} {name}")


def test_every_command_and_parameter_has_help():
    root = typer.main.get_command(app)
    missing = []
    for path, command in walk(root):
        if not (command.help or command.short_help or "").strip():
            missing.append(path)
        for param in command.params:
            if param.name in ("help", "install_completion", "show_completion"):
                continue
            if not (getattr(param, "help", None) or "").strip():
                missing.append(f"{path} {param.opts[0] if param.opts else param.name}")
    assert not missing, "no help: " + ", ".join(missing)


def test_completion_can_be_installed():
    names = {opt for param in typer.main.get_command(app).params for opt in param.opts}
    assert {"--install-completion", "--show-completion", "--version"} <= names
