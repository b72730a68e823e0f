"""One atheris (libFuzzer) process for one target: `python -m tests.fuzz.atheris_main TARGET [libFuzzer
flags and corpus dirs]`. The product's modules (collectors.*) are instrumented for coverage; an
exception leaving the target is a crash."""
from __future__ import annotations

import os
import sys
import tempfile

import atheris


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit("usage: python -m tests.fuzz.atheris_main TARGET [libFuzzer args]")
    name = sys.argv[1]
    with atheris.instrument_imports(include=["collectors"]):
        import collectors.pipeline  # noqa: F401  (the whole product side, instrumented)
        import collectors.sources.pcapfile  # noqa: F401
        from tests.fuzz.targets import load
        target = load(name)
    argv0 = sys.argv[0]
    if any(arg.startswith("-merge=") for arg in sys.argv[2:]):
        # libFuzzer's merge re-executes argv[0] with its own flags: give it a command that runs
        argv0 = os.path.join(tempfile.mkdtemp(prefix="fuzz-merge-"), "target")
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        with open(argv0, "w") as f:
            f.write(f'#!/bin/sh\ncd "{root}" && exec "{sys.executable}" -m tests.fuzz.atheris_main {name} "$@"\n')
        os.chmod(argv0, 0o755)
    atheris.Setup([argv0] + sys.argv[2:], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
