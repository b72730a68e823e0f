"""Webhook targets (operator and up: their URLs are often credentials themselves, e.g. Slack's):
HTTP(S) webhooks, syslog/CEF SIEM targets and HEP v3 targets (Homer).
The signing secret is write-only: accepted on create and update, stored encrypted by the store,
and only ever reported as `has_secret`."""
from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response, status

from api.auth import Operator
from api.deps import ReadSessionDep, StoreDep, WriteSessionDep
from api.routes import AUTH, NOT_FOUND, UNAVAILABLE, RowId
from api.schemas import ErrorPublic, WebhookCreate, WebhookPublic, WebhookUpdate, url_suits
from appliance.store import Store, audit, queries
from appliance.store.crypto import SecretBox

router = APIRouter(prefix="/webhooks", tags=["webhooks"], responses=AUTH)
CONFLICT_FORMAT = {409: {"model": ErrorPublic, "description": "the URL would not suit the format"}}


def _box(store: Store, secret: str | None) -> SecretBox | None:
    """The store's cipher, asked for only when a secret is to be stored (ConfigError -> 503 without a key)."""
    return store.secrets if secret else None


@router.get("", summary="List webhooks")
def list_webhooks(session: ReadSessionDep, _: Operator) -> list[WebhookPublic]:
    return [WebhookPublic.from_row(row) for row in queries.list_webhooks(session)]


@router.post("", status_code=status.HTTP_201_CREATED, responses=UNAVAILABLE, summary="Add a webhook")
def create_webhook(body: WebhookCreate, store: StoreDep, session: WriteSessionDep, who: Operator) -> WebhookPublic:
    row = queries.create_webhook(session, _box(store, body.secret), body.url, format=body.format, secret=body.secret,
                                 name=body.name, enabled=body.enabled, created_by=who.name)
    session.flush()
    audit.record(session, who.name, "webhook.create", f"webhook:{row.id}", None, audit.snapshot(row))
    return WebhookPublic.from_row(row)


@router.get("/{webhook_id}", responses=NOT_FOUND, summary="One webhook")
def get_webhook(webhook_id: RowId, session: ReadSessionDep, _: Operator) -> WebhookPublic:
    return WebhookPublic.from_row(queries.get_webhook(session, webhook_id))


@router.patch("/{webhook_id}", responses=NOT_FOUND | UNAVAILABLE | CONFLICT_FORMAT, summary="Change a webhook")
def update_webhook(webhook_id: RowId, body: WebhookUpdate, store: StoreDep, session: WriteSessionDep,
                   who: Operator) -> WebhookPublic:
    row = queries.get_webhook(session, webhook_id)
    before = audit.snapshot(row)
    url, format = body.url or row.url, body.format or row.format
    if not url_suits(url, format):
        raise HTTPException(status.HTTP_409_CONFLICT, f"webhook {webhook_id} would pair the {format} format with "
                            f"the URL {url!r}: change both together")
    given = body.model_dump(include=body.model_fields_set)
    changes = {key: given[key] for key in ("secret", "name") if key in given}
    row = queries.update_webhook(session, _box(store, given.get("secret")), webhook_id, url=body.url,
                                 format=body.format, enabled=body.enabled, **changes)
    audit.record(session, who.name, "webhook.update", f"webhook:{webhook_id}", before, audit.snapshot(row))
    return WebhookPublic.from_row(row)


@router.delete("/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response,
               responses=NOT_FOUND, summary="Delete a webhook and its pending deliveries")
def delete_webhook(webhook_id: RowId, session: WriteSessionDep, who: Operator) -> Response:
    before = audit.snapshot(queries.get_webhook(session, webhook_id))
    queries.delete_webhook(session, webhook_id)
    audit.record(session, who.name, "webhook.delete", f"webhook:{webhook_id}", before, None)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
