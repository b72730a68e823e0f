"""`python -m bench.site.replay`: the live coordinator's store writes, recorded once, replayed into a fresh store.

    python -m bench.site.replay record TAPE [--phones 150] [--frames 500000] [--calls 480] [--mean 12]
    python -m bench.site.replay replay TAPE [--url postgresql://...] [--repeat 5] [--dump OUT.json]
                                            [--auto-resolve SECONDS]

`record` runs the site's frames (bench/site/timeline.py, calls made short and frequent so phones
have incidents and call again) through one Pipeline and the coordinator's Policy, Sink and StoreBacklog
(appliance/collect.py), and keeps each transaction the Sink would write, as it would write it: a group
per 500 frames (0.1 s of traffic) or GROUP_MAX events, its urgent writes in URGENT_PER_WRITE chunks,
then four chunks of OBSERVATIONS_PER_WRITE observations (a saturated coordinator's share), the rest at
the end, the sensor's counters every ten groups and the end report. Unlike bench/site/storm.py (which
groups by the CPU each step took here) the tape is the same on every run.

`replay` writes the tape through BufferedRecorder(Recorder(GroupCommit(store))) on a fresh SQLite
store (or a fresh schema in the PostgreSQL database `--url`), with two webhooks and a clock set per
step, and prints the CPU seconds of the writes (best of `--repeat`). `--dump` writes every table, rows
ordered by key, as JSON: two versions of the store code that store the same produce the same file.
`--auto-resolve` shortens `auto_resolve_after` (s of traffic time)."""
from __future__ import annotations

import argparse
import json
import pickle
import secrets
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

EPOCH, RATE, FRAMES_PER_GROUP, OBSERVATION_CHUNKS, STATS_EVERY = 1_800_000_000.0, 5000.0, 500, 4, 10
CLOCK = 1_900_000_000.0
CREATED = datetime(2030, 1, 1, tzinfo=timezone.utc)


def record(args) -> list:
    from appliance.collect import GROUP_MAX, LIVE_PIPELINE, OBSERVATIONS_PER_WRITE, URGENT_PER_WRITE, Sink, live_report
    from appliance.policy import Policy
    from appliance.store_backlog import StoreBacklog
    from collectors.pipeline import Pipeline
    from collectors.snapshot import take_snapshot

    from .fleet import build_fleet
    from .timeline import Site, TrafficConfig

    steps, events = [], []

    class Tape(Sink):
        def _write(self, writes):
            if writes:
                steps.append(("batch", [(write.kind, write.args) for write in writes]))

    def write_group(group: int | None) -> None:
        for event in events:
            sink.event(event)
        events.clear()
        urgent = sink.backlog.urgent()
        for start in range(0, len(urgent), URGENT_PER_WRITE):
            sink._write(urgent[start:start + URGENT_PER_WRITE])
        for _ in range(OBSERVATION_CHUNKS):
            sink._write(sink.backlog.next_observations(OBSERVATIONS_PER_WRITE))
        if group is not None and group % STATS_EVERY == 0:
            steps.append(("stats", ("site", FRAMES_PER_GROUP * STATS_EVERY, 0)))

    site = Site(build_fleet(args.phones, 1), TrafficConfig(calls_per_phone_hour=args.calls,
                                                           mean_call_seconds=args.mean, seed=1))
    site.run_until(args.frames)
    buf, offsets = site.frames.buf, site.frames.offsets
    pipeline = Pipeline(events.append, LIVE_PIPELINE)
    policy = Policy(on_alert=lambda alert: sink.alert(alert, policy.describe(alert.endpoint)),
                    on_withdraw=lambda withdrawal: sink.withdraw(withdrawal))
    policy.describe_endpoint = pipeline.endpoints.describe
    sink = Tape(policy, object(), "site", backlog=StoreBacklog())
    count, group = min(args.frames, len(offsets) - 1), 0
    for i in range(count):
        pipeline.feed(EPOCH + i / RATE, 1, bytes(buf[offsets[i]:offsets[i + 1]]))
        if len(events) >= GROUP_MAX or (i + 1) % FRAMES_PER_GROUP == 0:
            group += 1
            write_group(group)
    pipeline.finish()
    write_group(None)
    sink.flush()
    stats = {"packets": count, "bytes": 0, "decode_errors": 0, "drops": 0, "warnings": []}
    steps.append(("snapshot", live_report("eth1", take_snapshot(pipeline), stats, policy, stored=True)))
    return steps


def replay(steps: list, url: str | None, data_dir: Path, auto_resolve: float | None, dump: str | None) -> float:
    from sqlalchemy import select

    from appliance.store import migrate
    from appliance.store.buffered import BufferedRecorder
    from appliance.store.crypto import SecretBox, generate_key
    from appliance.store.engine import open_store
    from appliance.store.group import GroupCommit
    from appliance.store.incident_settings import IncidentSettings
    from appliance.store.models import Base
    from appliance.store.recorder import Recorder
    from appliance.store.settings import StoreSettings
    from appliance.store.webhooks import create_webhook

    settings = StoreSettings(url, data_dir, secret_key=generate_key())
    migrate.upgrade(settings)
    store = open_store(settings)
    with store.session() as session:
        box = SecretBox(generate_key())
        create_webhook(session, box, "https://siem.example.net/hook", now=CREATED)
        create_webhook(session, box, "https://am.example.net/api/v2/alerts", format="alertmanager", now=CREATED)
    now = [CLOCK]
    incidents = IncidentSettings(**({"auto_resolve_after": auto_resolve} if auto_resolve else {}))
    recorder = BufferedRecorder(Recorder(GroupCommit(store), "site", clock=lambda: now[0], incident_settings=incidents))
    started = time.process_time()
    for index, (kind, payload) in enumerate(steps):
        now[0] = CLOCK + index * 0.05
        if kind == "snapshot":                      # the end of the run (appliance.collect.collect)
            recorder.snapshot(payload)
            continue
        with recorder.batch():                      # a message group, or Sink._write
            if kind == "stats":
                recorder.sensor_stats(*payload)
                continue
            recorder.prefetch([args[0] for _, args in payload])
            for name, args in payload:
                getattr(recorder, name)(*args)
    spent = time.process_time() - started
    if recorder.close().pending:
        raise SystemExit("writes left waiting: the store was unavailable")
    if dump:
        with store.session(readonly=True) as session:
            tables = {table.name: [dict(row) for row in session.execute(
                select(table).order_by(*table.primary_key.columns)).mappings()] for table in Base.metadata.sorted_tables}
        Path(dump).write_text(json.dumps(tables, indent=0, sort_keys=True, default=_plain))
    store.close()
    return spent


def _plain(value):
    return bytes(value).hex() if isinstance(value, (bytes, memoryview)) else str(value)


def _fresh_schema(url: str):
    """A schema of its own in the database `url` (dropped by the caller): its URL and a connection."""
    import psycopg
    from sqlalchemy import make_url
    parsed = make_url(url)
    connection = psycopg.connect(host=parsed.host, port=parsed.port, dbname=parsed.database,
                                 user=parsed.username, autocommit=True)
    schema = f"replay_{secrets.token_hex(4)}"
    connection.execute(f"CREATE SCHEMA {schema}")
    return parsed.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False), connection, schema


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.site.replay", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("record")
    r.add_argument("tape")
    r.add_argument("--phones", type=int, default=150)
    r.add_argument("--frames", type=int, default=500_000)
    r.add_argument("--calls", type=float, default=480.0, help="calls per phone and hour")
    r.add_argument("--mean", type=float, default=12.0, help="mean call seconds")
    w = sub.add_parser("replay")
    w.add_argument("tape")
    w.add_argument("--url", help="a PostgreSQL database (a fresh schema is made in it and dropped)")
    w.add_argument("--repeat", type=int, default=1)
    w.add_argument("--dump", help="every table as JSON (first run)")
    w.add_argument("--auto-resolve", type=float)
    args = p.parse_args(argv)
    if args.command == "record":
        steps = record(args)
        Path(args.tape).write_bytes(pickle.dumps(steps))
        print(f"{len(steps)} transactions, {sum(len(s[1]) for s in steps if s[0] == 'batch')} writes")
        return 0
    steps = pickle.loads(Path(args.tape).read_bytes())
    spent = []
    for run in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="replay-") as tmp:
            url, connection, schema = _fresh_schema(args.url) if args.url else (None, None, None)
            try:
                spent.append(replay(steps, url, Path(tmp), args.auto_resolve, args.dump if run == 0 else None))
            finally:
                if connection is not None:
                    connection.execute(f"DROP SCHEMA {schema} CASCADE")
                    connection.close()
        print(f"run {run + 1}: {spent[-1]:.3f} CPU s")
    print(f"best of {len(spent)}: {min(spent):.3f} CPU s of store writes ({len(steps)} transactions)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
