"""The `appliance` command line's entry point (`main`).

A plain `appliance analyze CAPTURE...` (appliance.analyze_command.plain_arguments: what scripts and the
bench write) runs without typer, whose import and command building were ~25 ms of the ~0.15 s of CPU an
analysis of a small capture takes; it prints, and exits with, what the typer command would. Every other
command line goes to the typer application (appliance.cli_app), whose names this module also gives:
`app` is the whole command line.
"""
from __future__ import annotations

import os
import sys

from appliance.analyze_command import analyze, plain_arguments
from appliance.errors import ApplianceError
from collectors.errors import CollectorError


def __getattr__(name: str):
    if name.startswith("__"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from appliance import cli_app
    return getattr(cli_app, name)


def main() -> None:
    argv = sys.argv[1:]
    analysis = bool(argv) and argv[0] == "analyze"
    if analysis:
        _collect_rarely()
    try:
        plain = analysis and not _completing() and plain_arguments(argv[1:])
        if plain:
            _analyze_without_typer(*plain)
        else:
            from appliance.cli_app import run
            run(argv)
    except (CollectorError, ApplianceError) as exc:        # StoreError is an ApplianceError
        print(f"appliance: error: {exc}", file=sys.stderr)
        sys.exit(getattr(exc, "exit_code", 2))
    except KeyboardInterrupt:
        sys.exit(130)
    finally:
        if analysis:
            _leave_to_the_os()


def _completing() -> bool:
    """A shell asks typer to complete a word (_APPLIANCE_COMPLETE=...): only typer answers that."""
    return any(name.startswith("_") and name.endswith("_COMPLETE") for name in os.environ)


def _analyze_without_typer(captures: list[str], format: str, progress: bool) -> None:
    _rich_traceback_guard = True    # noqa: F841  typer's traceback starts below here, as below its command wrapper
    try:
        analyze(captures, format, progress)
    except (CollectorError, ApplianceError):
        raise
    except Exception as exc:
        from appliance.cli_app import as_typer_ends
        as_typer_ends(exc)          # an EOFError or a closed stdout exits as under typer
        raise                       # anything else: with typer's traceback


ANALYSIS_GC_THRESHOLD = 100_000


def _collect_rarely() -> None:
    """`analyze` makes almost no cyclic garbage (~550 objects collected over the 1M and the 10M bench
    captures alike) but many long-lived containers (flows, streams, counters), which the cyclic collector
    examined again and again: 104 collections, ~40 ms of CPU on 1M, ~0.2 s on 10M. A collection every
    ANALYSIS_GC_THRESHOLD allocations instead of 700: none on 1M, two on 10M (~60 ms). Still collected:
    a capture that does make cyclic garbage keeps it bounded."""
    import gc
    gc.set_threshold(ANALYSIS_GC_THRESHOLD, *gc.get_threshold()[1:])


def _leave_to_the_os() -> None:
    """`analyze` ends with its process: what the analysis left in reference cycles (flows, streams and
    their classifiers: ~8,000 objects after the 1M bench capture) is left to the OS instead of the
    interpreter's final collection walking and freeing it one by one (~40 ms of CPU there, 5 % of the
    run). Only analyze: it writes nothing but stdout and stderr, which the interpreter still flushes,
    and holds no connection, file being written or child process whose finaliser would have to run."""
    import gc
    gc.freeze()
