"""What the wire tells about each IP endpoint: MAC address, SIP User-Agent/Server, device class."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_ENDPOINTS = 100000
MAX_AGENTS = 4

HARD_PHONE = re.compile(r"yealink|polycom|cisco[-/ ]?(cp|sip(phone|ip)?|ata|spa)|grandstream|snom|avaya|mitel|"
                        r"aastra|panasonic|kx-|fanvil|htek|gigaset|alcatel|unify|openstage|obihai|poly|vtech|"
                        r"akuvox|escene|flyingvoice|ale-|tip-|linksys", re.I)
SOFTPHONE = re.compile(r"zoiper|linphone|x-lite|bria|microsip|jitsi|baresip|blink|counterpath|telephone|"
                       r"csipsimple|groundwire|acrobits|sipdroid|twinkle|ekiga|phoner|webrtc|sip\.js|jssip|"
                       r"sipml5|mozilla|chrome|3cxphone|teams", re.I)
PBX = re.compile(r"asterisk|freeswitch|3cx(?!phone)|freepbx|kamailio|opensips|yate|elastix|issabel|"
                 r"cisco-cucm|cucm|broadworks|sems|drachtio|wazo|vitalpbx|fusionpbx|sip express", re.I)
GATEWAY = re.compile(r"cisco-sipgateway|audiocodes|mediant|sonus|ribbon|patton|dialogic|sbc|"
                     r"ingate|oracle|acme|cisco-ios|ata|mediatrix|sangoma|vega|fritz", re.I)
VENDOR_MODEL = re.compile(r"^\s*([A-Za-z][A-Za-z\-]*?)[ /_-]*((?:SIP-)?[A-Za-z]*[-_ ]?[A-Za-z]*\d[\w\-.]*)?(?:[ /]|$)")


@dataclass(slots=True)
class Endpoint:
    ip: str
    mac: str | None = None
    user_agents: list[str] = field(default_factory=list)
    server_role: bool = False          # answered with a Server header

    @property
    def user_agent(self) -> str | None:
        return self.user_agents[0] if self.user_agents else None

    def describe(self) -> dict:
        vendor, model = vendor_model(self.user_agent)
        device_class, evidence = classify_device(self.user_agent, self.server_role)
        return {"vendor": vendor, "model": model, "device_class": device_class, "evidence": evidence}


class EndpointTable:
    def __init__(self):
        self.endpoints: dict[str, Endpoint] = {}

    def touch(self, ip: str) -> Endpoint | None:
        endpoint = self.endpoints.get(ip)
        if endpoint is None and len(self.endpoints) < MAX_ENDPOINTS:
            endpoint = self.endpoints[ip] = Endpoint(ip)
        return endpoint

    def saw_mac(self, ip: str, mac: str | None) -> None:
        if mac:
            endpoint = self.touch(ip)
            if endpoint is not None and endpoint.mac is None:
                endpoint.mac = mac

    def saw_agent(self, ip: str, agent: str | None, is_server_header: bool) -> None:
        if not agent:
            return
        endpoint = self.touch(ip)
        if endpoint is None:
            return
        agent = agent[:200]
        if agent not in endpoint.user_agents and len(endpoint.user_agents) < MAX_AGENTS:
            endpoint.user_agents.append(agent)
        endpoint.server_role = endpoint.server_role or is_server_header


def classify_device(agent: str | None, server_role: bool) -> tuple[str, list[str]]:
    if not agent:
        return "unknown", []
    for label, pattern in (("pbx", PBX), ("gateway", GATEWAY), ("hard_phone", HARD_PHONE), ("softphone", SOFTPHONE)):
        match = pattern.search(agent)
        if match:
            return label, [f"user-agent: {match.group(0)!r} in {agent!r}"]
    if server_role:
        return "pbx", [f"server header: {agent!r}"]
    return "unknown", [f"user-agent: {agent!r} (not a known product)"]


def vendor_model(agent: str | None) -> tuple[str | None, str | None]:
    if not agent:
        return None, None
    match = VENDOR_MODEL.match(agent)
    if not match:
        return None, None
    vendor = match.group(1) or None
    model = match.group(2) or None
    return vendor, model
