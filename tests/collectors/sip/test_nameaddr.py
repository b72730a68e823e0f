"""RFC 3261 name-addr parsing of From/To/Contact/P-Asserted-Identity: quoted display names with
escapes, and `<`, `>`, `,`, `;` inside them, never take the URI's place (issue 14 finding 5).
Examples from the RFC and hostile ones, then property tests: any display name, quoted per the RFC,
around any URI with any parameters, parses back to exactly that display name, URI and parameters."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from collectors.sip.message import parse_message
from collectors.sip.nameaddr import NameAddr, first_uri, name_addrs


def test_rfc_examples():
    assert name_addrs('"Mr. Watson" <sip:watson@worcester.bell-telephone.com>;q=0.7; expires=3600') == [
        NameAddr("sip:watson@worcester.bell-telephone.com", "Mr. Watson", {"q": "0.7", "expires": "3600"})]
    assert name_addrs("Anonymous <sip:c8oqz84zk7z@privacy.org>;tag=hyh8") == [
        NameAddr("sip:c8oqz84zk7z@privacy.org", "Anonymous", {"tag": "hyh8"})]
    assert name_addrs("sip:+12125551212@server.phone2net.com;tag=887s") == [
        NameAddr("sip:+12125551212@server.phone2net.com", None, {"tag": "887s"})]
    assert name_addrs("<sip:alice@atlanta.com>, <tel:+4930123456>") == [
        NameAddr("sip:alice@atlanta.com"), NameAddr("tel:+4930123456")]
    assert name_addrs("Lee M. Foote <sips:lee.foote@example.com>")[0].display == "Lee M. Foote"


def test_hostile_display_names_do_not_replace_the_uri():
    cases = {
        '"<sip:evil@attacker.example>" <sip:alice@pbx.example>;tag=1': ("<sip:evil@attacker.example>",),
        '"a>b" <sip:alice@pbx.example>': ("a>b",),
        '"x, <sip:evil@e>; tag=2" <sip:alice@pbx.example>': ("x, <sip:evil@e>; tag=2",),
        r'"quote \" <sip:evil@e> \\" <sip:alice@pbx.example>': ('quote " <sip:evil@e> \\',),
    }
    for value, (display,) in cases.items():
        assert name_addrs(value) == [NameAddr("sip:alice@pbx.example", display, name_addrs(value)[0].params)], value
        assert first_uri(value) == "sip:alice@pbx.example"


def test_not_an_address_gives_nothing():
    for value in ("", '"unterminated <sip:a@b>', "<sip:a@b", '"only a name"', "<>", "  ,  "):
        assert first_uri(value) == "", value


def test_a_message_lists_every_contact_and_identity():
    raw = (b"INVITE sip:bob@pbx.example SIP/2.0\r\n"
           b'From: "Alice <admin>" <sip:alice@pbx.example>;tag=1\r\n'
           b"To: <sip:bob@pbx.example>\r\n"
           b'm: "A, B" <sip:alice@10.0.0.5:5060>;expires=60, <sip:alice@[2001:db8::5]>\r\n'
           b"P-Asserted-Identity: \"Alice\" <sip:+4930123456@pbx.example>\r\n"
           b"P-Asserted-Identity: <tel:+4930123456>\r\n"
           b"Call-ID: c1\r\nContent-Length: 0\r\n\r\n")
    msg, _ = parse_message(raw)
    assert [a.uri for a in msg.addresses("contact")] == ["sip:alice@10.0.0.5:5060", "sip:alice@[2001:db8::5]"]
    assert msg.addresses("contact")[0].display == "A, B"
    assert [a.uri for a in msg.addresses("p-asserted-identity")] == ["sip:+4930123456@pbx.example",
                                                                     "tel:+4930123456"]
    assert msg.addresses("from") == [NameAddr("sip:alice@pbx.example", "Alice <admin>", {"tag": "1"})]


def quote(display: str) -> str:
    return '"' + display.replace("\\", "\\\\").replace('"', '\\"') + '"'


# qdtext is any UTF-8 but CR/LF (headers are one line after unfolding); the URI has no space, quote or <>
DISPLAY = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)
USER = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789+-._!~*'()&=$,;?/%"), min_size=1, max_size=20)
HOST = st.from_regex(r"[a-z][a-z0-9-]{0,10}(\.[a-z]{2,5}){1,2}", fullmatch=True)
URI = st.builds(lambda scheme, user, host, params: f"{scheme}:{user}@{host}{params}",
                st.sampled_from(["sip", "sips"]), USER, HOST,
                st.sampled_from(["", ";transport=tcp", ";lr", ";user=phone?subject=x"]))
TOKEN = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789-.!%*_+`'~"), min_size=1, max_size=12)
PARAMS = st.dictionaries(TOKEN.map(str.lower), st.one_of(st.none(), TOKEN), max_size=3)


def header(display: str, uri: str, params: dict) -> str:
    rendered = "".join(f";{name}" + (f"={value}" if value is not None else "") for name, value in params.items())
    return f"{quote(display)} <{uri}>{rendered}"


@settings(max_examples=400, deadline=None)
@given(DISPLAY, URI, PARAMS)
def test_any_quoted_display_name_round_trips(display, uri, params):
    assert name_addrs(header(display, uri, params)) == [NameAddr(uri, display, params)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(DISPLAY, URI, PARAMS), min_size=1, max_size=4))
def test_a_list_splits_only_between_addresses(entries):
    value = ", ".join(header(*entry) for entry in entries)
    assert name_addrs(value) == [NameAddr(uri, display, params) for display, uri, params in entries]


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=80))
def test_any_text_is_parsed_without_error_and_never_yields_a_uri_with_brackets(value):
    for found in name_addrs(value):
        assert found.uri and not any(c in found.uri for c in ' "<>')
