"""One atheris (libFuzzer) process for one target: `python -m tests.fuzz.atheris_main TARGET [libFuzzer
flags and corpus dirs]`. The product's modules (collectors.*) are instrumented for coverage; an
exception leaving the target is a crash."""
from __future__ import annotations

import sys

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
    atheris.Setup([sys.argv[0]] + sys.argv[2:], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
