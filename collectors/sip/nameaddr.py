"""From, To, Contact and P-Asserted-Identity values (RFC 3261 §20.10, §25.1: name-addr / addr-spec).

    "Alice \\"<admin>\\", NOC" <sip:alice@pbx.example;transport=tcp>;tag=9f2
    Bob <sip:bob@pbx.example>, <tel:+4930123456>
    sip:carol@pbx.example;tag=1

A display name is a quoted string (backslash escapes; `<`, `>`, `,` and `;` are plain text inside
it) or a run of tokens; the URI is what the angle brackets hold, or, without them, everything up to
the first `;` (header parameters then follow). A list is split only at commas outside quotes and
angle brackets. Wire data is hostile: nothing here raises, and a value that is not an address gives
no address rather than text from the display name."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class NameAddr:
    """One address of a From, To, Contact or P-Asserted-Identity header: URI, display name, parameters."""
    uri: str
    display: str | None = None
    params: dict[str, str | None] = field(default_factory=dict)


def name_addrs(value: str | None) -> list[NameAddr]:
    """Every address of a header value (Contact and P-Asserted-Identity may hold several)."""
    if not value:
        return []
    return [found for found in map(_name_addr, _split(value, ",")) if found is not None]


def first_uri(value: str | None) -> str:
    """The URI of the first address in the value, or "" (the From/To of a call)."""
    found = name_addrs(value)
    return found[0].uri if found else ""


def _name_addr(part: str) -> NameAddr | None:
    opening = _outside_quotes(part, "<")
    if opening is None:                                         # addr-spec: no display name
        uri, *params = _split(part, ";")
        display = None
    else:
        closing = part.find(">", opening)
        if closing < 0:
            return None
        uri, display = part[opening + 1:closing], _display(part[:opening])
        params = _split(part[closing + 1:], ";")
    uri = uri.strip()
    if not uri or any(c in uri for c in ' "<>'):
        return None
    return NameAddr(uri, display, dict(_param(p) for p in params if p.strip()))


def _display(raw: str) -> str | None:
    raw = raw.strip()
    if raw.startswith('"'):
        return _unquote(raw)
    return " ".join(raw.split()) or None


def _param(raw: str) -> tuple[str, str | None]:
    name, sep, value = raw.partition("=")
    value = value.strip()
    return name.strip().lower(), (_unquote(value) if value.startswith('"') else value) if sep else None


def _unquote(quoted: str) -> str:
    """The text of a quoted string (from its opening quote to the closing one, escapes undone)."""
    out, escaped = [], False
    for char in quoted[1:]:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            break
        else:
            out.append(char)
    return "".join(out)


def _scan(text: str) -> Iterator[tuple[int, str, bool, bool]]:
    """(index, char, inside a quoted string, inside angle brackets) for each character; quotes count
    only outside angle brackets, and a backslash inside quotes escapes the next character."""
    quoted = escaped = angle = False
    for index, char in enumerate(text):
        if quoted:
            yield index, char, True, angle
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                quoted = False
        elif char == '"' and not angle:
            quoted = True
            yield index, char, True, angle
        else:
            yield index, char, False, angle
            angle = (angle or char == "<") and char != ">"


def _split(text: str, separator: str) -> list[str]:
    """`text` cut at each `separator` outside quotes and angle brackets."""
    parts, start = [], 0
    for index, char, quoted, angle in _scan(text):
        if char == separator and not quoted and not angle:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


def _outside_quotes(text: str, wanted: str) -> int | None:
    return next((index for index, char, quoted, _ in _scan(text) if char == wanted and not quoted), None)
