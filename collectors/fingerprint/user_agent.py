"""Vendor, model, firmware and device class from a SIP User-Agent or Server header.

Product rules are data: an ordered table of regexes (first match wins) with named groups `model` and `fw`,
the normalised vendor and the device class the product is. Some vendors make several kinds of thing, so a
second table overrides the class by model (Grandstream HT = ATA, UCM = PBX...). Strings no rule knows fall
back to class keywords and, for the vendor, to the first token only when it looks like a product name;
nothing is guessed beyond what the string says. `device_class` is None when undetermined.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from .phone_vendors import GATEWAY, HARD_PHONE, canonical_vendor

SOFTPHONE, PBX = "softphone", "pbx"
MAX_AGENT = 200
CACHE_SIZE = 1024          # phones repeat their User-Agent in every message


class Rule(NamedTuple):
    pattern: str
    vendor: str | None
    device_class: str | None
    model: str | None = None       # the product's name when the string itself carries no model
    note: str = ""                 # what the product is, for the evidence


_VER = r"(?P<fw>\d+(?:\.\w+)+|\d+)"
R = Rule
PRODUCT_RULES: tuple[Rule, ...] = (
    # -- hard phones --------------------------------------------------------------------------------
    R(r"^yealink\s+(?P<model>(?:sip[\s-])?(?:[a-z]+-)?[a-z]*\d+\w*)(?:\s+" + _VER + ")?", "Yealink", HARD_PHONE),
    R(r"^yealink\b", "Yealink", HARD_PHONE),
    R(r"poly(?:com)?[a-z]*-(?P<model>\w+?)-ua/(?P<fw>\d[\w.]*)", "Poly", HARD_PHONE),
    R(r"^poly(?:com)?\b(?:[\s/]+(?P<fw>\d[\w.]*))?", "Poly", HARD_PHONE),
    R(r"^cisco-sipgateway/(?P<fw>\S+)", "Cisco", GATEWAY),
    R(r"^cisco-cucm\s*(?P<fw>\d[\w.]*)?", "Cisco", PBX, model="Unified CM"),
    R(r"^cisco[-\s](?P<model>sipipcommunicator|jabber|csf|webex\w*)", "Cisco", SOFTPHONE),
    R(r"^cisco-(?P<model>cp-?\d{3,4}\w*)/(?P<fw>\S+)", "Cisco", HARD_PHONE),
    R(r"^cisco/(?P<model>spa\d{3}\w*)-(?P<fw>\S+)", "Cisco", HARD_PHONE),
    R(r"^cisco[\s/-]+(?P<model>ata\s?\d{3}\w*)(?:[\s/-]+(?P<fw>\S+))?", "Cisco", GATEWAY),
    R(r"^(?:linksys|sipura)/(?P<model>spa-?\d{3,4}\w*)-(?P<fw>\S+)", "Linksys", HARD_PHONE),
    R(r"^grandstream\s+(?P<model>[\w-]+)(?:\s+(?:v[\w.]+\s+)?(?P<fw>\d+(?:\.\d+)+))?", "Grandstream", HARD_PHONE),
    R(r"^snom[-\s]?(?P<model>[a-z0-9]+)(?:-sip)?/(?P<fw>[\w.]+)", "Snom", HARD_PHONE),
    R(r"^snom", "Snom", HARD_PHONE),
    R(r"^mitel[-\s](?P<model>3300|mivoice\s?\w*|micollab\w*|mx-one)", "Mitel", PBX),
    R(r"^(?:aastra|mitel)\s+(?P<model>[\w-]+)/(?P<fw>[\w.]+)", "Mitel", HARD_PHONE),
    R(r"^avaya\s+(?P<model>one-x\s+communicator|equinox|workplace|communicator|scopia)", "Avaya", SOFTPHONE),
    R(r"^(?:avaya\s+)?(?:ip\s?office|ipoffice)(?:[\s/]+(?P<fw>\d[\w.]*))?", "Avaya", PBX, model="IP Office"),
    R(r"^avaya\s+(?P<model>cm|aura\b.*|sip enablement services|session manager)", "Avaya", PBX),
    R(r"^avaya\s+(?P<model>one-x\s+deskphone|j\d{3}\w*|\d{4}\w*|[ebk]\d{3}\w*)(?:\s+sip)?(?:[\s/]+(?P<fw>\d[\w.]*))?",
      "Avaya", HARD_PHONE),
    R(r"^avaya\b", "Avaya", None),
    R(r"^panasonic[_\s-]+(?P<model>kx-\w+)(?:/(?P<fw>[\w.]+))?", "Panasonic", HARD_PHONE),
    R(r"^fanvil[\s-]+(?P<model>\w+)(?:\s+(?P<fw>\d[\w.]*))?", "Fanvil", HARD_PHONE),
    R(r"^htek[\s-]+(?P<model>\w+)(?:\s+(?P<fw>\d[\w.]*))?", "Htek", HARD_PHONE),
    R(r"^gigaset\s+(?P<model>[\w ]+?)/(?P<fw>[\w.]+)", "Gigaset", HARD_PHONE),
    R(r"^gigaset\b", "Gigaset", HARD_PHONE),
    R(r"^(?:alcatel(?:-lucent)?|ale)[\s-]+(?P<model>[\w-]+)(?:[\s/]+(?P<fw>\d[\w.]*))?",
      "Alcatel-Lucent Enterprise", HARD_PHONE),
    R(r"^openscape\s+(?P<model>voice|business|branch|sbc)\b", "Unify", PBX),
    R(r"^openscape desk phone\s+(?P<model>\w+)(?:\s+v\d+)?(?:\s+(?P<fw>r\d[\w.]*))?", "Unify", HARD_PHONE),
    R(r"^(?P<model>openstage[\s_]\d+\w*?)(?:[_\s]v\d+)?(?:\s+(?P<fw>r\d[\w.]*))?(?:\s|$)", "Unify", HARD_PHONE),
    R(r"^(?P<model>optipoint\s+\d+\s*\w*)", "Unify", HARD_PHONE),
    R(r"^obihai/(?P<model>obi\w+)-(?P<fw>[\w.]+)", "Obihai", GATEWAY),
    R(r"^spectralink[\s-]*(?P<model>[\w-]+)?(?:[\s/]+(?P<fw>\d[\w.]*))?", "Spectralink", HARD_PHONE),
    R(r"^ascom\s+(?P<model>[\w-]+)(?:[\s/]+(?P<fw>\d[\w.]*))?", "Ascom", HARD_PHONE),
    R(r"^akuvox\s+(?P<model>\w+)(?:\s+(?P<fw>\d[\w.]*))?", "Akuvox", HARD_PHONE),
    R(r"^escene\s*(?P<model>[a-z]+\d+\w*)?(?:[\s/-]+(?P<fw>\d[\w.]*))?", "Escene", HARD_PHONE),
    R(r"^audc-ipphone(?:-(?P<model2>\w+))?/(?P<fw>[\w.]+)(?:\s*\((?P<model>[\w-]+))?", "AudioCodes", HARD_PHONE),
    # -- gateways and SBCs --------------------------------------------------------------------------
    R(r"^audiocodes-sip-gateway-(?P<model>[\w-]+?)/v?\.?(?P<fw>[\w.]+)", "AudioCodes", GATEWAY),
    R(r"^(?:audiocodes\s+)?mediant\s*(?P<model>[\w-]+)?(?:[\s/]+v?\.?(?P<fw>\d[\w.]*))?", "AudioCodes", GATEWAY),
    R(r"^(?:sonus|ribbon)\b[\s/_-]*(?P<model>[a-z][\w-]*)?", "Ribbon", GATEWAY),
    R(r"^patton\s+(?P<model>sn\w+)(?:.*?\bv(?P<fw>\d+(?:\.\d+)+))?", "Patton", GATEWAY),
    R(r"^mediatrix\s+(?P<model>[\w-]+)(?:[\s/]+v?(?P<fw>\d[\w.]*))?", "Mediatrix", GATEWAY),
    # -- softphones ---------------------------------------------------------------------------------
    R(r"^microsip/(?P<fw>[\w.]+)", "MicroSIP", SOFTPHONE),
    R(r"^zoiper\b\s*(?:r?v?(?P<fw>\d[\w.]*))?", "Zoiper", SOFTPHONE),
    R(r"^linphone[\w\s-]*?/(?P<fw>\d[\w.]*)", "Linphone", SOFTPHONE),
    R(r"^baresip\s+v?(?P<fw>\d[\w.]*)", "baresip", SOFTPHONE),
    R(r"^(?P<model>bria(?:\s(?:\d+|solo|teams|enterprise|mobile|ipad|iphone|android))?|x-lite|eyebeam)"
      r"(?:\s+release)?(?:\s+(?P<fw>\d[\w.]*))?", "CounterPath", SOFTPHONE),
    R(r"^3cx\s?phone\s?system(?:[\s/]+(?P<fw>\d[\w.]*))?", "3CX", PBX, model="Phone System"),
    R(r"^3cx\s?phone\b(?:[\s/\w]*?(?P<fw>\d[\w.]*))?", "3CX", SOFTPHONE),
    R(r"^jitsi[\s/]*(?P<fw>\d[\w.-]*)?", "Jitsi", SOFTPHONE),
    R(r"^blink\s+(?:pro\s+)?(?P<fw>\d[\w.]*)", "Blink", SOFTPHONE),
    R(r"^jssip\s+(?P<fw>\d[\w.]*)", "JsSIP", SOFTPHONE),
    R(r"^sip\.js/(?P<fw>\d[\w.]*)", "SIP.js", SOFTPHONE),
    R(r"^twinkle/(?P<fw>\d[\w.]*)", "Twinkle", SOFTPHONE),
    R(r"^ekiga/(?P<fw>\d[\w.]*)", "Ekiga", SOFTPHONE),
    R(r"^phoner(?:lite)?\s+(?P<fw>\d[\w.]*)", "PhonerLite", SOFTPHONE),
    # -- PBXs and proxies ---------------------------------------------------------------------------
    R(r"^asterisk(?:\s+pbx)?(?:\s+(?:certified/)?(?P<fw>\d[\w.~-]*))?", "Asterisk", PBX),
    R(r"^fpbx-(?P<fw>\d[\w.]*)", "FreePBX", PBX),
    R(r"^freeswitch(?:-mod_sofia)?/(?P<fw>\d+(?:\.\d+)*)", "FreeSWITCH", PBX),
    R(r"^kamailio\s*\(?(?P<fw>\d[\d.]*)?", "Kamailio", PBX, note="SIP proxy"),
    R(r"^opensips\s*\(?(?P<fw>\d[\d.]*)?", "OpenSIPS", PBX, note="SIP proxy"),
    R(r"^yate/(?P<fw>\d[\d.]*)", "Yate", PBX),
    R(r"^broadworks", "BroadWorks", PBX),
    # -- not devices --------------------------------------------------------------------------------
    R(r"^sipp\b", "SIPp", None, note="test traffic generator"),
    R(r"^(?:friendly-scanner|sipvicious)", "SIPVicious", None, note="SIP scanner"),
)
del R

# (vendor, regex on the model, class): products of a vendor that are not its usual kind.
MODEL_CLASSES: tuple[tuple[str, str, str], ...] = (
    ("Grandstream", r"^(?:ht|gxw)\d", GATEWAY),
    ("Grandstream", r"^ucm", PBX),
    ("Cisco", r"^spa[12]\d\d", GATEWAY),
    ("Linksys", r"^spa-?[12]\d\d", GATEWAY),
    ("Obihai", r"^obi1\d{3}", HARD_PHONE),
    ("Panasonic", r"^kx-(?:ns|tde|nsx|ncp|hts|tda)", PBX),
    ("Alcatel-Lucent Enterprise", r"^(?:omnipcx|oxe|oxo)", PBX),
)

# Keyword fallback for strings no product rule knows (superset of collectors/endpoints.py's lists).
CLASS_KEYWORDS: tuple[tuple[str, str], ...] = (
    (PBX, r"asterisk|freeswitch|3cx(?!\s?phone\b)|freepbx|kamailio|opensips|yate|elastix|issabel|cucm|"
          r"broadworks|sems|drachtio|wazo|vitalpbx|fusionpbx|sip express|pbx"),
    (GATEWAY, r"sipgateway|audiocodes|mediant|sonus|ribbon|patton|dialogic|\bsbc\b|ingate|acme ?packet|"
              r"mediatrix|sangoma|\bvega\b|fritz|\bata\b|gateway"),
    (HARD_PHONE, r"yealink|polycom|grandstream|snom|avaya|mitel|aastra|panasonic|fanvil|htek|gigaset|"
                 r"alcatel|unify|openstage|obihai|vtech|akuvox|escene|flyingvoice|ip ?phone|deskphone"),
    (SOFTPHONE, r"zoiper|linphone|x-lite|bria|microsip|jitsi|baresip|blink|counterpath|csipsimple|groundwire|"
                r"acrobits|sipdroid|twinkle|ekiga|phoner|webrtc|sip\.js|jssip|sipml5|mozilla|chrome|3cxphone|"
                r"teams|softphone"),
)
GENERIC_WORDS = frozenset({"sip", "ua", "user", "agent", "useragent", "voip", "phone", "client", "server", "unknown",
                           "none", "null", "linux", "windows", "android", "ios", "device", "pbx", "softphone",
                           "mozilla", "test", "default", "generic", "sipua", "proxy", "gateway", "sbc"})

# "Name/1.2", "Name 1.2" or "Name Model1 1.2": a first token followed by a version (maybe after a model).
PRODUCT_LIKE = (r"^(?P<name>[A-Za-z][\w.+-]*)(?:[/\s]+(?P<model>[A-Za-z]+[-_]?\d[\w-]*))?[/\s]+v?"
                r"(?P<fw>\d+(?:\.\w+)+)(?:[\s/(;,]|$)")


@lru_cache(maxsize=None)
def _regex(pattern: str, flags: int = re.I) -> re.Pattern:
    """A table's pattern, compiled when a classification first tries it, not at import (most commands
    classify nothing) nor all at once: a phone's User-Agent matches one of the first product rules, and
    compiling all of the tables costs ~7 ms."""
    return re.compile(pattern, flags)


def classify_user_agent(agent: str | None, server_header: bool = False
                        ) -> tuple[str | None, str | None, str | None, str | None, list[str]]:
    """(vendor, model, firmware, device_class, evidence) from a User-Agent (or Server) value."""
    vendor, model, firmware, device_class, evidence = _classify(" ".join((agent or "").split())[:MAX_AGENT],
                                                                server_header)
    return vendor, model, firmware, device_class, list(evidence)


@lru_cache(maxsize=CACHE_SIZE)
def _classify(agent: str, server_header: bool):
    if not agent:
        return None, None, None, None, ()
    label = "server" if server_header else "user-agent"
    hit = _product(agent, label)
    return hit if hit is not None else _fallback(agent, label)


def _product(agent: str, label: str):
    for rule in PRODUCT_RULES:
        found = _regex(rule.pattern).search(agent)
        if found is None:
            continue
        groups = found.groupdict()
        model = (groups.get("model") or groups.get("model2") or rule.model or "").strip() or None
        device_class = _model_class(rule.vendor, model) or rule.device_class
        note = f" ({rule.note})" if rule.note else ""
        what = device_class.replace("_", " ") if device_class else "device class unknown"
        evidence = (f"{label}: {agent!r} = {rule.vendor}{' ' + model if model else ''}{note}, {what}",)
        return rule.vendor, model, groups.get("fw"), device_class, evidence
    return None


def _model_class(vendor: str | None, model: str | None) -> str | None:
    if not model:
        return None
    return next((c for v, p, c in MODEL_CLASSES if v == vendor and _regex(p).search(model)), None)


def _fallback(agent: str, label: str):
    """Keyword class; vendor from the phone-vendor table or a product-like first token; never invented."""
    device_class, keyword = next(((c, m.group(0)) for c, p in CLASS_KEYWORDS if (m := _regex(p).search(agent))),
                                 (None, None))
    first_token = re.split(r"[\s/;(]", agent, maxsplit=1)[0]
    vendor, model, firmware = canonical_vendor(first_token), None, None
    product = _regex(PRODUCT_LIKE, 0).match(agent)
    if product and _product_like(product.group("name")):
        vendor = vendor or product.group("name")
        model, firmware = product.group("model"), product.group("fw")
    if device_class:
        evidence = (f"{label}: {keyword!r} in {agent!r} suggests {device_class.replace('_', ' ')}",)
    else:
        evidence = (f"{label}: {agent!r} (not a known product)",)
    return vendor, model, firmware, device_class, evidence


def _product_like(token: str) -> bool:
    letters = sum(ch.isalpha() for ch in token)
    return len(token) >= 3 and letters >= 3 and token.lower().strip(".-_+") not in GENERIC_WORDS
