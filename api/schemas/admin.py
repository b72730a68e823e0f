"""Webhooks (HTTP formats, syslog/CEF targets and HEP to Homer; the secret is write-only) and API tokens (the clear
value only in the answer to a create)."""
from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, StringConstraints, Tag

from api.schemas.common import Role, Text, WebhookFormat
from appliance.store.columns import to_epoch
from appliance.store.models import WEBHOOK_FORMATS
from appliance.store.webhooks import HEP_FORMATS, SYSLOG_FORMATS

# Webhook targets, as the store takes them: http(s)://host[:port][/path?query#fragment] for the HTTP
# formats, syslog+udp|tcp://host[:port] for the SIEM ones, hep+udp|tcp://host[:port] for HEP (Homer).
# Printable ASCII only (IDN hosts as punycode, paths percent-encoded), no IPv6 literals (use a host
# name), written without `\s` so Python, JSON Schema (ECMA-262) and test generators read the patterns alike.
HTTP_URL = (r"^[Hh][Tt][Tt][Pp][Ss]?://[\x21-\x22\x24-\x2e\x30-\x3e\x40-\x5a\x5c\x5e-\x7e]+"
            r"([/?#][\x21-\x7e]*)?$")
PORT = r"([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
SYSLOG_URL = rf"^[Ss][Yy][Ss][Ll][Oo][Gg][+]([Uu][Dd][Pp]|[Tt][Cc][Pp])://[A-Za-z0-9][A-Za-z0-9.-]*(:{PORT})?/?$"
HEP_URL = rf"^[Hh][Ee][Pp][+]([Uu][Dd][Pp]|[Tt][Cc][Pp])://[A-Za-z0-9][A-Za-z0-9.-]*(:{PORT})?/?$"
HTTP_FORMATS = tuple(f for f in WEBHOOK_FORMATS if f not in SYSLOG_FORMATS + HEP_FORMATS)


def _url_type(pattern: str, message: str):
    def check(url: str) -> str:
        if not re.fullmatch(pattern, url):
            raise ValueError(message)
        return url
    return Annotated[str, StringConstraints(min_length=1, max_length=2000), AfterValidator(check),
                     Field(json_schema_extra={"pattern": pattern})]


HttpUrl = _url_type(HTTP_URL, "a webhook URL must be http(s)://host[:port]/... in printable ASCII "
                              "(IDN hosts as punycode; for IPv6, a host name)")
SyslogUrl = _url_type(SYSLOG_URL, "a syslog target must be syslog+udp://host[:port] or syslog+tcp://host[:port]")
HepUrl = _url_type(HEP_URL, "a HEP target must be hep+udp://host[:port] or hep+tcp://host[:port] (port 9060 "
                            "by default)")
AnyUrl = _url_type(f"({HTTP_URL})|({SYSLOG_URL})|({HEP_URL})",
                   "a webhook URL must be http(s)://host[:port]/..., syslog+udp|tcp://host[:port] or "
                   "hep+udp|tcp://host[:port]")


def _kind_of(format) -> str:
    return "syslog" if format in SYSLOG_FORMATS else "hep" if format in HEP_FORMATS else "http"


def url_suits(url: str, format: str) -> bool:
    return bool(re.fullmatch({"syslog": SYSLOG_URL, "hep": HEP_URL, "http": HTTP_URL}[_kind_of(format)], url))


class _WebhookFields(BaseModel):
    model_config = ConfigDict(extra="forbid")
    secret: Text(500, 1) | None = Field(None, description="signing secret; write-only, never returned")
    name: Text(100) | None = None
    enabled: bool = True


class HttpWebhookCreate(_WebhookFields):
    """A webhook over HTTP(S) (generic signed JSON, Slack, Teams, Alertmanager)."""
    format: Literal[HTTP_FORMATS] = "generic"   # type: ignore[valid-type]
    url: HttpUrl = Field(description="http(s)://host[:port]/...")


class SyslogWebhookCreate(_WebhookFields):
    """A SIEM target: RFC 5424 syslog or CEF, over UDP or TCP."""
    format: Literal[SYSLOG_FORMATS]             # type: ignore[valid-type]
    url: SyslogUrl = Field(description="syslog+udp://host[:port] or syslog+tcp://host[:port]")


class HepWebhookCreate(_WebhookFields):
    """Homer (or any HEP collector): each alert as a HEP v3 packet, protocol type 100 (LOG), payload the
    generic JSON, correlation id the SIP Call-ID. A secret, when set, is sent as HEP's authentication key."""
    format: Literal[HEP_FORMATS]                # type: ignore[valid-type]
    url: HepUrl = Field(description="hep+udp://host[:port] or hep+tcp://host[:port] (port 9060 by default)")


def _kind(body) -> str:
    return _kind_of(body.get("format") if isinstance(body, dict) else getattr(body, "format", None))


WebhookCreate = Annotated[Annotated[HttpWebhookCreate, Tag("http")] | Annotated[SyslogWebhookCreate, Tag("syslog")]
                          | Annotated[HepWebhookCreate, Tag("hep")], Discriminator(_kind)]


class WebhookUpdate(BaseModel):
    """The fields given change; `"secret": null` removes the secret, leaving it out keeps it — except when
    the URL or format changes: the secret is then removed unless a new one is given in the same request
    (and such a change needs the admin role while the hook has a secret). The URL must suit the format
    the webhook ends up with (409 otherwise)."""
    model_config = ConfigDict(extra="forbid")
    url: AnyUrl | None = None
    format: WebhookFormat | None = None
    secret: Text(500, 1) | None = None
    name: Text(100) | None = None
    enabled: bool | None = None


class WebhookPublic(BaseModel):
    id: int
    name: str | None
    url: str
    format: str
    enabled: bool
    has_secret: bool = Field(description="a signing secret is set (the secret itself is never returned)")
    created_by: str | None
    created_at: float

    @classmethod
    def from_row(cls, row) -> WebhookPublic:
        return cls(id=row.id, name=row.name, url=row.url, format=row.format, enabled=row.enabled,
                   has_secret=bool(row.secret_encrypted), created_by=row.created_by,
                   created_at=to_epoch(row.created_at))


class DeliveryPublic(BaseModel):
    id: int
    alert_id: int
    state: str = Field(description="pending | delivered | failed")
    attempts: int
    last_error: str | None = Field(description="why the last attempt failed, e.g. a refused destination")
    created_at: float
    delivered_at: float | None

    @classmethod
    def from_row(cls, row) -> DeliveryPublic:
        return cls(id=row.id, alert_id=row.alert_id, state=row.state, attempts=row.attempts,
                   last_error=row.last_error, created_at=to_epoch(row.created_at),
                   delivered_at=to_epoch(row.delivered_at) if row.delivered_at else None)


# -- tokens -----------------------------------------------------------------------------------------
class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Text(100, 1) = Field(description="who uses it; recorded as who acknowledged or resolved an alert")
    role: Role


class TokenPublic(BaseModel):
    id: int
    name: str
    role: str
    prefix: str = Field(description="the token's first characters, to tell tokens apart")
    created_by: str | None
    created_at: float
    last_used_at: float | None
    revoked_at: float | None

    @classmethod
    def fields_of(cls, row) -> dict:
        return dict(id=row.id, name=row.name, role=row.role, prefix=row.prefix, created_by=row.created_by,
                    created_at=to_epoch(row.created_at), last_used_at=to_epoch(row.last_used_at),
                    revoked_at=to_epoch(row.revoked_at))

    @classmethod
    def from_row(cls, row) -> TokenPublic:
        return cls(**cls.fields_of(row))


class TokenCreated(TokenPublic):
    token: str = Field(description="the token in clear: shown this once, only its hash is kept")
