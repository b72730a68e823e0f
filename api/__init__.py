"""REST API, live alert stream and dashboard (issue 5 and 7); reads and writes through `appliance`.

    uvicorn --factory api.main:app_factory          # settings from APPLIANCE_* at start, not import

Modules: app (`create_app(settings, store=None)`: routers, errors, migrations at start-up), main (the
uvicorn factory), auth (bearer tokens, roles viewer < operator < admin), deps (store and session
dependencies), errors (JSON `{"detail": ...}` for every error), schemas (Pydantic models), routes (one
router per resource), live (the alert feed behind the SSE stream), pcap (evidence as a capture file),
metrics (Prometheus collector reading the store), openapi (the document's error bodies)."""
