"""`python -m bench.api_list`: CPU the API spends answering `GET /api/v1/alerts` (the incident list),
and its answers, in-process (FastAPI TestClient: routing, auth, the route, validation, serialisation).

    python -m bench.api_list fill DIR [--postgres]   # a store in DIR (SQLite) or a fresh PostgreSQL
                                                     # schema; DIR/store.json says where it is
    python -m bench.api_list time DIR [--calls 100] [--repeat 5]   # the request, and the route alone
    python -m bench.api_list dump DIR OUT.json       # every request of `cases()`: status and body,
                                                     # and the app's OpenAPI document
    python -m bench.api_list drop DIR                # drop the PostgreSQL schema

`fill` imports synthetic calls through the recorder (`appliance import`'s path): `--phones` (35) phones
per sensor on two sensors, each making `--per-phone` (6) calls to its next two neighbours (cleartext
media, cleartext SIP, SDES keys over UDP): 280 incidents, 980 occurrences. It then acknowledges and
resolves some (with comments) and makes a token per role. `time` prints, per query, the best of
`--repeat` CPU-seconds (`time.process_time`) for `--calls` calls, of the whole request and of the route
alone. `dump` writes what each request of `cases()` answers (every filter, paging, limits, roles, bad
input; status, headers, body) so two versions of the code can be compared byte for byte on the same
store. The code under test is whatever is on PYTHONPATH (run this file by its path to time another
checkout)."""
from __future__ import annotations

import argparse
import json
import secrets
import sys
import time
import warnings
from pathlib import Path

from appliance.settings import Settings
from appliance.store import migrate, open_store, queries
from appliance.store.importer import import_captures

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PG = "postgresql://postgres@127.0.0.1:5432/test"
SENSORS = ("core-sw1", "branch-07")
LIST = "/api/v1/alerts"


# -- the store -------------------------------------------------------------------------------------
def settings_of(folder: Path) -> Settings:
    info = json.loads((folder / "store.json").read_text())
    return Settings(data_dir=folder / "data", database_url=info["url"], secret_key=info["key"], sensor_id=SENSORS[0])


def fill(folder: Path, postgres: bool, phones: int, calls: int) -> None:
    from appliance.store.crypto import generate_key
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data").mkdir(exist_ok=True)
    url = _pg_schema() if postgres else None
    (folder / "store.json").write_text(json.dumps({"url": url, "key": generate_key()}))
    settings = settings_of(folder)
    migrate.upgrade(settings.store())
    with open_store(settings.store()) as store:
        for n, sensor in enumerate(SENSORS):
            import_captures(store, sensor, _captures(folder / "pcap", n, phones, calls))
        tokens = _lifecycle_and_tokens(store)
    info = json.loads((folder / "store.json").read_text())
    (folder / "store.json").write_text(json.dumps({**info, "tokens": tokens}))


def _captures(folder: Path, sensor: int, phones: int, calls: int) -> list[str]:
    """Each phone calls the next two phones in turn, `calls` times, a call every 20 s; one call in three
    sends its SDES keys over UDP SIP, the others cleartext RTP."""
    from tests.synth.capture import CallSpec, build_call
    folder.mkdir(exist_ok=True)
    paths = []
    for phone in range(phones):
        for k in range(calls):
            n = phone * calls + k
            peer = (phone + 1 + k % 2) % phones
            spec = CallSpec(caller_ip=f"10.{70 + sensor}.{phone // 200}.{10 + phone % 200}",
                            callee_ip=f"10.{70 + sensor}.{peer // 200}.{10 + peer % 200}",
                            caller_rtp_port=16384 + 2 * n, callee_rtp_port=40000 + 2 * n, duration=0.4,
                            ring_time=0.1, rtcp=False, seed=n, start_time=1_700_000_000.0 + 20 * n,
                            srtp_suite="AES_CM_128_HMAC_SHA1_80" if n % 3 == 0 else None,
                            codec=("PCMU", "PCMA", "G722")[n % 3])
            paths.append(str(build_call(spec).write(folder / f"s{sensor}-{n}.pcap")))
    return paths


def _lifecycle_and_tokens(store) -> dict[str, str]:
    with store.session() as session:
        ids = [row.id for row in queries.list_alerts(session, limit=500).items]
        for n, alert_id in enumerate(ids):
            if n % 4 == 1:
                queries.acknowledge(session, alert_id, "noc-alice", f"ticket NOC-{1000 + n}")
            elif n % 4 == 2:
                queries.resolve(session, alert_id, "noc-bob", "fixed" if n % 8 == 2 else None)
        tokens = {role: queries.create_token(session, f"{role}-user", role, created_by="bench").token
                  for role in ("viewer", "operator", "admin")}
        revoked = queries.create_token(session, "gone", "admin", created_by="bench")
        session.flush()
        queries.revoke_token(session, revoked.row.id)
    return {**tokens, "revoked": revoked.token}


def _pg_schema() -> str:
    import psycopg
    schema = f"s_apilist_{secrets.token_hex(4)}"
    with psycopg.connect(PG, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    return f"{PG}?options=-csearch_path%3D{schema}"


def drop(folder: Path) -> None:
    import psycopg
    url = json.loads((folder / "store.json").read_text())["url"]
    if url:
        schema = url.rsplit("%3D", 1)[1]
        with psycopg.connect(PG, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


# -- the requests ----------------------------------------------------------------------------------
def cases(ids: list[int]) -> list[tuple[str, str, dict | list]]:
    """(role, path, query) of every request compared: filters, sorts, paging, limits, roles, bad input."""
    mid = ids[len(ids) // 2] if ids else 1
    good = [{}, {"limit": 500}, {"limit": 1}, {"limit": 7}, {"limit": 50, "offset": 40}, {"offset": 10**6},
            {"cursor": mid}, {"cursor": mid, "limit": 3}, {"cursor": 1}, {"cursor": 2**63 - 1},
            {"limit": 3, "offset": 5, "cursor": mid},
            {"type": "cleartext_media"}, [("type", "cleartext_media"), ("type", "sdes_keys_exposed")],
            {"type": "weak_tls"}, {"severity": "high"}, [("severity", "critical"), ("severity", "medium")],
            {"state": "open"}, {"state": "acknowledged"}, [("state", "resolved"), ("state", "acknowledged")],
            {"endpoint": "10.70.0.10"}, {"endpoint": "10.71.0.12", "limit": 2}, {"endpoint": "192.0.2.1"},
            {"sensor": "branch-07"}, {"sensor": "core-sw1", "state": "open", "limit": 500},
            {"since": "2023-11-14T22:40:00Z"}, {"until": "2023-11-14T22:40:00Z"}, {"since": 1700001000},
            {"until": 1700001000.5}, {"since": "2023-11-14T23:00:00+01:00", "until": "2023-11-15"},
            {"since": 0}, {"until": 253402300799}, {"since": "9999-12-31T23:59:59-05:00"},
            {"type": "cleartext_media", "severity": "high", "state": "open", "sensor": "core-sw1", "limit": 5}]
    bad = [{"limit": 0}, {"limit": 501}, {"limit": "x"}, {"offset": -1}, {"offset": 10**9 + 1}, {"cursor": 0},
           {"cursor": 2**63}, {"type": "nope"}, {"severity": "urgent"}, {"state": "closed"},
           {"since": "yesterday"}, {"until": -5}, {"since": 1e20}, {"endpoint": "a" * 46}, {"sensor": "x\x00"},
           {"stat": "open"}, {"limit": ""}, {"sort": "id"}]
    out = [("viewer", LIST, query) for query in good + bad]
    out += [(role, LIST, {"limit": 5}) for role in ("none", "bad", "revoked", "operator", "admin")]
    out += [("viewer", f"{LIST}/{mid}", {}), ("viewer", f"{LIST}/{mid}/occurrences", {"limit": 500})]
    return out


def headers(tokens: dict, role: str) -> dict:
    if role == "none":
        return {}
    return {"Authorization": f"Bearer {'not-a-token' if role == 'bad' else tokens[role]}"}


def client_for(folder: Path, limits=None):
    from api.app import create_app
    settings = settings_of(folder)
    tokens = json.loads((folder / "store.json").read_text())["tokens"]
    store = open_store(settings.store())
    return TestClient(create_app(settings, store, limits=limits)), store, tokens


def dump(folder: Path, out: Path) -> None:
    client, store, tokens = client_for(folder)
    with client:
        ids = [item["id"] for item in client.get(LIST, params={"limit": 500}, headers=headers(tokens, "viewer"))
               .json()["items"]]
        rows = []
        for role, path, query in cases(ids):
            response = client.get(path, params=query, headers=headers(tokens, role))
            rows.append({"role": role, "path": path, "query": query, "status": response.status_code,
                         "headers": sorted(response.headers.items()), "body": response.content.decode()})
        document = client.app.openapi()
    store.close()
    out.write_text(json.dumps({"openapi": document, "requests": rows}, indent=0))
    print(f"{len(rows)} requests, {len(ids)} alerts on the first page of 500; wrote {out}")


TIMED = (("limit=500", {"limit": 500}), ("default (50)", {}), ("state=open&limit=500", {"state": "open", "limit": 500}),
         ("type+severity", {"type": "cleartext_media", "severity": "high"}))


def timing(folder: Path, calls: int, repeat: int) -> None:
    """Per query: the whole request through the TestClient (routing, auth, middleware, the route, the
    JSON; and the TestClient's own thread hops), and the route alone in this thread (its session, the
    function, and what FastAPI does with what it returns: a model is validated and dumped to JSON)."""
    from api.ratelimit import RateLimits
    client, store, tokens = client_for(folder, RateLimits(token_rate=0))     # the limiter is not measured
    auth = headers(tokens, "viewer")
    with client:
        for label, query in TIMED:
            request = _request(client, query, auth)
            route = _route(store, query)
            whole, alone = (min(_cpu(call, calls) for _ in range(repeat)) for call in (request, route))
            print(f"{label:22} request {1000 * whole / calls:6.2f} ms, route {1000 * alone / calls:6.2f} ms CPU "
                  f"(best of {repeat} x {calls})", flush=True)
    store.close()


def _request(client, query: dict, auth: dict):
    def call() -> None:
        if client.get(LIST, params=query, headers=auth).status_code != 200:
            raise RuntimeError(f"{LIST} {query} did not answer 200")
    return call


def _route(store, query: dict):
    from fastapi import Response
    from pydantic import TypeAdapter

    from api.routes import alerts
    from api.schemas import AlertPage
    adapter = TypeAdapter(AlertPage)
    filters = {name: [value] for name, value in query.items() if name != "limit"}
    arguments = dict(type=None, severity=None, state=None, endpoint=None, sensor=None, since=None, until=None,
                     offset=0, cursor=None, limit=query.get("limit", 50)) | filters

    def call() -> bytes:
        with store.session(readonly=True) as session:
            answer = alerts.list_alerts(session, None, **arguments)
        return answer.body if isinstance(answer, Response) else adapter.dump_json(adapter.validate_python(answer))
    return call


def _cpu(call, calls: int) -> float:
    call()
    started = time.process_time()
    for _ in range(calls):
        call()
    return time.process_time() - started


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.api_list", description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("fill", "time", "dump", "drop"))
    parser.add_argument("folder", type=Path)
    parser.add_argument("out", type=Path, nargs="?")
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--phones", type=int, default=35, help="per sensor")
    parser.add_argument("--per-phone", type=int, default=6, help="fill: calls each phone makes")
    parser.add_argument("--calls", type=int, default=100, help="time: requests timed per round")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    if args.action == "fill":
        fill(args.folder, args.postgres, args.phones, args.per_phone)
    elif args.action == "time":
        timing(args.folder, args.calls, args.repeat)
    elif args.action == "dump":
        dump(args.folder, args.out)
    else:
        drop(args.folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
