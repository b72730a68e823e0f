"""Settings, built once at start-up from the environment (or passed in by tests) and handed down.

| variable                   | meaning                                              | default                       |
| APPLIANCE_DATA_DIR         | where the embedded SQLite store and state live      | ~/.local/share/voip-appliance |
| APPLIANCE_DATABASE_URL     | SQLAlchemy URL (PostgreSQL for several sensors)      | SQLite in the data dir        |
| APPLIANCE_SECRET_KEY       | Fernet key(s) encrypting webhook secrets in the store | none: webhooks with secrets refused |
| APPLIANCE_SENSOR_ID        | this sensor's id in a shared store                   | the host name                 |
| APPLIANCE_INTERFACES       | comma-separated mirror ports `appliance run` captures on | none                      |
| APPLIANCE_HOST / _PORT     | where `appliance serve` listens                      | 127.0.0.1 / 8080              |
| APPLIANCE_RETENTION_DAYS   | purge data older than this                           | 30                            |
| APPLIANCE_CONFIG           | the TOML configuration file (appliance.config_file)  | /etc/appliance/appliance.toml if it exists |
| APPLIANCE_MASK_SIP_URIS    | 1: pseudonymise the user part of SIP URIs (privacy)  | 0 (or [privacy] in the file)  |
| APPLIANCE_SWITCH_CREDENTIALS_DIR | the only place switch SSH key files may be read from | <data dir>/switch-credentials |

The configuration file holds the same settings (table [appliance]) plus the policy and the notifiers;
a variable that is set wins over the file.
"""
from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from pathlib import Path

from appliance.config_file import config_path, load, policy_settings
from appliance.errors import UsageError
from appliance.policy import PolicySettings
from appliance.privacy import Privacy
from appliance.store import StoreSettings


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str | None = None
    secret_key: str | None = field(default=None, repr=False)
    sensor_id: str = "sensor"
    interfaces: tuple[str, ...] = ()
    host: str = "127.0.0.1"
    port: int = 8080
    retention_days: int = 30
    policy: PolicySettings = field(default_factory=PolicySettings)
    notifiers: tuple[dict, ...] = ()                # [[notifiers]] of the configuration file
    config_path: Path | None = None
    switch_credentials_dir: Path | None = None      # None: <data_dir>/switch-credentials

    @classmethod
    def from_env(cls, env=None) -> "Settings":
        env = os.environ if env is None else env
        path = config_path(env)
        document = load(path) if path else {}
        file = {f"APPLIANCE_{key.upper()}": value for key, value in document.get("appliance", {}).items()}
        get = lambda name: env.get(name) or file.get(name)                       # noqa: E731
        data_dir = Path(get("APPLIANCE_DATA_DIR") or Path.home() / ".local" / "share" / "voip-appliance")
        interfaces = get("APPLIANCE_INTERFACES") or ""
        if isinstance(interfaces, str):
            interfaces = interfaces.split(",")
        return cls(
            data_dir=Path(data_dir).expanduser(),
            database_url=get("APPLIANCE_DATABASE_URL") or None,
            secret_key=env.get("APPLIANCE_SECRET_KEY") or None,          # never from the file
            sensor_id=str(get("APPLIANCE_SENSOR_ID") or socket.gethostname()),
            interfaces=tuple(str(i).strip() for i in interfaces if str(i).strip()),
            host=get("APPLIANCE_HOST") or "127.0.0.1",
            port=_int(get, "APPLIANCE_PORT", 8080),
            retention_days=_int(get, "APPLIANCE_RETENTION_DAYS", 30),
            policy=policy_settings(document, path.parent if path else Path.cwd(), _privacy(env, document)),
            notifiers=tuple(document.get("notifiers", [])),
            config_path=path,
            switch_credentials_dir=_path(get("APPLIANCE_SWITCH_CREDENTIALS_DIR")),
        )

    def switch_credentials(self) -> Path:
        """The directory switch key files must lie in (`appliance.switches.credentials`)."""
        return self.switch_credentials_dir or self.data_dir / "switch-credentials"

    def store(self) -> StoreSettings:
        if not self.database_url:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        return StoreSettings(self.database_url, self.data_dir, secret_key=self.secret_key)


def _privacy(env, document: dict) -> Privacy:
    """Masking from APPLIANCE_MASK_SIP_URIS (1/0) or [privacy]; pseudonyms keyed with the secret key."""
    raw = env.get("APPLIANCE_MASK_SIP_URIS")
    mask = raw.strip().lower() in ("1", "true", "yes", "on") if raw else bool(document.get("privacy", {}).get(
        "mask_sip_uris", False))
    key = env.get("APPLIANCE_SECRET_KEY")
    return Privacy(mask, key.encode("utf-8") if key else None)


def _path(raw) -> Path | None:
    return Path(raw).expanduser() if raw else None


def _int(get, name: str, default: int) -> int:
    raw = get(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise UsageError(f"{name}={raw!r} is not a number") from None
