"""Errors of the store that an API maps to a status code (not found, conflict, bad input, set-up)."""
from __future__ import annotations

from appliance.errors import ApplianceError


class StoreError(ApplianceError):
    """Anything the store refuses."""


class NotFound(StoreError):
    """No row with that id (HTTP 404)."""


class InvalidTransition(StoreError):
    """An alert cannot go from its state to the one asked for (HTTP 409)."""


class InvalidValue(StoreError):
    """A value the store does not accept, e.g. a webhook URL that is not http(s) (HTTP 422)."""


class ConfigError(StoreError):
    """The store was set up without something it needs, e.g. the key that encrypts webhook secrets."""
    exit_code = 2
