"""The API's Pydantic models (only at the edge): a family per resource — `...Public` what is returned,
`...Create` / `...Update` what is accepted. Alerts and streams keep the report contract's field names
(CONTRACT.md, voip-report/1) and add the store's identity and lifecycle; times are seconds since the
epoch (floats), as in the contract. Rows become models through `from_row`, so no ORM object (and no
lazy load) leaves a session; the alert list, which dashboards poll, writes its JSON straight from
Core rows instead (`alert_rows`, through the same mapping as the alert models' `from_row`).

Modules: common (value types, errors, pages, health), alerts, alert_rows, inventory (streams, calls,
endpoints, sensors), admin (webhooks, tokens), switches, audit."""
from api.schemas.admin import (DeliveryPublic, TokenCreate, TokenCreated, TokenPublic, WebhookCreate, WebhookPublic,
                               WebhookUpdate, url_suits)
from api.schemas.alerts import (AlertAction, AlertDetail, AlertEventPublic, AlertPage, AlertPublic, OccurrencePage,
                                OccurrencePublic)
from api.schemas.common import (MAX_ID, AlertState, AlertType, ErrorPublic, FieldError, HealthPublic, Moment, Page,
                                Role, Severity, Text, WebhookFormat)
from api.schemas.inventory import (CallDetailPublic, CallPublic, EndpointPublic, PosturePublic, SensorPublic,
                                   StreamPublic)

__all__ = ["MAX_ID", "AlertAction", "AlertDetail", "AlertEventPublic", "AlertPage", "AlertPublic", "DeliveryPublic",
           "OccurrencePage", "OccurrencePublic", "AlertState", "AlertType", "CallDetailPublic",
           "CallPublic", "EndpointPublic", "ErrorPublic", "FieldError", "HealthPublic", "Moment", "Page",
           "PosturePublic", "Role", "SensorPublic", "Severity", "StreamPublic", "Text", "TokenCreate", "TokenCreated",
           "TokenPublic", "WebhookCreate", "WebhookFormat", "WebhookPublic", "WebhookUpdate", "url_suits"]
