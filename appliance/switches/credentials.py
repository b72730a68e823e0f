"""Where a switch's secrets live. The store keeps only a reference, never the secret:

    env:VAR        the secret is in environment variable VAR of the process that connects
    keyfile:PATH   an SSH private key file (its passphrase, if any, through the secret reference)

`resolve` reads the secret when a connection is made, and nowhere else."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from appliance.switches.errors import CredentialError

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


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
    if not ENV_NAME.match(variable or ""):
        raise CredentialError(f"an environment variable name is letters, digits and _: {variable!r}")
    return f"env:{variable}"


def keyfile_ref(path: str) -> str:
    resolved = Path(path).expanduser()
    if not resolved.is_file():
        raise CredentialError(f"the key file {path} does not exist")
    return f"keyfile:{resolved.resolve()}"


def resolve(credential_ref: str | None, secret_ref: str | None, environ=None) -> Secrets:
    environ = os.environ if environ is None else environ
    password = key_file = None
    if credential_ref:
        kind, _, where = credential_ref.partition(":")
        if kind == "env":
            password = _from_env(where, "password", environ)
        elif kind == "keyfile":
            if not Path(where).is_file():
                raise CredentialError(f"the SSH key file {where} is missing")
            key_file = where
        else:
            raise CredentialError(f"unknown credential reference kind {kind!r} (env: or keyfile:)")
    enable = _from_env(secret_ref.partition(":")[2], "enable secret", environ) if secret_ref else None
    return Secrets(password, key_file, enable)


def _from_env(variable: str, what: str, environ) -> str:
    value = environ.get(variable)
    if not value:
        raise CredentialError(f"the {what} is to come from environment variable {variable}, which is not set")
    return value
