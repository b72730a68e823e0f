"""A plain `appliance analyze` runs without typer (appliance.cli) and prints, and exits with, what the typer
command prints for the same request: the report, warnings, error lines, a closed stdout, an abort, a crash.
The typer command is reached by spelling the same request another way (`--`, `--format=...`)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from appliance.analyze_command import plain_arguments
from tests.conftest import DATA, ROOT

CAPTURE = str(DATA / "lab" / "udp-srtp-fallback.pcap")

PROBE = """
import atexit, sys
atexit.register(lambda: print("typer" in sys.modules, file=sys.stderr))
sys.argv = ["appliance", *sys.argv[1:]]
%s
from appliance.cli import main
main()
"""


def run(*argv: str, before: str = "", **kwargs) -> tuple[subprocess.CompletedProcess, bool]:
    """The command line's result, its stderr without the probe's last line, and whether typer was imported."""
    kwargs.setdefault("stdout", subprocess.PIPE)
    proc = subprocess.run([sys.executable, "-c", PROBE % before, *argv], stderr=subprocess.PIPE, text=True,
                          cwd=ROOT, timeout=120, **kwargs)
    *lines, typer_loaded = proc.stderr.splitlines()
    proc.stderr = "".join(line + "\n" for line in lines)
    return proc, typer_loaded == "True"


@pytest.mark.parametrize("args, read", [
    (["a.pcap"], (["a.pcap"], "json", True)),
    (["-", "--no-progress"], (["-"], "json", False)),
    (["-f", "table", "a", "--format", "json", "b", "--no-progress", "--progress"], (["a", "b"], "json", True)),
    (["--format", "table", "a"], (["a"], "table", True)),
    ([""], ([""], "json", True)),
])
def test_plain_arguments_are_read_as_click_reads_them(args, read):
    assert plain_arguments(args) == read


@pytest.mark.parametrize("args", [[], ["--no-progress"], ["--help"], ["a", "--help"], ["--", "a"], ["--format=json", "a"],
                                  ["-fjson", "a"], ["-f", "JSON", "a"], ["a", "-f"], ["--format", "--progress", "a"],
                                  ["a", "--bad"], ["-1"], ["a", "--progres"]])
def test_anything_else_goes_to_typer(args):
    assert plain_arguments(args) is None


@pytest.mark.parametrize("plain, through_typer", [
    (["--no-progress", CAPTURE], ["--no-progress", "--", CAPTURE]),
    (["-f", "table", CAPTURE], ["--format=table", CAPTURE]),
    ([str(ROOT / "missing.pcap")], ["--", str(ROOT / "missing.pcap")]),
    ([str(DATA / "lab" / "README.md")], ["--", str(DATA / "lab" / "README.md")]),
])
def test_a_plain_command_line_prints_what_typer_prints(plain, through_typer):
    (lean, lean_typer), (whole, whole_typer) = run("analyze", *plain), run("analyze", *through_typer)
    assert (lean.returncode, lean.stdout, lean.stderr) == (whole.returncode, whole.stdout, whole.stderr)
    assert not lean_typer and whole_typer


def test_a_closed_stdout_ends_as_under_typer():
    """`appliance analyze x.pcap | head`: exit status 1 and nothing on stderr, as typer does."""
    results = []
    for argv in (["analyze", CAPTURE], ["analyze", "--", CAPTURE]):
        read, write = os.pipe()
        os.close(read)
        try:
            results.append(run(*argv, stdout=write)[0])
        finally:
            os.close(write)
    assert [(proc.returncode, proc.stderr) for proc in results] == [(1, "")] * 2


@pytest.mark.parametrize("error, status", [("EOFError", 1), ("KeyboardInterrupt", 130)])
def test_an_abort_ends_as_under_typer(error, status):
    before = f"import appliance.analyze\ndef stop(*args, **kwargs): raise {error}\nappliance.analyze.analyze_files = stop"
    lean, whole = run("analyze", CAPTURE, before=before)[0], run("analyze", "--", CAPTURE, before=before)[0]
    assert (lean.returncode, lean.stdout, lean.stderr) == (whole.returncode, whole.stdout, whole.stderr)
    assert lean.returncode == status


def test_a_crash_shows_typer_traceback():
    """Its exception and exit status are typer's, and its traceback starts at the analysis (typer's: one frame
    above, at its command function)."""
    before = ("import appliance.analyze\ndef crash(*args, **kwargs): raise RuntimeError('boom')\n"
              "appliance.analyze.analyze_files = crash")
    env = {**os.environ, "TYPER_STANDARD_TRACEBACK": "1"}
    lean, whole = run("analyze", CAPTURE, before=before, env=env)[0], run("analyze", "--", CAPTURE, before=before,
                                                                            env=env)[0]
    assert lean.returncode == whole.returncode == 1
    assert lean.stderr.splitlines()[-1] == whole.stderr.splitlines()[-1] == "RuntimeError: boom"
    pretty = run("analyze", CAPTURE, before=before)[0]
    assert pretty.returncode == 1 and pretty.stderr.endswith("\nRuntimeError: boom\n")
    assert "╭" in pretty.stderr and "appliance/cli.py" not in pretty.stderr, "typer's short traceback"


def test_a_completion_request_goes_to_typer():
    env = {**os.environ, "_APPLIANCE_COMPLETE": "bash_complete", "COMP_WORDS": "appliance analyze", "COMP_CWORD": "1"}
    assert run("analyze", CAPTURE, env=env)[1]


def test_the_plain_report_is_the_report():
    proc, typer_loaded = run("analyze", "--no-progress", CAPTURE)
    assert proc.returncode == 0 and json.loads(proc.stdout)["alerts"] and not typer_loaded


def test_the_plain_reading_knows_the_typer_command_options():
    """If the typer command's options change, plain_arguments must change with them."""
    import typer.main

    from appliance.analyze_command import FORMATS
    from appliance.cli_app import ReportFormat, _app
    command = typer.main.get_command(_app).commands["analyze"]
    options = {param.name: (sorted(param.opts), sorted(param.secondary_opts)) for param in command.params
               if param.param_type_name == "option"}
    assert options == {"format": (["--format", "-f"], []), "progress": (["--progress"], ["--no-progress"])}
    assert [param.name for param in command.params if param.param_type_name == "argument"] == ["captures"]
    assert FORMATS == tuple(member.value for member in ReportFormat)
