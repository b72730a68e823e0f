"""Endpoints from the store as their public fields, for the endpoint list: the columns `EndpointPublic`
shows, in the order of its fields (the posture's five nested where the model nests them). The list
selects just these columns as Core rows and writes its JSON from them (`page_json`), rather than loading
ORM instances and building, validating and dumping an `EndpointPublic` (and a `PosturePublic`) per row,
which was most of the route's CPU under a NOC's polling of `?limit=100`."""
from __future__ import annotations

from pydantic_core import to_json

from appliance.store.columns import to_epoch
from appliance.store.models import Endpoint

COLUMNS = (Endpoint.id, Endpoint.sensor_id, Endpoint.ip, Endpoint.mac, Endpoint.vlan, Endpoint.vendor,
           Endpoint.model, Endpoint.firmware, Endpoint.user_agent, Endpoint.device_class, Endpoint.evidence,
           Endpoint.signaling_tls, Endpoint.media_srtp, Endpoint.keying, Endpoint.certificate_state,
           Endpoint.last_cleartext_media, Endpoint.first_seen, Endpoint.last_seen)


def endpoint_fields(row) -> dict:
    """`EndpointPublic`'s fields, in order, from a row of `COLUMNS` (what `EndpointPublic.from_row` reads)."""
    (id_, sensor, ip, mac, vlan, vendor, model, firmware, user_agent, device_class, evidence, signaling_tls,
     media_srtp, keying, certificate_state, last_cleartext_media, first_seen, last_seen) = row
    return {"id": id_, "sensor": sensor, "ip": ip, "mac": mac, "vlan": vlan, "vendor": vendor, "model": model,
            "firmware": firmware, "user_agent": user_agent, "device_class": device_class,
            "evidence": list(evidence or []),
            "posture": {"signaling_tls": signaling_tls, "media_srtp": media_srtp, "keying": keying,
                        "certificate_state": certificate_state,
                        "last_cleartext_media": to_epoch(last_cleartext_media)},
            "first_seen": to_epoch(first_seen), "last_seen": to_epoch(last_seen)}


def page_json(page, limit: int, offset: int) -> bytes:
    """The list's JSON body (`Page[EndpointPublic]`) from a store `Page` of `COLUMNS` rows: the bytes
    FastAPI sends for `Page[EndpointPublic](items=[EndpointPublic.from_row(...)], ...)`. The same because
    validation changes nothing the store can hold (ints, strings, None, booleans, floats from `to_epoch`,
    evidence as the recorder writes it: a list of strings), and `to_json` writes each dict in its key order,
    the models' field order, by the rules the models' serializer follows (tests/api/test_endpoint_rows.py
    holds the two side by side over generated rows)."""
    return to_json({"items": [endpoint_fields(row) for row in page.items], "total": page.total, "limit": limit,
                    "offset": offset, "next_cursor": page.next_cursor})
