"""The configuration file (TOML, `APPLIANCE_CONFIG`, default /etc/appliance/appliance.toml when it
exists): the same settings as the environment, plus the policy and the notifiers. The environment wins
over the file, so a unit's EnvironmentFile can override one value. Secrets are never in the file:
a notifier names the environment variable that holds its secret. appliance/examples/appliance.toml
documents every key.

    [appliance]   data_dir, database_url, sensor_id, interfaces, host, port, retention_days, log_format,
                  log_level, auto_resolve_hours, remind_hours, external_url, switch_credentials_dir
    [policy]      min_confidence, alert_on_device_classes, [policy.severities], [policy.hard_phones],
                  [[policy.exempt]]
    [[notifiers]] name, url, format, secret_env, enabled
    [privacy]     mask_sip_uris (also APPLIANCE_MASK_SIP_URIS=1)
    [notify]      allow: CIDRs and host names notifications may reach although the destination policy
                  refuses them, e.g. a syslog collector on 127.0.0.1 (also APPLIANCE_NOTIFY_ALLOW=a,b)

Unknown keys are refused with their name, so a misspelt option does not silently do nothing."""
from __future__ import annotations

from pathlib import Path

from appliance.alerts import ALERT_TYPES, SEVERITIES
from appliance.endpoint_rules import build_rules
from appliance.errors import UsageError

DEFAULT_PATH = Path("/etc/appliance/appliance.toml")
APPLIANCE_KEYS = {"data_dir", "database_url", "sensor_id", "interfaces", "host", "port", "retention_days",
                  "log_format", "log_level", "auto_resolve_hours", "remind_hours", "external_url",
                  "switch_credentials_dir"}
POLICY_KEYS = {"min_confidence", "alert_on_device_classes", "severities", "hard_phones", "exempt",
               "storm_handshakes", "storm_window"}
HARD_PHONE_KEYS = {"vendors", "subnets", "voice_vlans", "inventory"}
EXEMPT_KEYS = {"networks", "types", "reason"}
NOTIFIER_KEYS = {"name", "url", "format", "secret_env", "enabled"}
PRIVACY_KEYS = {"mask_sip_uris"}
NOTIFY_KEYS = {"allow"}


def config_path(env) -> Path | None:
    given = env.get("APPLIANCE_CONFIG")
    if given:
        path = Path(given).expanduser()
        if not path.is_file():
            raise UsageError(f"APPLIANCE_CONFIG={given}: no such file")
        return path
    return DEFAULT_PATH if DEFAULT_PATH.is_file() else None


def load(path: Path) -> dict:
    import tomllib                 # only with a configuration file
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the configuration file: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from None
    _only(document, {"appliance", "policy", "notifiers", "privacy", "notify"}, "", path)
    _only(document.get("privacy", {}), PRIVACY_KEYS, "privacy.", path)
    _only(document.get("notify", {}), NOTIFY_KEYS, "notify.", path)
    if not isinstance(document.get("notify", {}).get("allow", []), list):
        raise UsageError(f"{path}: notify.allow must be a list of CIDRs and host names")
    _only(document.get("appliance", {}), APPLIANCE_KEYS, "appliance.", path)
    policy = document.get("policy", {})
    _only(policy, POLICY_KEYS, "policy.", path)
    _only(policy.get("hard_phones", {}), HARD_PHONE_KEYS, "policy.hard_phones.", path)
    for n, entry in enumerate(policy.get("exempt", [])):
        _only(entry, EXEMPT_KEYS, f"policy.exempt[{n}].", path)
        _alert_types(entry.get("types", []), f"policy.exempt[{n}].types", path)
    _only(policy.get("severities", {}), set(ALERT_TYPES), "policy.severities.", path)
    for alert_type, severity in policy.get("severities", {}).items():
        if severity not in SEVERITIES:
            raise UsageError(f"{path}: policy.severities.{alert_type} = {severity!r}: one of {', '.join(SEVERITIES)}")
    for n, entry in enumerate(document.get("notifiers", [])):
        _only(entry, NOTIFIER_KEYS, f"notifiers[{n}].", path)
        if not entry.get("name") or not entry.get("url"):
            raise UsageError(f"{path}: notifiers[{n}] needs a name and a url")
    return document


def policy_settings(document: dict, base_dir: Path, privacy=None):
    """PolicySettings from the [policy] table (defaults where it is silent) and the privacy settings."""
    from appliance.policy import DEFAULT_SEVERITIES, PolicySettings
    section = document.get("policy", {})
    defaults = PolicySettings()
    return PolicySettings(
        severities={**DEFAULT_SEVERITIES, **section.get("severities", {})},
        min_confidence=float(section.get("min_confidence", defaults.min_confidence)),
        storm_handshakes=int(section.get("storm_handshakes", defaults.storm_handshakes)),
        storm_window=float(section.get("storm_window", defaults.storm_window)),
        rules=build_rules(section, base_dir), **({"privacy": privacy} if privacy is not None else {}))


def notify_policy(document: dict, env):
    """The notification destination policy: APPLIANCE_NOTIFY_ALLOW (comma-separated) if set, else [notify] allow."""
    from appliance.notify.destinations import DestinationPolicy
    raw = env.get("APPLIANCE_NOTIFY_ALLOW")
    entries, source = ((raw.split(","), "APPLIANCE_NOTIFY_ALLOW") if raw
                       else (document.get("notify", {}).get("allow", []), "[notify] allow"))
    try:
        return DestinationPolicy.parse(entries, source)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _only(table, allowed: set, prefix: str, path: Path) -> None:
    if not isinstance(table, dict):
        raise UsageError(f"{path}: {prefix.rstrip('.') or 'the file'} must be a table")
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise UsageError(f"{path}: unknown key {prefix}{unknown[0]} (known: {', '.join(sorted(allowed))})")


def _alert_types(types, where: str, path: Path) -> None:
    for alert_type in types:
        if alert_type not in ALERT_TYPES:
            raise UsageError(f"{path}: {where}: unknown alert type {alert_type!r}")
