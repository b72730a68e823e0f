"""Child processes that end with their parent. A collector's workers (forked) and `appliance run`'s
collectors (spawned) must not go on capturing when the process that owns them is killed outright
(SIGKILL leaves no chance to clean up): the kernel sends them SIGTERM when their parent goes
(PR_SET_PDEATHSIG, Linux), and the check below covers the moment between fork and that call."""
from __future__ import annotations

import ctypes
import os
import signal

PR_SET_PDEATHSIG = 1


def end_with_parent(expected_parent: int | None = None) -> None:
    """Ask for SIGTERM when the parent dies; if it already has (re-parented), end now."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):         # not Linux: nothing to ask for
        return
    if expected_parent is not None and os.getppid() != expected_parent:
        os.kill(os.getpid(), signal.SIGTERM)
