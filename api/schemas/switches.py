"""Switches and the appliance's SPAN session on each. Secrets never cross the API: a switch names the
`APPLIANCE_SWITCH_*` environment variable or the key file (in the appliance's switch credentials
directory) that holds them."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from appliance.store.columns import to_epoch
from appliance.switches.credentials import ENV_NAME, env_ref
from appliance.switches.drivers import DRIVERS
from appliance.switches.errors import CredentialError

SwitchName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
PORT = r"[A-Za-z0-9/._-]{1,100}"
VID = r"([1-9][0-9]{0,2}|[1-3][0-9]{3}|40[0-8][0-9]|409[0-4])"
PortSpec = Annotated[str, StringConstraints(pattern=rf"^{PORT}(:(rx|tx|both))?$")]
Port = Annotated[str, StringConstraints(pattern=rf"^{PORT}$")]
VlanSpec = Annotated[str, StringConstraints(pattern=rf"^{VID}(:(rx|tx|both))?$")]
DeviceType = Literal[tuple(DRIVERS)]    # type: ignore[valid-type]
# The namespace is checked by `credentials` (for its message); the pattern is there for the document.
EnvName = Annotated[str, StringConstraints(min_length=1, max_length=100), Field(json_schema_extra={
    "pattern": ENV_NAME.pattern})]
KeyFileName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")]
Host = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9.:_-]+$")]


class SwitchCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "oneOf": [{"required": ["key_file"], "properties": {"key_file": {"type": "string"}}},        # exactly one
                  {"required": ["password_env"], "properties": {"password_env": {"type": "string"}}}]})
    name: SwitchName
    device_type: DeviceType
    host: Host
    port: int = Field(22, ge=1, le=65535)
    username: Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f]+$")]
    key_file: KeyFileName | None = Field(None, description="the name of an SSH private key file in the "
                                                           "appliance's switch credentials directory")
    password_env: EnvName | None = Field(None, description="APPLIANCE_SWITCH_* environment variable holding the "
                                                            "password")
    secret_env: EnvName | None = Field(None, description="APPLIANCE_SWITCH_* environment variable holding the "
                                                          "enable secret")
    session_number: int = Field(7, ge=1, le=65535, description="the mirror session number the appliance owns")

    @field_validator("password_env", "secret_env")
    @classmethod
    def in_the_namespace(cls, name: str | None) -> str | None:
        if name is not None:
            try:
                env_ref(name)
            except CredentialError as exc:
                raise ValueError(str(exc)) from None
        return name

    @model_validator(mode="after")
    def one_credential(self):
        if (self.key_file is None) == (self.password_env is None):
            raise ValueError("give exactly one of key_file or password_env")
        return self


class SpanPublic(BaseModel):
    name: str
    sources: list[str]
    source_vlans: list[str]
    destination: str
    state: str
    applied_by: str | None
    applied_at: float | None
    verified_at: float | None
    verified_ok: bool | None
    last_error: str | None

    @classmethod
    def from_row(cls, row) -> "SpanPublic":
        return cls(name=row.name, sources=list(row.sources), source_vlans=list(row.source_vlans or []),
                   destination=row.destination, state=row.state, applied_by=row.applied_by,
                   applied_at=to_epoch(row.applied_at), verified_at=to_epoch(row.verified_at),
                   verified_ok=row.verified_ok, last_error=row.last_error)


class SwitchPublic(BaseModel):
    name: str
    device_type: str
    host: str
    port: int
    username: str | None
    credential_ref: str | None = Field(description="where the password or key lives (never the secret)")
    secret_ref: str | None
    session_number: int
    created_by: str | None
    created_at: float | None
    session: SpanPublic | None

    @classmethod
    def from_row(cls, row, span) -> "SwitchPublic":
        return cls(name=row.name, device_type=row.device_type, host=row.host, port=row.port, username=row.username,
                   credential_ref=row.credential_ref, secret_ref=row.secret_ref, session_number=row.session_number,
                   created_by=row.created_by, created_at=to_epoch(row.created_at),
                   session=SpanPublic.from_row(span) if span is not None else None)


class SpanRequest(BaseModel):
    """At least one source port or VLAN; the destination cannot also be a source (422 otherwise)."""
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "anyOf": [{"required": ["sources"], "properties": {"sources": {"minItems": 1}}},
                  {"required": ["source_vlans"], "properties": {"source_vlans": {"minItems": 1}}}]})
    sources: list[PortSpec] = Field([], max_length=256, description="PORT[:rx|tx|both]")
    source_vlans: list[VlanSpec] = Field([], max_length=64, description="VID[:rx|tx|both]")
    destination: Port
    dry_run: bool = Field(False, description="check against the switch's candidate config, change nothing")
    save: bool = Field(False, description="also save the switch's startup configuration (off: SPAN is often temporary)")


class PlanPublic(BaseModel):
    device_type: str
    create: list[str]
    verify: list[str]
    remove: list[str]
    save: list[str]
    notes: list[str]
    text: str


class OutcomePublic(BaseModel):
    switch: str
    matches: bool
    changed: bool
    observed: dict | None
    differences: list[str]
    dry_run: str | None = None


class RemovedPublic(BaseModel):
    switch: str
    removed: bool = Field(description="false when no appliance session was on the switch")


class SpanActionPublic(BaseModel):
    id: int
    switch_name: str
    action: str
    actor: str
    at: float
    ok: bool
    session: dict | None
    detail: str | None

    @classmethod
    def from_row(cls, row) -> "SpanActionPublic":
        return cls(id=row.id, switch_name=row.switch_name, action=row.action, actor=row.actor,
                   at=to_epoch(row.at), ok=row.ok, session=row.session, detail=row.detail)
