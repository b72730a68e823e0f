"""Find the SDP in a SIP body: plain `application/sdp` or a part of a (nested) multipart body."""
from __future__ import annotations

MAX_DEPTH = 4
MAX_PARTS = 32


def find_sdp(content_type: str | None, body: bytes, depth: int = 0) -> bytes | None:
    if not body:
        return None
    ctype = (content_type or "").lower()
    if not ctype:
        return body if body.lstrip().startswith(b"v=0") else None
    if ctype.startswith("application/sdp"):
        return body
    if ctype.startswith("multipart/") and depth < MAX_DEPTH:
        boundary = _boundary(content_type)
        if boundary:
            for part_type, part_body in _parts(body, boundary):
                found = find_sdp(part_type, part_body, depth + 1)
                if found:
                    return found
    return None


def _boundary(content_type: str) -> bytes | None:
    for param in content_type.split(";")[1:]:
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "boundary" and value:
            return value.strip().strip('"').encode()
    return None


def _parts(body: bytes, boundary: bytes):
    delimiter = b"--" + boundary
    chunks = body.split(delimiter)
    for chunk in chunks[1:MAX_PARTS + 1]:
        if chunk.startswith(b"--"):
            return
        chunk = chunk.lstrip(b"\r\n")
        head, sep, content = chunk.partition(b"\r\n\r\n")
        if not sep:
            head, sep, content = chunk.partition(b"\n\n")
        if not sep:
            continue
        yield _part_type(head), content.rstrip(b"\r\n")


def _part_type(head: bytes) -> str | None:
    for line in head.decode("utf-8", "replace").splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() in ("content-type", "c"):
            return value.strip()
    return None
