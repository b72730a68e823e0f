"""An SSH CLI emulator of switch dialects, for testing the SPAN drivers with the real Netmiko drivers.

    with Emulator(DIALECTS["cisco_ios"], "cisco_ios") as switch:
        conn = ConnectHandler(**switch.device())

Modules: server (asyncssh in a background thread), state (sessions and the refusal knobs), dialect
and cisco (what dialects share), one module per dialect (ios, nxos, eos, aoscx, junos).
`SwitchState(layout=...)` picks which real device's show layout a dialect prints (see
tests/switch/fixtures): IOS `catalyst`, `xe17` (`None` placeholders), `c9300` (left-margin
directions, blank lines); NX-OS `classic`, `extended` (feature table); Junos `els`
(`default-switch/NAME` VLANs), `ids`; EOS default, `wrapped` (continuation lines). AOS-CX has one
layout, from SPAN.md (no real output was found)."""
from tests.switch.emulator.aoscx import Aoscx
from tests.switch.emulator.eos import Eos
from tests.switch.emulator.ios import Ios
from tests.switch.emulator.junos import Junos
from tests.switch.emulator.nxos import Nxos
from tests.switch.emulator.server import Emulator
from tests.switch.emulator.state import Session, SwitchState

DIALECTS = {"cisco_ios": Ios, "cisco_nxos": Nxos, "arista_eos": Eos, "aruba_aoscx": Aoscx, "juniper_junos": Junos}

__all__ = ["DIALECTS", "Emulator", "Session", "SwitchState"]
