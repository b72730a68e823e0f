"""The OpenAPI document, with the 422 responses FastAPI generates (its list-of-errors model) replaced
by the `{"detail": ..., "errors": [...]}` body `api.errors` actually sends."""
from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR_REF = {"$ref": "#/components/schemas/ErrorPublic"}


def install(app: FastAPI) -> None:
    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description,
                                 routes=app.routes)
            for path in schema.get("paths", {}).values():
                for operation in path.values():
                    response = operation.get("responses", {}).get("422")
                    if response:
                        response["content"] = {"application/json": {"schema": ERROR_REF}}
            components = schema.get("components", {}).get("schemas", {})
            for name in ("HTTPValidationError", "ValidationError"):
                components.pop(name, None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi
