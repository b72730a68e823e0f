"""Processes for the dispatch bench: the appliance's binary, a free port, waiting, and CPU seconds of a
process tree from /proc (user + system), per process name."""
from __future__ import annotations

import os
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def appliance_bin() -> str:
    return str(Path(sys.executable).parent / "appliance")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(ready: Callable[[], bool], timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise SystemExit(message)
        time.sleep(0.05)


def tree(root: int) -> list[int]:
    """`root` and every descendant."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def cpu_by_process(root: int) -> dict[str, float]:
    """CPU seconds so far of each process of the tree, keyed by its command
line's first two words after the interpreter (`appliance serve`)."""
    seconds: dict[str, float] = {}
    for pid in tree(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            words = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"from multiprocessing.spawn import spawn_main" in b" ".join(words):
            seconds["spawned child"] = seconds.get("spawned child", 0.0) + (int(fields[11]) + int(fields[12])) / CLK_TCK
            continue
        words = [Path(w.decode()).name for w in words if w]
        name = " ".join(words[1:3] if words and words[0].startswith("python") else words[:2]) or str(pid)
        seconds[name] = seconds.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / CLK_TCK
    return seconds
