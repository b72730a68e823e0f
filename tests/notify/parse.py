"""Test-side parsers, written from the RFCs and the CEF guide independently of the code under test:
RFC 5424 syslog (header, structured data with escapes, MSG with its optional BOM) and CEF (header
fields split on unescaped pipes, extension key=value pairs with \\ \\= \\n \\r escapes)."""
from __future__ import annotations

import re

HEADER = re.compile(r"<(?P<pri>\d{1,3})>1 (?P<timestamp>\S+) (?P<hostname>\S+) (?P<app>\S+) (?P<procid>\S+) "
                    r"(?P<msgid>\S+) ")
BOM = "\ufeff"


def parse_rfc5424(data: bytes) -> dict:
    text = data.decode("utf-8")
    match = HEADER.match(text)
    assert match, f"not RFC 5424: {text[:80]!r}"
    record = match.groupdict()
    record["pri"] = int(record["pri"])
    record["facility"], record["severity"] = divmod(record["pri"], 8)
    rest = text[match.end():]
    record["sd"], rest = _structured_data(rest)
    msg = rest[1:] if rest.startswith(" ") else rest
    record["bom"] = msg.startswith(BOM)
    record["msg"] = msg[1:] if record["bom"] else msg
    return record


def _structured_data(text: str) -> tuple[dict[str, list[tuple[str, str]]], str]:
    if text.startswith("-"):
        return {}, text[1:]
    elements, i = {}, 0
    while i < len(text) and text[i] == "[":
        end = i + 1
        while text[end] not in " ]":
            end += 1
        sd_id, params, i = text[i + 1:end], [], end
        while text[i] == " ":
            eq = text.index("=", i)
            name, i = text[i + 1:eq], eq + 1
            assert text[i] == '"'
            value, i = [], i + 1
            while text[i] != '"':
                if text[i] == "\\" and text[i + 1] in '"\\]':
                    i += 1
                value.append(text[i])
                i += 1
            params.append((name, "".join(value)))
            i += 1
        assert text[i] == "]", text[i:i + 20]
        elements[sd_id] = params
        i += 1
    return elements, text[i:]


def parse_cef(text: str) -> tuple[list[str], dict[str, str]]:
    """([CEF:version, vendor, product, version, class id, name, severity], extension)."""
    fields, current, i = [], [], 0
    while len(fields) < 7:
        char = text[i]
        if char == "\\" and text[i + 1] in "\\|":
            current.append(text[i + 1])
            i += 2
            continue
        if char == "|":
            fields.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    return fields, _extension(text[i:])


def _extension(text: str) -> dict[str, str]:
    keys = list(re.finditer(r"(?:^|(?<= ))([A-Za-z0-9_]+)=", text))
    ext = {}
    for n, match in enumerate(keys):
        end = keys[n + 1].start() - 1 if n + 1 < len(keys) else len(text)
        ext[match.group(1)] = _unescape(text[match.end():end])
    return ext


def _unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            out.append({"n": "\n", "r": "\r"}.get(value[i + 1], value[i + 1]))
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)
