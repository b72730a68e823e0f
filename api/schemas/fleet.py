"""The fleet's compliance (appliance.store.fleet): posture counts overall and per group, the daily
trend, and endpoints with their one-word posture."""
from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas.inventory import EndpointPublic


class PostureCounts(BaseModel):
    compliant: int
    cleartext_media: int
    keys_exposed: int
    cleartext_signaling: int
    downgraded: int
    unknown: int = Field(description="not yet seen making a call")


class FleetGroup(BaseModel):
    group: str = Field(description="the vendor and model, subnet, VLAN id (\"untagged\" for endpoints seen "
                                   "without an 802.1Q tag), sensor or device class")
    total: int
    postures: PostureCounts


class FleetSummary(BaseModel):
    total: int = Field(description="endpoints counted")
    postures: PostureCounts
    group_by: str | None
    groups: list[FleetGroup]


class TrendDay(BaseModel):
    day: str = Field(description="UTC date, YYYY-MM-DD")
    non_compliant: int = Field(description="distinct phones with an occurrence of a non-compliant type that day")
    by_type: dict[str, int]


class FleetEndpointPublic(EndpointPublic):
    compliance: str = Field(description="compliant, cleartext_media, keys_exposed, cleartext_signaling, "
                                        "downgraded or unknown")
    incidents: list[str] = Field(description="types of its open or acknowledged incidents")

    @classmethod
    def of(cls, item) -> FleetEndpointPublic:
        return cls(**EndpointPublic.from_row(item.row).model_dump(), compliance=item.posture,
                   incidents=list(item.incidents))


class FleetEndpointPage(BaseModel):
    items: list[FleetEndpointPublic]
    total: int
    next_cursor: int | None = Field(description="pass as `cursor` for the next page; null on the last page")
