"""SDES crypto suites (RFC 4568, 6188, 7714) as data: what each costs on the wire and what it protects.

One table serves the signaled verdict (a NULL-cipher suite leaves the media in clear), the exposure
proof (which libsrtp cipher and key length decrypt it) and the test streams.
"""
from __future__ import annotations

from dataclasses import dataclass

# libsrtp's srtp_cipher_type_id_t / srtp_auth_type_id_t / srtp_sec_serv_t values (srtp.h, libsrtp 2.x)
NULL_CIPHER, AES_ICM_128, AES_ICM_192, AES_ICM_256, AES_GCM_128, AES_GCM_256 = 0, 1, 4, 5, 6, 7
NULL_AUTH, HMAC_SHA1 = 0, 3
SEC_AUTH, SEC_CONF_AND_AUTH = 2, 3


@dataclass(frozen=True, slots=True)
class Suite:
    """An SDES crypto suite (RFC 4568/6188/7714) as libsrtp takes it: cipher, key lengths, tag lengths."""
    name: str
    cipher: int
    key_salt: int          # master key || master salt bytes in a=crypto inline:
    auth: int
    rtp_tag: int           # bytes of authentication tag (AEAD: the GCM tag) on SRTP
    rtcp_tag: int          # ... on SRTCP (the _32 suites still put 80 bits there, RFC 4568 6.2)

    @property
    def encrypts(self) -> bool:
        return self.cipher != NULL_CIPHER

    @property
    def aead(self) -> bool:
        return self.cipher in (AES_GCM_128, AES_GCM_256)

    def crypto_policy(self, rtcp: bool) -> tuple[int, int, int, int, int, int]:
        """libsrtp's srtp_crypto_policy_t fields in order: cipher, key length, auth, auth key length,
        tag length, security services."""
        if self.aead:
            return (self.cipher, self.key_salt, NULL_AUTH, 0, 16, SEC_CONF_AND_AUTH)
        tag = self.rtcp_tag if rtcp else self.rtp_tag
        services = SEC_CONF_AND_AUTH if self.encrypts else SEC_AUTH
        return (self.cipher, self.key_salt, self.auth, 20, tag, services)


SUITES = {s.name: s for s in (
    Suite("AES_CM_128_HMAC_SHA1_80", AES_ICM_128, 30, HMAC_SHA1, 10, 10),
    Suite("AES_CM_128_HMAC_SHA1_32", AES_ICM_128, 30, HMAC_SHA1, 4, 10),
    Suite("AES_192_CM_HMAC_SHA1_80", AES_ICM_192, 38, HMAC_SHA1, 10, 10),
    Suite("AES_192_CM_HMAC_SHA1_32", AES_ICM_192, 38, HMAC_SHA1, 4, 10),
    Suite("AES_256_CM_HMAC_SHA1_80", AES_ICM_256, 46, HMAC_SHA1, 10, 10),
    Suite("AES_256_CM_HMAC_SHA1_32", AES_ICM_256, 46, HMAC_SHA1, 4, 10),
    Suite("AEAD_AES_128_GCM", AES_GCM_128, 28, NULL_AUTH, 16, 16),
    Suite("AEAD_AES_256_GCM", AES_GCM_256, 44, NULL_AUTH, 16, 16),
    Suite("NULL_HMAC_SHA1_80", NULL_CIPHER, 30, HMAC_SHA1, 10, 10),
    Suite("NULL_HMAC_SHA1_32", NULL_CIPHER, 30, HMAC_SHA1, 4, 10),
)}
ALIASES = {"AES_256_CM_HMAC_SHA1_80": ("AES_CM_256_HMAC_SHA1_80",),   # names some phones send
           "AES_256_CM_HMAC_SHA1_32": ("AES_CM_256_HMAC_SHA1_32",),
           "AES_192_CM_HMAC_SHA1_80": ("AES_CM_192_HMAC_SHA1_80",),
           "AES_192_CM_HMAC_SHA1_32": ("AES_CM_192_HMAC_SHA1_32",)}
_BY_NAME = dict(SUITES) | {alias: SUITES[name] for name, names in ALIASES.items() for alias in names}
CLEARTEXT_PARAMS = ("UNENCRYPTED_SRTP",)    # RFC 4568 session parameter: no encryption of SRTP


def suite(name: str) -> Suite | None:
    return _BY_NAME.get(name.upper())


def leaves_media_clear(name: str, key_params: str) -> bool:
    """A suite with a NULL cipher, or the UNENCRYPTED_SRTP session parameter: the media is in clear
    (authenticated at most) although SRTP is negotiated."""
    known = suite(name)
    params = key_params.upper().split()
    return (known is not None and not known.encrypts) or any(p in params for p in CLEARTEXT_PARAMS)
