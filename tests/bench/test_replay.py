"""bench/site/replay.py at a small scale: a recorded tape of the coordinator's store writes replays into
a fresh store the same way every time (the dump it compares versions of the store code with), and the
store holds the incidents the tape's alerts opened."""
from __future__ import annotations

import json

from bench.site.replay import main


def test_a_tape_replays_to_the_same_store_every_time(tmp_path, capsys):
    tape = tmp_path / "tape.pickle"
    assert main(["record", str(tape), "--phones", "20", "--frames", "20000"]) == 0
    dumps = []
    for run in range(2):
        dump = tmp_path / f"dump{run}.json"
        assert main(["replay", str(tape), "--dump", str(dump)]) == 0
        dumps.append(dump.read_text())
    assert dumps[0] == dumps[1]
    tables = json.loads(dumps[0])
    assert len(tables["alerts"]) >= 5 and len(tables["streams"]) >= 10
    assert {d["payload"]["event"] for d in tables["deliveries"]} >= {"new"}
