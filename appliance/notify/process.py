"""The webhook dispatcher in a process of its own, started (and restarted) by `serve`, so by
`appliance run` too.

Why not a thread of the serving process: there it shared the GIL with the API. Each delivery makes a
handful of blocking calls (send, receive, SQLite), and after each one a thread waits for the GIL while
another thread computes; during a boot storm the NOC's dashboards (and bench/site, every 0.1 s) read
500-row alert pages, and the dispatcher's rate fell from ~700 to ~340 deliveries/s (bench.dispatch);
the webhook p99 of bench/site at 5,000 phones was 2.4-8 s while the alerts were readable in 0.5 s.

The process is spawned (multiprocessing's "spawn": a fresh interpreter, none of the serving process's
threads, locks or database connections), gets the service's Settings and the shared delivery tally
(appliance.notify.results, exported by /metrics in the serving process), ends with its parent
(PR_SET_PDEATHSIG) and stops on SIGTERM: the delivery in flight is finished and marked, what it had
claimed and not sent is given back, due at once. It ignores SIGINT: Ctrl-C in a terminal reaches the
whole process group, and the serving process stops it then (SIGTERM), rather than restart it."""
from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import threading
from multiprocessing.connection import wait as wait_for_exit

CONTEXT = multiprocessing.get_context("spawn")
STOP_SIGNALS = {signal.SIGTERM}
LOOK_EVERY = 1.0            # s between checks that the dispatching thread still runs


class DispatcherProcess:
    """The dispatcher's process, with the part of subprocess.Popen's interface a supervisor uses."""

    def __init__(self, settings, shared_results):
        self._process = CONTEXT.Process(target=main, args=(settings, shared_results, os.getpid()),
                                        name="appliance-dispatcher", daemon=True)
        self._process.start()
        self.pid = self._process.pid
        self._reaping = threading.Lock()

    def poll(self) -> int | None:
        return self.wait(0) if wait_for_exit([self._process.sentinel], 0) else None

    def wait(self, timeout: float | None = None) -> int:
        """The exit code, once the process ended (reaped once, whichever thread asks first: the
        supervisor waits for it while `serve`, stopping, waits for it too)."""
        if not wait_for_exit([self._process.sentinel], timeout):
            raise subprocess.TimeoutExpired("appliance-dispatcher", timeout)
        with self._reaping:
            self._process.join()
        return self._process.exitcode

    def terminate(self) -> None:
        self._process.terminate()

    def kill(self) -> None:
        self._process.kill()


def main(settings, shared_results, parent: int) -> None:
    """The process: dispatch in a thread until a stop signal (taken with sigwait, not a handler, so
    nothing runs in the middle of the dispatching thread's locks), exit 0; or until that thread ends
    on its own, exit 1."""
    from appliance.lifetime import end_with_parent
    from appliance.logs import configure_from
    from appliance.notify.results import DELIVERY_RESULTS
    from appliance.sdnotify import SYSTEMD_VARIABLES
    end_with_parent(parent)
    for name in SYSTEMD_VARIABLES:                  # the notify socket is the serving process's
        os.environ.pop(name, None)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)         # the thread below inherits the mask
    configure_from(settings)
    DELIVERY_RESULTS.attach(shared_results)
    stop = threading.Event()
    worker = threading.Thread(target=dispatch, args=(settings, stop), name="dispatcher")
    worker.start()
    stopped = False
    while worker.is_alive() and not stopped:
        stopped = signal.sigtimedwait(STOP_SIGNALS, LOOK_EVERY) is not None
    stop.set()
    worker.join()
    if not stopped:                 # the thread ended on its own (its traceback is on stderr): restarted
        raise SystemExit(1)


def dispatch(settings, stop: threading.Event) -> None:
    """Open the store and dispatch until `stop` is set."""
    from appliance.notify.dispatcher import Dispatcher
    from appliance.store import open_store
    store = open_store(settings.store())
    try:
        with Dispatcher(store, destinations=settings.notify, external_url=settings.external_url,
                        remind_every=settings.incidents.remind_every) as dispatcher:
            dispatcher.run(stop)
    finally:
        store.close()
