"""Where a switch's secrets live. The store keeps only a reference, never the secret:

    env:VAR        the secret is in environment variable VAR of the process that connects
    keyfile:PATH   an SSH private key file (its passphrase, if any, through the secret reference)

References are confined to a namespace of their own, so that naming a "switch password" cannot
reach any other secret of the process (the store's key, the database URL, cloud credentials):
variables must be called `APPLIANCE_SWITCH_*` and key files must lie in the switch credentials
directory (`Settings.switch_credentials_dir`). Both are checked when a reference is made and again
by `resolve`, which reads the secret when a connection is made, and nowhere else."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from appliance.switches.errors import CredentialError

PREFIX = "APPLIANCE_SWITCH_"
ENV_NAME = re.compile(rf"^{PREFIX}[A-Z0-9_]+$")
NOT_SECRETS = frozenset({"APPLIANCE_SWITCH_CREDENTIALS_DIR"})        # the namespace's own setting


@dataclass(frozen=True)
class Secrets:
    password: str | None = field(default=None, repr=False)
    key_file: str | None = None
    enable_secret: str | None = field(default=None, repr=False)

    def hidden(self) -> dict[str, str]:
        """The values a session log must never show."""
        return {name: value for name, value in (("password", self.password), ("secret", self.enable_secret))
                if value}


def env_ref(variable: str) -> str:
    _check_variable(variable or "")
    return f"env:{variable}"


def keyfile_ref(path: str, directory: Path, must_exist: bool = True) -> str:
    """`keyfile:` reference to `path` (absolute, or relative to `directory`), which must lie in `directory`."""
    resolved = _inside(path, directory)
    if must_exist and not resolved.is_file():
        raise CredentialError(f"the key file {resolved} does not exist")
    return f"keyfile:{resolved}"


def resolve(credential_ref: str | None, secret_ref: str | None, environ=None,
            directory: Path | None = None) -> Secrets:
    environ = os.environ if environ is None else environ
    password = key_file = None
    if credential_ref:
        kind, _, where = credential_ref.partition(":")
        if kind == "env":
            password = _from_env(where, "password", environ)
        elif kind == "keyfile":
            key_file = str(_inside(where, directory))
            if not Path(key_file).is_file():
                raise CredentialError(f"the SSH key file {where} is missing")
        else:
            raise CredentialError(f"unknown credential reference kind {kind!r} (env: or keyfile:)")
    enable = _from_env(secret_ref.partition(":")[2], "enable secret", environ) if secret_ref else None
    return Secrets(password, key_file, enable)


def _check_variable(variable: str) -> None:
    if not ENV_NAME.match(variable) or variable in NOT_SECRETS:
        raise CredentialError(
            f"switch secrets come only from environment variables named {PREFIX}* (capitals, digits, _), "
            f"and {variable!r} is not one: put the secret in e.g. {PREFIX}CORE1_PASSWORD in the appliance's "
            "environment and name that variable")


def _inside(path: str, directory: Path | None) -> Path:
    if directory is None:
        raise CredentialError("no switch credentials directory is configured (APPLIANCE_SWITCH_CREDENTIALS_DIR)")
    base = Path(directory).expanduser().resolve()
    resolved = (base / Path(path).expanduser()).resolve()
    if not resolved.is_relative_to(base) or resolved == base:
        raise CredentialError(f"switch key files must lie in the switch credentials directory {base} "
                              f"(APPLIANCE_SWITCH_CREDENTIALS_DIR), and {path} does not: copy the key there "
                              "and name it by its file name")
    return resolved


def _from_env(variable: str, what: str, environ) -> str:
    _check_variable(variable)
    value = environ.get(variable)
    if not value:
        raise CredentialError(f"the {what} is to come from environment variable {variable}, which is not set")
    return value
