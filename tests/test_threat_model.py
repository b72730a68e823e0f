"""THREAT-MODEL.md names the test behind each rule: every test file and test function it names must
exist, so a renamed or deleted test cannot leave a rule pointing at nothing."""
from __future__ import annotations

import ast
import re

from tests.conftest import ROOT

REFERENCE = re.compile(r"`(tests/[\w/]+\.py)((?:::\w+)?)`((?:,\s*`::\w+`)*)")


def test_every_test_the_threat_model_names_exists():
    text = (ROOT / "THREAT-MODEL.md").read_text()
    found = REFERENCE.findall(text)
    assert len(found) > 20, "the threat model names too few tests"
    for path, first, more in found:
        file = ROOT / path
        assert file.is_file(), f"THREAT-MODEL.md names {path}, which does not exist"
        names = [n for n in [first, *re.findall(r"::\w+", more)] if n]
        defined = {node.name for node in ast.walk(ast.parse(file.read_text())) if isinstance(node, ast.FunctionDef)}
        for name in names:
            assert name[2:] in defined, f"THREAT-MODEL.md names {path}{name}, which does not exist"
