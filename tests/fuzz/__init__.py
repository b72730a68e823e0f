"""Fuzzing of every decoder and parser: atheris harnesses (`make fuzz`) and short runs in `make test`.

See tests/fuzz/README.md. Nothing in the product imports this package.
"""
