"""`appliance run` keeps its collectors alive: one killed (SIGKILL) is started again, and stopping
`run` ends every collector it started."""
from __future__ import annotations

import os
import queue
import signal
import subprocess
import threading
from pathlib import Path

import pytest

from tests.conftest import APPLIANCE
from tests.live.netns import replay_link
from tests.notify.receivers import free_port

pytestmark = pytest.mark.lab


def children(pid: int) -> set[int]:
    """Processes whose parent is `pid` (from /proc/*/stat: this kernel may lack task/*/children)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def descendants(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        for child in children(todo.pop()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def collector_pid(run_pid: int) -> int | None:
    """The `appliance collect` that `run` started (the one whose parent is not a collector itself)."""
    for child in sorted(descendants(run_pid)):
        try:
            if b"collect" in Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0"):
                return child
        except FileNotFoundError:
            continue
    return None


def test_a_killed_collector_is_started_again(tmp_path):
    with replay_link() as (mon, monitor_if, _src, _replay_if):
        env = {**os.environ, "APPLIANCE_DATA_DIR": str(tmp_path), "APPLIANCE_INTERFACES": monitor_if}
        service = subprocess.Popen(["ip", "netns", "exec", mon, str(APPLIANCE), "run", "--port", str(free_port())],
                                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=lambda: [lines.put(line) for line in service.stderr], daemon=True).start()

        def wait_for(text: str) -> str:
            while True:
                line = lines.get(timeout=60)
                if text in line:
                    return line
        try:
            wait_for(f"collecting on {monitor_if}")
            wait_for("capturing with")
            first = collector_pid(service.pid)
            assert first is not None
            os.kill(first, signal.SIGKILL)
            assert "exited (-9); restarting in 1 s" in wait_for(f"the collector on {monitor_if} exited")
            wait_for(f"collecting on {monitor_if}")
            wait_for("capturing with")
            second = collector_pid(service.pid)
            assert second is not None and second != first
            service.send_signal(signal.SIGINT)
            assert service.wait(timeout=60) in (0, 130)                     # 130: ended by SIGINT
            assert not Path(f"/proc/{second}").exists()                 # run ended the collector it started
        finally:
            if service.poll() is None:
                service.kill()
                service.wait()
