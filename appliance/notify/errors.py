"""Errors of alert delivery. A notifier raises `DeliveryError` for anything that kept a message from
being accepted; the dispatcher turns it into a retry (with the outbox's back-off) or, when
`permanent`, into a short retry budget (see dispatcher)."""
from __future__ import annotations

from appliance.errors import ApplianceError


class DeliveryError(ApplianceError):
    """A message was not accepted. `permanent`: retrying the same request will not help (HTTP 4xx
    other than 408/425/429, a 3xx redirect, an unusable URL); `retry_after`: seconds the receiver asked
    us to wait (HTTP Retry-After), or None."""

    def __init__(self, message: str, permanent: bool = False, retry_after: float | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after
