"""Settings, built once at start-up from the environment (or passed in by tests) and handed down.

| variable                   | meaning                                              | default                       |
| APPLIANCE_DATA_DIR         | where the embedded SQLite store and state live      | see below                     |
| APPLIANCE_DATABASE_URL     | SQLAlchemy URL (PostgreSQL for several sensors)      | SQLite in the data dir        |
| APPLIANCE_SECRET_KEY       | Fernet key(s) encrypting webhook secrets in the store | none: webhooks with secrets refused |
| APPLIANCE_SENSOR_ID        | this sensor's id in a shared store                   | the host name                 |
| APPLIANCE_INTERFACES       | comma-separated mirror ports `appliance run` captures on | none                      |
| APPLIANCE_HOST / _PORT     | where `appliance serve` listens                      | 127.0.0.1 / 8080              |
| APPLIANCE_RETENTION_DAYS   | purge data older than this                           | 30                            |
| APPLIANCE_CONFIG           | the TOML configuration file (appliance.config_file)  | /etc/appliance/appliance.toml if it exists |
| APPLIANCE_MASK_SIP_URIS    | 1: pseudonymise the user part of SIP URIs (privacy)  | 0 (or [privacy] in the file)  |
| APPLIANCE_LOG_FORMAT       | json or logfmt: one line per event on stderr (serve, run, collect) | json           |
| APPLIANCE_LOG_LEVEL        | debug, info, warning or error                        | info                          |
| APPLIANCE_NOTIFY_ALLOW     | CIDRs/host names (a,b) notifications may reach anyway | none (or [notify] allow)      |
| APPLIANCE_AUTO_RESOLVE_HOURS | an incident resolves itself after its phone made only compliant calls this long | 24 |
| APPLIANCE_REMIND_HOURS     | re-notify an incident left open (unacknowledged) this often | 0: never               |
| APPLIANCE_EXTERNAL_URL     | where the dashboard is reachable, for links in notifications | none                  |
| APPLIANCE_SWITCH_CREDENTIALS_DIR | the only place switch SSH key files may be read from | <data dir>/switch-credentials |

The configuration file holds the same settings (table [appliance]) plus the policy and the notifiers;
a variable that is set wins over the file.

Without APPLIANCE_DATA_DIR (variable or file), the data dir is the project-local `.appliance/` found in
the current directory or one of its parents — the store `make run` creates in a checkout, so a second
terminal in that checkout works on the same store — else ~/.local/share/voip-appliance.
`Settings.data_dir_origin` says which rule chose it (`appliance status` prints it).
"""
from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from appliance.errors import UsageError

if TYPE_CHECKING:       # imported where used: `appliance --help` and `--version` need none of them
    from appliance.notify.destinations import DestinationPolicy
    from appliance.policy import PolicySettings
    from appliance.privacy import Privacy
    from appliance.store.incident_settings import IncidentSettings
    from appliance.store.settings import StoreSettings


@dataclass(frozen=True)
class Settings:
    """Everything the environment and configuration file set, read once at start-up and passed down."""
    data_dir: Path
    database_url: str | None = None
    secret_key: str | None = field(default=None, repr=False)
    sensor_id: str = "sensor"
    interfaces: tuple[str, ...] = ()
    host: str = "127.0.0.1"
    port: int = 8080
    retention_days: int = 30
    policy: PolicySettings = field(default_factory=lambda: _default_policy())
    notifiers: tuple[dict, ...] = ()                # [[notifiers]] of the configuration file
    config_path: Path | None = None
    data_dir_origin: str = "APPLIANCE_DATA_DIR"
    log_format: str = "json"
    log_level: str = "info"
    notify: DestinationPolicy = field(default_factory=lambda: _default_notify())   # where notifications may go
    incidents: IncidentSettings = field(default_factory=lambda: _default_incidents())
    external_url: str = ""
    switch_credentials_dir: Path | None = None      # None: <data_dir>/switch-credentials

    @classmethod
    def from_env(cls, env=None, cwd: Path | None = None) -> "Settings":
        from appliance.config_file import config_path, load, notify_policy, policy_settings
        from appliance.store.incident_settings import IncidentSettings
        env = os.environ if env is None else env
        path = config_path(env)
        document = load(path) if path else {}
        file = {f"APPLIANCE_{key.upper()}": value for key, value in document.get("appliance", {}).items()}
        get = lambda name: env.get(name) or file.get(name)                       # noqa: E731
        data_dir, origin = _data_dir(env, file, cwd or Path.cwd())
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
            data_dir_origin=origin,
            log_format=_choice(get, "APPLIANCE_LOG_FORMAT", ("json", "logfmt")),
            log_level=_choice(get, "APPLIANCE_LOG_LEVEL", ("info", "debug", "warning", "error")),
            notify=notify_policy(document, env),
            incidents=IncidentSettings(auto_resolve_after=_number(get, "APPLIANCE_AUTO_RESOLVE_HOURS", 24) * 3600,
                                       remind_every=_number(get, "APPLIANCE_REMIND_HOURS", 0) * 3600 or None),
            external_url=str(get("APPLIANCE_EXTERNAL_URL") or ""),
            switch_credentials_dir=_path(get("APPLIANCE_SWITCH_CREDENTIALS_DIR")),
        )

    def switch_credentials(self) -> Path:
        """The directory switch key files must lie in (`appliance.switches.credentials`)."""
        return self.switch_credentials_dir or self.data_dir / "switch-credentials"

    def secrets(self) -> tuple[str, ...]:
        """Values that must never be printed or logged: the secret key(s), the database password."""
        values = [part.strip() for part in (self.secret_key or "").split(",")]
        match = re.match(r"^[^:/]+://[^:/@]*:([^@/]+)@", self.database_url or "")
        return tuple(v for v in values + [match.group(1) if match else ""] if v)

    def store(self) -> StoreSettings:
        from appliance.store.settings import StoreSettings
        if not self.database_url:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        return StoreSettings(self.database_url, self.data_dir, secret_key=self.secret_key)


def _default_notify():
    from appliance.notify.destinations import DestinationPolicy
    return DestinationPolicy()


def _default_policy():
    from appliance.policy import PolicySettings
    return PolicySettings()


def _default_incidents():
    from appliance.store.incident_settings import IncidentSettings
    return IncidentSettings()


PROJECT_STORE = ".appliance"


def _data_dir(env, file: dict, cwd: Path) -> tuple[Path, str]:
    """The data dir and the rule that chose it (module docstring)."""
    if env.get("APPLIANCE_DATA_DIR"):
        return Path(env["APPLIANCE_DATA_DIR"]), "APPLIANCE_DATA_DIR"
    if file.get("APPLIANCE_DATA_DIR"):
        return Path(file["APPLIANCE_DATA_DIR"]), "data_dir of the configuration file"
    for folder in (cwd, *cwd.parents):
        if (folder / PROJECT_STORE).is_dir():
            return folder / PROJECT_STORE, f"project-local {PROJECT_STORE}/ found from {cwd}"
    return Path.home() / ".local" / "share" / "voip-appliance", "the per-user default"


def _privacy(env, document: dict) -> Privacy:
    """Masking from APPLIANCE_MASK_SIP_URIS (1/0) or [privacy]; pseudonyms keyed with the secret key."""
    from appliance.privacy import Privacy
    raw = env.get("APPLIANCE_MASK_SIP_URIS")
    mask = raw.strip().lower() in ("1", "true", "yes", "on") if raw else bool(document.get("privacy", {}).get(
        "mask_sip_uris", False))
    key = env.get("APPLIANCE_SECRET_KEY")
    return Privacy(mask, key.encode("utf-8") if key else None)


def _choice(get, name: str, choices: tuple[str, ...]) -> str:
    """A setting with a fixed set of values; the first is the default."""
    raw = str(get(name) or choices[0]).strip().lower()
    if raw not in choices:
        raise UsageError(f"{name}={raw!r}: expected one of {', '.join(choices)}")
    return raw


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


def _number(get, name: str, default: float) -> float:
    raw = get(name)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        raise UsageError(f"{name}={raw!r} is not a number") from None
    if value < 0:
        raise UsageError(f"{name}={raw!r} must not be negative")
    return value
