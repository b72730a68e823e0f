"""Platform drivers, chosen by Netmiko device_type. Each is imported when first asked for."""
from __future__ import annotations

from importlib import import_module

from appliance.switches.drivers.base import Driver, Plan
from appliance.switches.errors import Unsupported

DRIVERS: dict[str, str] = {
    "cisco_ios": "cisco_ios:CiscoIos", "cisco_xe": "cisco_ios:CiscoIos",
    "cisco_nxos": "cisco_nxos:CiscoNxos",
    "arista_eos": "arista_eos:AristaEos",
    "juniper_junos": "juniper_junos:JuniperJunos", "juniper": "juniper_junos:JuniperJunos",
    "aruba_aoscx": "aruba_aoscx:ArubaAoscx",
    "hp_procurve": "hp_procurve:HpProcurve", "aruba_procurve": "hp_procurve:HpProcurve",
    "aruba_osswitch": "hp_procurve:HpProcurve",
    "dell_os10": "dell_os10:DellOs10",
    "ovs_linux": "ovs:OvsLinux",
    "linux": "linux_tc:LinuxTc",
}


def driver_class(device_type: str) -> type[Driver]:
    try:
        module, name = DRIVERS[device_type].split(":")
    except KeyError:
        raise Unsupported(f"no SPAN driver for device type {device_type!r}; known: "
                          f"{', '.join(sorted(DRIVERS))}") from None
    return getattr(import_module(f"{__name__}.{module}"), name)


def for_device_type(device_type: str) -> Driver:
    return driver_class(device_type)()


__all__ = ["DRIVERS", "Driver", "Plan", "driver_class", "for_device_type"]
