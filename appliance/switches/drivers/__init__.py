"""Platform drivers, chosen by Netmiko device_type."""
from __future__ import annotations

from appliance.switches.drivers.arista_eos import AristaEos
from appliance.switches.drivers.aruba_aoscx import ArubaAoscx
from appliance.switches.drivers.base import Driver, Plan
from appliance.switches.drivers.cisco_ios import CiscoIos
from appliance.switches.drivers.cisco_nxos import CiscoNxos
from appliance.switches.drivers.dell_os10 import DellOs10
from appliance.switches.drivers.hp_procurve import HpProcurve
from appliance.switches.drivers.juniper_junos import JuniperJunos
from appliance.switches.drivers.linux_tc import LinuxTc
from appliance.switches.drivers.ovs import OvsLinux
from appliance.switches.errors import Unsupported

DRIVERS: dict[str, type[Driver]] = {
    "cisco_ios": CiscoIos, "cisco_xe": CiscoIos,
    "cisco_nxos": CiscoNxos,
    "arista_eos": AristaEos,
    "juniper_junos": JuniperJunos, "juniper": JuniperJunos,
    "aruba_aoscx": ArubaAoscx,
    "hp_procurve": HpProcurve, "aruba_procurve": HpProcurve, "aruba_osswitch": HpProcurve,
    "dell_os10": DellOs10,
    "ovs_linux": OvsLinux,
    "linux": LinuxTc,
}


def for_device_type(device_type: str) -> Driver:
    try:
        return DRIVERS[device_type]()
    except KeyError:
        raise Unsupported(f"no SPAN driver for device type {device_type!r}; known: "
                          f"{', '.join(sorted(DRIVERS))}") from None


__all__ = ["DRIVERS", "Driver", "Plan", "for_device_type"]
