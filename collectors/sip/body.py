"""Find the SDP in a SIP body: plain `application/sdp` or a part of a (nested) multipart body."""
from __future__ import annotations

MAX_DEPTH = 4        # multipart levels searched; deeper parts are skipped (and `on_limit` called)
MAX_PARTS = 32       # parts searched per level; later ones likewise


def find_sdp(content_type: str | None, body: bytes, depth: int = 0, on_limit=None) -> bytes | None:
    if not body:
        return None
    ctype = (content_type or "").lower()
    if not ctype:
        return body if body.lstrip().startswith(b"v=0") else None
    if ctype.startswith("application/sdp"):
        return body
    if ctype.startswith("multipart/") and depth >= MAX_DEPTH:
        if on_limit is not None:
            on_limit()
    elif ctype.startswith("multipart/"):
        boundary = _boundary(content_type)
        if boundary:
            for part_type, part_body in _parts(body, boundary, on_limit):
                found = find_sdp(part_type, part_body, depth + 1, on_limit)
                if found:
                    return found
    return None


def _boundary(content_type: str) -> bytes | None:
    for param in content_type.split(";")[1:]:
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "boundary" and value:
            return value.strip().strip('"').encode()
    return None


def _parts(body: bytes, boundary: bytes, on_limit=None):
    delimiter = b"--" + boundary
    chunks = body.split(delimiter)
    if len(chunks) > MAX_PARTS + 1 and not any(c.startswith(b"--") for c in chunks[1:MAX_PARTS + 1]) \
            and on_limit is not None:
        on_limit()
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
