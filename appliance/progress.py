"""A progress bar on stderr for large captures (rich; silent when stderr is not a terminal)."""
from __future__ import annotations

import os
import sys
from contextlib import contextmanager


@contextmanager
def file_progress(source):
    if not sys.stderr.isatty():          # a pipe or the journal: no bar, and no rich to import
        yield lambda position: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
    console = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                  console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task(os.path.basename(source.path), total=source.size)
        yield lambda position: bar.update(task, completed=position)
