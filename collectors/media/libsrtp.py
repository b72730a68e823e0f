"""libsrtp sessions for any SDES suite, through pylibsrtp.

pylibsrtp names four SRTP profiles only (AES_CM_128 with HMAC-SHA1-80/32, AEAD AES-128/256-GCM), but
the libsrtp it binds implements every suite of RFC 4568/6188/7714 (AES-192/256 counter mode, NULL
cipher). Its Policy keeps libsrtp's own srtp_crypto_policy_t, a public struct of six ints whose
layout libsrtp 2.x keeps stable (srtp.h): the suite's values are written there, so the cipher, key
derivation and tag checks are libsrtp's and nothing cryptographic is written here.
"""
from __future__ import annotations

from collectors.media.suites import AES_GCM_128, AES_GCM_256, Suite

try:
    import pylibsrtp
    from pylibsrtp._binding import ffi
except ImportError:    # pragma: no cover - depends on the environment
    pylibsrtp = ffi = None


class SrtpUnavailable(RuntimeError):
    """pylibsrtp is not installed."""


def session(suite: Suite, key_salt: bytes, outbound: bool):
    """A pylibsrtp.Session for `suite` accepting any SSRC in one direction."""
    if pylibsrtp is None:
        raise SrtpUnavailable("pylibsrtp is not installed")
    if len(key_salt) != suite.key_salt:
        raise ValueError(f"{suite.name} needs {suite.key_salt} bytes of master key || salt")
    ssrc_type = pylibsrtp.Policy.SSRC_ANY_OUTBOUND if outbound else pylibsrtp.Policy.SSRC_ANY_INBOUND
    base = {AES_GCM_128: pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_128_GCM,     # the key length check
            AES_GCM_256: pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_256_GCM}     # of the key setter
    policy = pylibsrtp.Policy(ssrc_type=ssrc_type, srtp_profile=base.get(suite.cipher, 1))
    try:
        for field, rtcp in (("rtp", False), ("rtcp", True)):
            values = ffi.cast("int *", ffi.addressof(policy._policy, field))
            for i, value in enumerate(suite.crypto_policy(rtcp)):
                values[i] = value
    except (AttributeError, TypeError) as exc:    # a pylibsrtp whose Policy no longer holds the struct
        raise SrtpUnavailable(f"this pylibsrtp does not expose libsrtp's crypto policy ({exc})") from None
    policy.key = key_salt
    try:
        return pylibsrtp.Session(policy)
    except pylibsrtp.Error as exc:               # a suite this libsrtp build lacks
        raise SrtpUnavailable(f"libsrtp refused {suite.name}: {exc}") from None


def error_type():
    return pylibsrtp.Error if pylibsrtp is not None else Exception
