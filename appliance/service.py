"""`appliance serve` and `appliance run`: the long-running service.

serve: the REST API (uvicorn), the webhook dispatcher and the retention purge, in one unprivileged
process. run: the same, plus one `appliance collect --store` process per configured interface (only
those need capture privileges); they are started and ended here, by PID.
"""
from __future__ import annotations

import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

from appliance.settings import Settings

PURGE_EVERY = 3600.0


def serve(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    import uvicorn

    from api.app import create_app
    from api.ratelimit import RateLimits
    from appliance.store import migrate, open_store
    from appliance.notifiers import sync_notifiers
    migrate.upgrade(settings.store())
    store = open_store(settings.store())
    for line in sync_notifiers(store, settings.notifiers):
        print(f"appliance: {line}", file=sys.stderr, flush=True)
    stop = threading.Event()
    workers = [threading.Thread(target=_dispatch, args=(store, stop), name="dispatcher", daemon=True),
               threading.Thread(target=_purge, args=(store, settings, stop), name="retention", daemon=True)]
    for worker in workers:
        worker.start()
    try:
        app = create_app(settings, store=store, limits=RateLimits.from_env())
        config = uvicorn.Config(app, host=host or settings.host, port=port or settings.port, log_level="info",
                                access_log=False)
        print(f"appliance: serving http://{config.host}:{config.port}/", file=sys.stderr, flush=True)
        uvicorn.Server(config).run()
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=10)
        store.close()


def run(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    collectors = [_start_collector(interface) for interface in settings.interfaces]
    try:
        serve(settings, host, port)
    finally:
        for process in collectors:
            process.terminate()
        for process in collectors:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def _start_collector(interface: str) -> subprocess.Popen:
    command = [str(Path(sys.executable).parent / "appliance"), "collect", "--interface", interface, "--store",
               "--format", "jsonl"]
    print(f"appliance: collecting on {interface}", file=sys.stderr, flush=True)
    return subprocess.Popen(command, stdout=subprocess.DEVNULL)


def _dispatch(store, stop: threading.Event) -> None:
    from appliance.notify.dispatcher import Dispatcher
    with Dispatcher(store) as dispatcher:
        dispatcher.run(stop)


def _purge(store, settings: Settings, stop: threading.Event) -> None:
    from appliance.store.queries import purge
    while not stop.wait(PURGE_EVERY):
        try:
            with store.session() as session:
                purge(session, timedelta(days=settings.retention_days))
        except Exception as exc:       # the next hour tries again; the service keeps serving
            print(f"appliance: retention purge failed: {exc}", file=sys.stderr)
