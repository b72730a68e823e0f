"""`appliance status`: which store, configuration and interfaces are in effect for this user, here —
so a token created or a capture imported by hand is known to land where the dashboard reads."""
from __future__ import annotations

from appliance.output import OutputFormat, emit_one, format_option
from appliance.settings import Settings


def collect_status(settings: Settings) -> dict:
    from appliance import __version__
    from appliance.store.engine import DB_FILE, database_url
    from appliance.store.migrate import current_revision, head_revision
    from appliance.store.settings import StoreSettings
    store = StoreSettings(settings.database_url, settings.data_dir, secret_key=settings.secret_key)
    status = {
        "version": __version__,
        "store": database_url(store).render_as_string(hide_password=True),
        "data_dir": str(settings.data_dir),
        "data_dir_origin": "APPLIANCE_DATABASE_URL" if settings.database_url else settings.data_dir_origin,
        "config": str(settings.config_path) if settings.config_path else None,
        "sensor_id": settings.sensor_id,
        "interfaces": list(settings.interfaces),
        "listen": f"{settings.host}:{settings.port}",
        "secret_key": settings.secret_key is not None,        # whether one is set, never the key
    }
    exists = settings.database_url or (settings.data_dir / DB_FILE).is_file()     # looking creates no store
    try:
        status["newest_revision"] = head_revision(store)
        status["revision"] = current_revision(store) if exists else None
    except Exception as exc:               # an unreachable database is a status line, not a traceback
        status["revision"], status["newest_revision"], status["store_error"] = None, None, str(exc)
    return status


def _lines(status: dict) -> list[str]:
    lines = [f"appliance {status['version']}",
             f"store:       {status['store']}  ({status['data_dir_origin']})",
             f"revision:    {status['revision'] or 'not migrated'} (newest {status['newest_revision']})",
             f"config:      {status['config'] or 'none (APPLIANCE_CONFIG unset, no /etc/appliance/appliance.toml)'}",
             f"sensor id:   {status['sensor_id']}",
             f"interfaces:  {', '.join(status['interfaces']) or 'none (APPLIANCE_INTERFACES)'}",
             f"listen:      {status['listen']}",
             f"secret key:  {'set' if status['secret_key'] else 'not set (webhook secrets refused)'}"]
    if status.get("store_error"):
        lines.append(f"store error: {status['store_error']}")
    return lines


def status_command(format: OutputFormat = format_option()) -> None:
    """Print the store, configuration file, sensor id and interfaces in effect (and why)."""
    emit_one(collect_status(Settings.from_env()), format, _lines)
