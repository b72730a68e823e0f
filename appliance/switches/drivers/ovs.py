"""Open vSwitch (`ovs_linux`): a `Mirror` row named VOIPWATCH, marked `external_ids:owner=voipwatch`,
read back with `--format=json`. OVSDB is persistent, so there is no save step. After every change
the userspace datapath's cached flows are purged (`revalidator/purge`), or the change seems not to
take effect (SPAN.md 5a). OVS mirrors a VLAN in both directions: a VLAN's direction is not kept."""
from __future__ import annotations

import json

from appliance.switches.drivers.shell import ShellDriver, quote
from appliance.switches.model import SESSION_NAME, MirrorSession, PortSource, VlanSource

OWNER = "voipwatch"
PURGE = "ovs-appctl revalidator/purge"


class OvsLinux(ShellDriver):
    device_type = "ovs_linux"
    has_marker = True
    notes = ("OVSDB is persistent: no save step", "OVS mirrors a source VLAN in both directions")

    def create_commands(self, session: MirrorSession) -> list[str]:
        ids, rx, tx = [], [], []
        for n, source in enumerate(session.sources):
            ids += ["--", f"--id=@s{n}", "get", "port", quote(source.port)]
            (rx if source.direction in ("rx", "both") else []).append(f"@s{n}")
            (tx if source.direction in ("tx", "both") else []).append(f"@s{n}")
        ids += ["--", "--id=@out", "get", "port", quote(session.destination)]
        columns = [f"name={session.name}", "output_port=@out", f"external_ids:owner={OWNER}"]
        if rx:
            columns.append("select_src_port=" + ",".join(rx))
        if tx:
            columns.append("select_dst_port=" + ",".join(tx))
        if session.vlans:
            columns += ["select_all=true", "select_vlan=" + ",".join(str(v.vlan) for v in session.vlans)]
        create = ["--", "--id=@m", "create", "mirror"] + columns
        attach = ["--", "add", "bridge", _bridge_of(session.destination), "mirrors", "@m"]
        return [" ".join(["ovs-vsctl"] + ids + create + attach), PURGE]

    def remove_commands(self, session: MirrorSession) -> list[str]:
        return [f"ovs-vsctl -- --id=@m get mirror {session.name} -- remove bridge "
                f"{_bridge_of(session.destination)} mirrors @m", PURGE]

    def verify_commands(self, session: MirrorSession) -> list[str]:
        return [f"ovs-vsctl --format=json --columns=name,select_src_port,select_dst_port,select_all,"
                f"select_vlan,output_port,external_ids find mirror name={session.name}",
                "ovs-vsctl --format=json --columns=_uuid,name list port"]

    def parse(self, outputs: list[str], session: MirrorSession) -> MirrorSession | None:
        mirrors, ports = _table(outputs[0]), _table(outputs[1])
        if not mirrors:
            return None
        names = {_uuid(row["_uuid"]): row["name"] for row in ports}
        row = mirrors[0]
        rx = {names.get(u, u) for u in _set(row["select_src_port"])}
        tx = {names.get(u, u) for u in _set(row["select_dst_port"])}
        sources = tuple(PortSource(port, "both" if port in rx and port in tx else "rx" if port in rx else "tx")
                        for port in sorted(rx | tx))
        vlans = tuple(VlanSource(int(v), "both") for v in sorted(_set(row["select_vlan"])))
        outputs_port = _set(row["output_port"])
        destination = names.get(outputs_port[0], outputs_port[0]) if outputs_port else ""
        owner = dict(_map(row["external_ids"])).get("owner")
        extra = {"marker": SESSION_NAME if owner == OWNER else f"external_ids:owner={owner or '(none)'}"}
        return MirrorSession(sources, vlans, destination, row["name"], session.number, extra)

    def differences(self, wanted: MirrorSession, observed: MirrorSession) -> list[str]:
        both = tuple(VlanSource(v.vlan, "both") for v in wanted.vlans)
        return MirrorSession(wanted.sources, both, wanted.destination).differences(observed, self.port_name)


def _bridge_of(port: str) -> str:
    return f'"$(ovs-vsctl port-to-br {quote(port)})"'


def _table(text: str) -> list[dict]:
    """Rows of `ovs-vsctl --format=json` output as dicts; [] when the output is not that JSON."""
    start = text.find("{")
    try:
        table = json.loads(text[start:]) if start >= 0 else {}
    except json.JSONDecodeError:
        return []
    headings = table.get("headings", [])
    return [dict(zip(headings, row)) for row in table.get("data", [])]


def _uuid(value) -> str:
    return value[1] if isinstance(value, list) and value and value[0] == "uuid" else str(value)


def _set(value) -> list:
    """OVSDB JSON: a set is ["set", [...]]; a single member is given bare."""
    if isinstance(value, list) and value and value[0] == "set":
        return [_uuid(member) for member in value[1]]
    return [_uuid(value)]


def _map(value) -> list:
    return value[1] if isinstance(value, list) and value and value[0] == "map" else []
