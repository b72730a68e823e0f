"""DTLS (RFC 6347/9147) records on a media 5-tuple: does the handshake negotiate SRTP keys
(use_srtp, RFC 5764)? Pure byte predicates over one datagram, which may hold several records."""
from __future__ import annotations

import struct

HANDSHAKE = 22
CLIENT_HELLO, SERVER_HELLO = 1, 2
USE_SRTP = 0x000E
DTLS_VERSIONS = (0xFEFF, 0xFEFD, 0xFEFC)
RECORD = struct.Struct("!BH8sH")     # type, version, epoch+sequence, length
HANDSHAKE_HDR = 12


def is_dtls_record(data: bytes, off: int, end: int) -> bool:
    if end - off < 13:
        return False
    ctype, version, _seq, length = RECORD.unpack_from(data, off)
    return 20 <= ctype <= 63 and version in DTLS_VERSIONS and off + 13 + length <= end


def hello_use_srtp(data: bytes, off: int, end: int) -> tuple[int | None, bool]:
    """(handshake type of the first Hello found, whether it carries use_srtp)."""
    pos = off
    while pos + 13 <= end:
        ctype, version, _seq, length = RECORD.unpack_from(data, pos)
        body = pos + 13
        if version not in DTLS_VERSIONS or body + length > end:
            break
        if ctype == HANDSHAKE and length > HANDSHAKE_HDR and data[body] in (CLIENT_HELLO, SERVER_HELLO):
            hs_type = data[body]
            frag_len = int.from_bytes(data[body + 9:body + 12], "big")
            start = body + HANDSHAKE_HDR
            return hs_type, USE_SRTP in _extensions(data, start, min(start + frag_len, body + length), hs_type)
        pos = body + length
    return None, False


def _extensions(data: bytes, pos: int, end: int, hs_type: int) -> set[int]:
    try:
        pos += 2 + 32                           # version, random
        pos += 1 + data[pos]                    # session id
        if hs_type == CLIENT_HELLO:
            pos += 1 + data[pos]                # cookie
            pos += 2 + int.from_bytes(data[pos:pos + 2], "big")   # cipher suites
            pos += 1 + data[pos]                # compression methods
        else:
            pos += 2 + 1                        # chosen cipher suite, compression
        total = int.from_bytes(data[pos:pos + 2], "big")
        pos += 2
        stop = min(end, pos + total)
        found = set()
        while pos + 4 <= stop:
            ext_type, ext_len = struct.unpack_from("!HH", data, pos)
            found.add(ext_type)
            pos += 4 + ext_len
        return found
    except (IndexError, struct.error):
        return set()
