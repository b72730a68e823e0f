"""systemd's notify protocol without a dependency: `READY=1` once a service really serves (Type=notify),
then `WATCHDOG=1` every half WatchdogSec while its own health check passes, so systemd restarts a
process that hangs instead of one that only exits. Outside systemd (no NOTIFY_SOCKET) all of it is a
no-op. The environment is read when a service starts and handed in, never at import."""
from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)
SYSTEMD_VARIABLES = ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")


class Notifier:
    def __init__(self, env: Mapping[str, str]):
        address = env.get("NOTIFY_SOCKET", "")
        self.address = "\0" + address[1:] if address.startswith("@") else address
        usec, pid = env.get("WATCHDOG_USEC", ""), env.get("WATCHDOG_PID", "")
        mine = not pid or pid == str(os.getpid())
        self.interval = int(usec) / 2e6 if usec.isdigit() and int(usec) > 0 and mine else None

    def send(self, state: str) -> bool:
        if not self.address:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.sendto(state.encode(), self.address)
            return True
        except OSError as exc:
            log.warning("cannot notify systemd (%s): %s", self.address.lstrip("\0"), exc)
            return False

    def serve(self, ready: Callable[[], bool], healthy: Callable[[], bool], stop: threading.Event,
              poll: float = 0.2) -> threading.Thread:
        """A thread: READY=1 once `ready()`, then WATCHDOG=1 every interval while `healthy()`."""
        def loop() -> None:
            while not ready():
                if stop.wait(poll):
                    return
            self.send("READY=1\nSTATUS=running")
            while self.interval and not stop.wait(self.interval):
                if healthy():
                    self.send("WATCHDOG=1")
                else:
                    log.error("health check failed: not feeding the systemd watchdog")
        thread = threading.Thread(target=loop, name="sd-notify", daemon=True)
        thread.start()
        return thread


def without_systemd(env: Mapping[str, str]) -> dict[str, str]:
    """The environment for a child process: the notify socket is this process's, not the child's."""
    return {k: v for k, v in env.items() if k not in SYSTEMD_VARIABLES}


class Heartbeat:
    """A loop's proof of life: pass it as the loop's `stop` callable (it never asks to stop)."""

    def __init__(self, clock: Callable[[], float] | None = None):
        import time
        self.clock = clock or time.monotonic
        self.last: float | None = None

    def __call__(self) -> bool:
        self.last = self.clock()
        return False

    def started(self) -> bool:
        return self.last is not None

    def fresh(self, within: float) -> bool:
        return self.last is not None and self.clock() - self.last < within
