"""The NOC dashboard: one static page (HTML, vanilla JS, CSS shipped as package data in `static/`)
served at `/` by `router`, talking to the REST API with the operator's token. Nothing is fetched
from outside the appliance; every response carries a Content-Security-Policy that allows only the
appliance itself."""
from api.dashboard.router import SECURITY_HEADERS, router

__all__ = ["SECURITY_HEADERS", "router"]
