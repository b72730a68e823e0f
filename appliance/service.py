"""`appliance serve` and `appliance run`: the long-running service.

serve: the REST API (uvicorn) and the retention purge in one unprivileged process, and the webhook
dispatcher in a process of its own (appliance.notify.process: it no longer waits for the GIL behind
the API's pages). run: the same, plus one `appliance collect --store` process per configured interface
(only those need capture privileges). Child processes are started, restarted when they die, and ended
here, by PID.
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from appliance.lifetime import end_with_parent
from appliance.sdnotify import Notifier, without_systemd
from appliance.settings import Settings

PURGE_EVERY = 3600.0
log = logging.getLogger(__name__)


def serve(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    import uvicorn

    stop_on_sigterm()

    from api.app import create_app
    from api.ratelimit import RateLimits
    from appliance.store import migrate, open_store
    from appliance.notifiers import sync_notifiers
    migrate.upgrade(settings.store())
    store = open_store(settings.store())
    for line in sync_notifiers(store, settings.notifiers, destinations=settings.notify):
        log.info("notifiers: %s", line)
    stop = threading.Event()
    dispatcher = dispatcher_supervisor(settings)
    workers = [dispatcher, threading.Thread(target=_purge, args=(store, settings, stop), name="retention", daemon=True)]
    for worker in workers:
        worker.start()
    try:
        app = create_app(settings, store=store, limits=RateLimits.from_env())
        config = uvicorn.Config(app, host=host or settings.host, port=port or settings.port, log_level="info",
                                access_log=False, log_config=None)      # uvicorn logs through ours
        log.info("serving http://%s:%s/", config.host, config.port, extra={"host": config.host, "port": config.port})
        server = uvicorn.Server(config)
        Notifier(os.environ).serve(ready=lambda: server.started,
                                   healthy=lambda: not server.should_exit and all(w.is_alive() for w in workers),
                                   stop=stop)
        server.run()
    finally:
        stop.set()
        dispatcher.stop()
        for worker in workers:
            worker.join(timeout=10)
        store.close()


def run(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    """`serve`, with a collector process per interface, each restarted when it dies (after 1 s, then
    doubling to a minute while it keeps dying soon after each start)."""
    stop_on_sigterm()
    supervisors = [collector_supervisor(interface) for interface in settings.interfaces]
    for supervisor in supervisors:
        supervisor.start()
    try:
        serve(settings, host, port)
    finally:
        for supervisor in supervisors:
            supervisor.stop()


def stop_on_sigterm() -> None:
    """SIGTERM (systemd's stop, `kill`) ends the service as Ctrl-C does: through every cleanup block,
    so the dispatcher and collectors it started are ended and waited for (a collector writes what it
    still holds) before it exits 0. uvicorn handles the signal while it serves, then raises it again
    once it has shut down: with the default handler the process died right there, skipping them."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _exit_once)


def _exit_once(signum, frame) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)       # a second one must not cut the cleanup short
    log.info("stopping: SIGTERM")
    raise SystemExit(0)


class Supervisor(threading.Thread):
    """Keeps a child process running: `start` makes one (a Popen, or anything with its wait, poll,
    terminate and kill); `what` names it in the log line of a restart, with `fields`."""
    RESTART_MIN, RESTART_MAX, STEADY = 1.0, 60.0, 60.0

    def __init__(self, name: str, start: Callable[[], subprocess.Popen], what: str, fields: dict | None = None):
        super().__init__(name=name, daemon=True)
        self.start_process, self.what, self.fields = start, what, fields or {}
        self.stopping = threading.Event()
        self.process: subprocess.Popen | None = None
        self.restarts = 0

    def run(self) -> None:
        delay = self.RESTART_MIN
        while not self.stopping.is_set():
            started = time.monotonic()
            self.process = self.start_process()
            code = self.process.wait()
            if self.stopping.is_set():
                return
            if time.monotonic() - started > self.STEADY:
                delay = self.RESTART_MIN                # it had been running well: start again soon
            self.restarts += 1
            log.warning("%s exited (%s); restarting in %g s", self.what, code, delay,
                        extra={**self.fields, "exit_code": code, "restarts": self.restarts, "delay_s": delay})
            self.stopping.wait(delay)
            delay = min(delay * 2, self.RESTART_MAX)

    def stop(self) -> None:
        self.stopping.set()
        self._end(self.process)
        self.join(timeout=20)
        self._end(self.process)          # one started just as we were stopping

    @staticmethod
    def _end(process: subprocess.Popen | None) -> None:
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def collector_supervisor(interface: str) -> Supervisor:
    return Supervisor(f"collector-{interface}", lambda: _start_collector(interface), f"the collector on {interface}",
                      {"interface": interface})


def dispatcher_supervisor(settings: Settings) -> Supervisor:
    """The webhook dispatcher's process; the delivery tally moves to memory it shares with this one."""
    from appliance.notify.process import CONTEXT, DispatcherProcess
    from appliance.notify.results import DELIVERY_RESULTS
    shared = DELIVERY_RESULTS.share(CONTEXT)
    return Supervisor("dispatcher", lambda: DispatcherProcess(settings, shared), "the webhook dispatcher")


def _start_collector(interface: str) -> subprocess.Popen:
    command = [str(Path(sys.executable).parent / "appliance"), "collect", "--interface", interface, "--store",
               "--format", "jsonl"]
    log.info("collecting on %s", interface, extra={"interface": interface})
    parent = os.getpid()
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, env=without_systemd(os.environ),
                            preexec_fn=lambda: end_with_parent(parent))


def _purge(store, settings: Settings, stop: threading.Event) -> None:
    """Hourly: purge what is past retention, then refresh the query planner's statistics (also once at
    start, so a store filled by an import is planned well from the first request)."""
    from appliance.store.queries import purge
    from appliance.store.retention import refresh_statistics
    first = True
    while first or not stop.wait(PURGE_EVERY):
        try:
            with store.session() as session:
                if not first:
                    purge(session, timedelta(days=settings.retention_days))
                refresh_statistics(session)
        except Exception as exc:       # the next hour tries again; the service keeps serving
            log.warning("retention purge failed: %s", exc)
        first = False
