"""An SSH session to a switch through Netmiko, with secrets resolved from their references at
connect time and a session log (optional) from which Netmiko hides the password and enable secret."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from appliance.switches.credentials import resolve
from appliance.switches.errors import SwitchConnectError


@dataclass(frozen=True)
class SwitchAccess:
    """How to reach a switch: everything but the secrets themselves."""
    name: str
    device_type: str
    host: str
    port: int = 22
    username: str | None = None
    credential_ref: str | None = None
    secret_ref: str | None = None


@dataclass(frozen=True)
class ConnectSettings:
    timeout: float = 15.0
    session_log_dir: Path | None = None      # one `<switch>.log` per switch, secrets hidden
    credentials_dir: Path | None = None      # the only directory key files are read from

    @classmethod
    def from_settings(cls, settings) -> "ConnectSettings":
        """The appliance's: session logs in its data directory, keys from its switch credentials directory."""
        return cls(session_log_dir=settings.data_dir / "switch-logs", credentials_dir=settings.switch_credentials())


@contextmanager
def connect(access: SwitchAccess, settings: ConnectSettings = ConnectSettings(), environ=None):
    from netmiko import ConnectHandler
    from netmiko.exceptions import NetmikoAuthenticationException, NetmikoTimeoutException
    secrets = resolve(access.credential_ref, access.secret_ref, environ, settings.credentials_dir)
    params = dict(device_type=access.device_type, host=access.host, port=access.port,
                  username=access.username or "", password=secrets.password or "",
                  secret=secrets.enable_secret or "", use_keys=bool(secrets.key_file), key_file=secrets.key_file,
                  allow_agent=False, conn_timeout=settings.timeout, auth_timeout=settings.timeout,
                  banner_timeout=settings.timeout, session_log=_session_log(access, settings, secrets))
    where = f"{access.username or ''}@{access.host}:{access.port}"
    try:
        conn = ConnectHandler(**params)
    except NetmikoAuthenticationException:
        raise SwitchConnectError(f"switch {access.name}: SSH authentication failed for {where}") from None
    except (NetmikoTimeoutException, OSError) as exc:
        raise SwitchConnectError(f"switch {access.name}: cannot reach {where} over SSH "
                                 f"({type(exc).__name__})") from None
    except Exception as exc:                # Netmiko raises ValueError & co. on odd prompts and hosts
        raise SwitchConnectError(f"switch {access.name}: SSH session to {where} failed: "
                                 f"{_redact(str(exc), secrets.hidden())}") from None
    try:
        if secrets.enable_secret and hasattr(conn, "enable"):
            conn.enable()
        yield conn
    finally:
        conn.disconnect()


def _session_log(access: SwitchAccess, settings: ConnectSettings, secrets):
    if settings.session_log_dir is None:
        return None
    from netmiko.session_log import SessionLog
    settings.session_log_dir.mkdir(parents=True, exist_ok=True)
    path = settings.session_log_dir / f"{access.name}.log"
    return SessionLog(file_name=str(path), file_mode="append", no_log=secrets.hidden(), record_writes=False)


def _redact(text: str, hidden: dict[str, str]) -> str:
    for value in hidden.values():
        text = text.replace(value, "********")
    return text[:300]
