"""The interactive API documentation at /docs, served entirely by the appliance: Swagger UI's files
come from the `swagger-ui-bundle-v2` package (module swagger_ui_bundle), the page and the script
that starts it from here, so it works on an isolated management network and under the same CSP as
everything else (no inline script or style, nothing from elsewhere)."""
from api.docs.router import router

__all__ = ["router"]
