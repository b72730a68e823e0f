"""SIP URIs and telephone numbers are personal data. With `mask_sip_uris` on, the user part of every
From/To URI the appliance reports, stores or sends is replaced before it leaves the report builder:

    sip:+4930123456@pbx.example.net   ->   sip:u-5c1f0e9a@pbx.example.net   (with a key)
    tel:+4930123456                   ->   tel:u-5c1f0e9a
                                      ->   sip:***@pbx.example.net          (without a key)

With APPLIANCE_SECRET_KEY set, the pseudonym is an HMAC of the user part under that key: the same
number always gets the same pseudonym (calls can still be followed) but cannot be read back or
guessed without the key. The host part (the PBX or domain) is kept."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

URI = re.compile(r"^(?P<scheme>sips?|tel):(?P<user>[^@;?>]*)(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Privacy:
    """What reports may show of SIP URIs: as seen, or masked (keyed pseudonyms with `key`)."""
    mask_sip_uris: bool = False
    key: bytes | None = field(default=None, repr=False)

    def uri(self, text: str | None) -> str | None:
        if not self.mask_sip_uris or not text:
            return text
        found = URI.match(text.strip())
        if found is None:
            return self._pseudonym(text)                       # not a URI we know: hide it whole
        scheme, user, rest = found["scheme"], found["user"], found["rest"]
        if not user or (scheme.lower() != "tel" and not rest.startswith("@")):
            return text                                         # sip:host — no user part to hide
        return f"{scheme}:{self._pseudonym(user)}{rest}"

    def _pseudonym(self, value: str) -> str:
        if self.key is None:
            return "***"
        import hashlib                 # with a key only: most runs mask nothing
        import hmac
        return "u-" + hmac.new(self.key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:8]
