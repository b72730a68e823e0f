"""A Linux bridge with tc (`linux`): per source port, a `clsact` qdisc and a u32 match-all filter
(this class of kernel may lack `matchall`) at a fixed preference whose `mirred` action copies the
frame to the destination port. The action carries a cookie spelling VOIPWATCH: that is the marker.
Removal deletes only our filters, never the qdisc (it may hold someone else's). Not persistent across
reboots. VLAN sources are not supported here: name the voice VLAN's ports instead."""
from __future__ import annotations

import json

from appliance.errors import UsageError
from appliance.switches.drivers.shell import ShellDriver, quote
from appliance.switches.model import SESSION_NAME, MirrorSession, PortSource

COOKIE = SESSION_NAME.encode().hex()
HOOKS = {"rx": ("ingress",), "tx": ("egress",), "both": ("ingress", "egress")}


class LinuxTc(ShellDriver):
    device_type = "linux"
    has_marker = True
    notes = ("tc mirrors are not persistent across reboots", f"filters use preference {7} and cookie {COOKIE}")

    def pref(self, session: MirrorSession) -> int:
        return session.number

    def create_commands(self, session: MirrorSession) -> list[str]:
        if session.vlans:
            raise UsageError("the linux (tc) driver mirrors ports, not VLANs: give the voice VLAN's ports as --source")
        commands = []
        for source in session.sources:
            port = quote(source.port)
            commands.append(f"tc qdisc show dev {port} | grep -q clsact || tc qdisc add dev {port} clsact")
            commands += [f"tc filter add dev {port} {hook} protocol all pref {self.pref(session)} u32 match u32 0 0 "
                         f"action mirred egress mirror dev {quote(session.destination)} cookie {COOKIE}"
                         for hook in HOOKS[source.direction]]
        return commands

    def remove_commands(self, session: MirrorSession) -> list[str]:
        return [f"tc filter del dev {quote(source.port)} {hook} pref {self.pref(session)}"
                for source in session.sources for hook in HOOKS[source.direction]]

    def verify_commands(self, session: MirrorSession) -> list[str]:
        return [f"tc -j filter show dev {quote(source.port)} {hook}"
                for source in session.sources for hook in ("ingress", "egress")]

    def parse(self, outputs: list[str], session: MirrorSession) -> MirrorSession | None:
        seen: dict[str, set] = {}
        destinations, cookies = set(), set()
        checks = [(source.port, hook) for source in session.sources for hook in ("ingress", "egress")]
        for (port, hook), output in zip(checks, outputs):
            for action in _mirror_actions(output, self.pref(session)):
                seen.setdefault(port, set()).add("rx" if hook == "ingress" else "tx")
                destinations.add(action.get("to_dev", ""))
                cookies.add(action.get("cookie", ""))
        if not seen:
            return None
        sources = tuple(PortSource(port, "both" if len(hooks) == 2 else hooks.pop()) for port, hooks in seen.items())
        marker = SESSION_NAME if cookies == {COOKIE} else "|".join(sorted(cookies)) or "(no cookie)"
        return MirrorSession(sources, (), ",".join(sorted(destinations)), session.name, session.number,
                             {"marker": marker})


def _mirror_actions(output: str, pref: int) -> list[dict]:
    """The mirred actions of the filters at `pref` in `tc -j filter show` output."""
    start = output.find("[")
    try:
        filters = json.loads(output[start:]) if start >= 0 else []
    except json.JSONDecodeError:
        return []
    actions = []
    for entry in filters:
        if entry.get("pref") != pref:
            continue
        for action in entry.get("options", {}).get("actions", []):
            if action.get("kind") == "mirred":
                actions.append(action)
    return actions
