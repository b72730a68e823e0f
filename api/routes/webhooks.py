"""Webhook targets (operator and up: their URLs are often credentials themselves, e.g. Slack's):
HTTP(S) webhooks, syslog/CEF SIEM targets and HEP v3 targets (Homer).
The signing secret is write-only: accepted on create and update, stored encrypted by the store,
and only ever reported as `has_secret`. Changing a hook's destination (URL or format) removes its
secret unless a new one comes in the same request, and is admin-only while the hook has a secret
(an operator must not redirect an admin's signed hook). Every URL is checked against the
destination policy (appliance.notify.destinations; 422 with what to do) when it is set, and again
by the dispatcher at each delivery; refused deliveries show in GET /webhooks/{id}/deliveries."""
from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response, status

from api.auth import RANK, Operator
from api.deps import ReadSessionDep, StoreDep, WriteSessionDep
from api.routes import AUTH, NOT_FOUND, UNAVAILABLE, RowId
from api.schemas import DeliveryPublic, ErrorPublic, WebhookCreate, WebhookPublic, WebhookUpdate, url_suits
from appliance.notify.formats import check_secret
from appliance.store import Store, audit, queries
from appliance.store.crypto import SecretBox

router = APIRouter(prefix="/webhooks", tags=["webhooks"], responses=AUTH)
CONFLICT_FORMAT = {409: {"model": ErrorPublic, "description": "the URL would not suit the format"}}


def _box(store: Store, secret: str | None) -> SecretBox | None:
    """The store's cipher, asked for only when a secret is to be stored (ConfigError -> 503 without a key)."""
    return store.secrets if secret else None


def _checked(request: Request, url: str | None, secret: str | None) -> None:
    """422 for a destination the policy refuses or a whsec_ secret that is not base64."""
    if url is not None:
        request.app.state.settings.notify.check_url(url)        # DestinationRefused: 422 with the hint
    if secret:
        try:
            check_secret(secret)
        except ValueError as exc:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None


@router.get("", summary="List webhooks")
def list_webhooks(session: ReadSessionDep, _: Operator) -> list[WebhookPublic]:
    return [WebhookPublic.from_row(row) for row in queries.list_webhooks(session)]


@router.post("", status_code=status.HTTP_201_CREATED, responses=UNAVAILABLE, summary="Add a webhook")
def create_webhook(body: WebhookCreate, request: Request, store: StoreDep, session: WriteSessionDep,
                   who: Operator) -> WebhookPublic:
    _checked(request, body.url, body.secret)
    row = queries.create_webhook(session, _box(store, body.secret), body.url, format=body.format, secret=body.secret,
                                 name=body.name, enabled=body.enabled, created_by=who.name)
    session.flush()
    audit.record(session, who.name, "webhook.create", f"webhook:{row.id}", None, audit.snapshot(row))
    return WebhookPublic.from_row(row)


@router.get("/{webhook_id}", responses=NOT_FOUND, summary="One webhook")
def get_webhook(webhook_id: RowId, session: ReadSessionDep, _: Operator) -> WebhookPublic:
    return WebhookPublic.from_row(queries.get_webhook(session, webhook_id))


@router.patch("/{webhook_id}", responses=NOT_FOUND | UNAVAILABLE | CONFLICT_FORMAT, summary="Change a webhook")
def update_webhook(webhook_id: RowId, body: WebhookUpdate, request: Request, store: StoreDep,
                   session: WriteSessionDep, who: Operator) -> WebhookPublic:
    row = queries.get_webhook(session, webhook_id)
    before = audit.snapshot(row)
    url, format = body.url or row.url, body.format or row.format
    if not url_suits(url, format):
        raise HTTPException(status.HTTP_409_CONFLICT, f"webhook {webhook_id} would pair the {format} format with "
                            f"the URL {url!r}: change both together")
    if (row.secret_encrypted and RANK[who.role] < RANK["admin"]
            and queries.destination_changes(row, body.url, body.format)):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"webhook {webhook_id} has a secret: changing its URL or "
                            f"format needs the admin role (the token {who.name!r} has the {who.role} role); or "
                            f"create a new webhook")
    _checked(request, body.url, body.secret)
    given = body.model_dump(include=body.model_fields_set)
    changes = {key: given[key] for key in ("secret", "name") if key in given}
    row = queries.update_webhook(session, _box(store, given.get("secret")), webhook_id, url=body.url,
                                 format=body.format, enabled=body.enabled, **changes)
    audit.record(session, who.name, "webhook.update", f"webhook:{webhook_id}", before, audit.snapshot(row))
    return WebhookPublic.from_row(row)


@router.get("/{webhook_id}/deliveries", responses=NOT_FOUND, summary="A webhook's latest deliveries")
def list_deliveries(webhook_id: RowId, session: ReadSessionDep, _: Operator) -> list[DeliveryPublic]:
    """Newest first, at most 50: state (pending, delivered, failed), attempts and the last error — e.g.
    a destination the policy refused after DNS resolution."""
    return [DeliveryPublic.from_row(row) for row in queries.recent_deliveries(session, webhook_id)]


@router.delete("/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response,
               responses=NOT_FOUND, summary="Delete a webhook and its pending deliveries")
def delete_webhook(webhook_id: RowId, session: WriteSessionDep, who: Operator) -> Response:
    before = audit.snapshot(queries.get_webhook(session, webhook_id))
    queries.delete_webhook(session, webhook_id)
    audit.record(session, who.name, "webhook.delete", f"webhook:{webhook_id}", before, None)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
