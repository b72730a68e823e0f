"""The audit log as the API returns it (admin only): one entry per change, newest first."""
from __future__ import annotations

from pydantic import BaseModel, Field

from appliance.store import audit


class AuditEntryPublic(BaseModel):
    id: int
    at: float = Field(description="seconds since the epoch")
    actor: str = Field(description="the API token's name, or the user who ran the CLI")
    via: str = Field(description="api or cli")
    action: str = Field(description="e.g. token.create, webhook.update, switch.add, span.apply, alert.comment")
    target: str = Field(description="what was changed, e.g. webhook:3, switch:core1, alert:12")
    before: dict | None = Field(description="the state before (secrets redacted); null for a creation")
    after: dict | None = Field(description="the state after (secrets redacted); null for a removal")

    @classmethod
    def from_row(cls, row) -> "AuditEntryPublic":
        return cls(**audit.as_dict(row))


class AuditPage(BaseModel):
    items: list[AuditEntryPublic]
    total: int = Field(description="entries matching the filters, over all pages")
