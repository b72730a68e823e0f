"""An SSH CLI emulator of switch dialects, for testing the SPAN drivers with the real Netmiko drivers.

    with Emulator(DIALECTS["cisco_ios"], "cisco_ios") as switch:
        conn = ConnectHandler(**switch.device())

Modules: server (asyncssh in a background thread), state (sessions and the refusal knobs), dialect
and cisco (what dialects share), one module per dialect (ios, nxos, eos, aoscx, junos). The show
outputs follow the layouts in /work/shared/SPAN.md: realistic, not captured from hardware."""
from tests.switch.emulator.aoscx import Aoscx
from tests.switch.emulator.eos import Eos
from tests.switch.emulator.ios import Ios
from tests.switch.emulator.junos import Junos
from tests.switch.emulator.nxos import Nxos
from tests.switch.emulator.server import Emulator
from tests.switch.emulator.state import Session, SwitchState

DIALECTS = {"cisco_ios": Ios, "cisco_nxos": Nxos, "arista_eos": Eos, "aruba_aoscx": Aoscx, "juniper_junos": Junos}

__all__ = ["DIALECTS", "Emulator", "Session", "SwitchState"]
