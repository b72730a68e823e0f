"""`python -m bench.api_poll`: CPU the API spends per request of a NOC's polling (bench/site/probe.py):
`GET /api/v1/alerts?limit=50` about ten times a second, `GET /api/v1/alerts?limit=100` and
`GET /api/v1/endpoints?limit=100` every 0.25 s, one admin bearer token. Requests go into the app as
uvicorn hands them over (an ASGI call on this process's event loop; sync dependencies and routes in
anyio's thread pool), so the figures are the app's: routing, middleware, authentication, the routes,
their sessions and JSON, not the HTTP parsing (uvicorn's, unchanged here) nor a client's.

    python -m bench.api_poll time DIR [--calls 200] [--repeat 5]   # CPU ms per request, per route and the mix
    python -m bench.api_poll count DIR ROUTE N                     # N requests of ROUTE (for callgrind, below)
    python -m bench.api_poll profile DIR [--calls 300]             # cProfile of the mix, top functions
    python -m bench.api_poll enrich DIR                            # more kinds of endpoint (once, after fill)
    python -m bench.api_poll dump DIR OUT.json                     # answers to compare two checkouts

`enrich` imports the lab captures (tests/data/lab: SRTP with a cleartext fallback, SDES, TLS signaling)
as sensors lab-1 and lab-2 and 802.1Q-tagged calls (VLANs 100 and 200, DTLS-SRTP) as `tagged`, through
the recorder like `fill`, so endpoints differ in posture, keying, VLAN and certificate state. `dump`
writes what the app answers (status, headers, body) to every filter, paging, limit and bad input of
GET /api/v1/endpoints and /{id}, the requests of `bench.api_list` (GET /api/v1/alerts), other reads as
every identity (no, an unknown and a revoked token, each role), an admin-only route, the rate limits
(a token over its bucket, an address locked out after failed authentications, on a fake clock), and
the OpenAPI document: run it by its path with each checkout on PYTHONPATH and `cmp` the files.

DIR is a store made by `python -m bench.api_list fill` (SQLite or PostgreSQL). The per-token rate limit
is off (it would refuse a bench's burst); the other middleware and dependencies are the app's own.
Instructions per request: callgrind's total for `count DIR ROUTE N` minus that for `count DIR ROUTE 0`,
divided by N (`PYTHONHASHSEED=0`), e.g.

    PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file=/dev/null python -m bench.api_poll count DIR alerts50 40
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROUTES = {"alerts50": ("/api/v1/alerts", {"limit": 50}),
          "alerts100": ("/api/v1/alerts", {"limit": 100}),
          "endpoints100": ("/api/v1/endpoints", {"limit": 100})}
MIX = ("alerts50",) * 5 + ("alerts100", "endpoints100") * 2        # per half second of the site's polling


def app_for(folder: Path):
    from api.app import create_app
    from api.ratelimit import RateLimits
    from appliance.store import open_store
    from bench.api_list import settings_of
    settings = settings_of(folder)
    tokens = json.loads((folder / "store.json").read_text())["tokens"]
    store = open_store(settings.store())
    return create_app(settings, store, limits=RateLimits(token_rate=0)), store, tokens["admin"]


class Caller:
    """GET requests into an ASGI app on one event loop, as uvicorn makes them (HTTP/1.1, a loopback client)."""

    def __init__(self, app, token: str):
        self.app, self.loop = app, asyncio.new_event_loop()
        self.headers = [(b"host", b"127.0.0.1:8080"), (b"accept", b"*/*"), (b"accept-encoding", b"gzip, deflate"),
                        (b"connection", b"keep-alive"), (b"user-agent", b"python-httpx/0.29.0"),
                        (b"authorization", f"Bearer {token}".encode())]

    def get(self, path: str, query: dict) -> tuple[int, bytes]:
        return self.loop.run_until_complete(self._get(path, urlencode(query, doseq=True).encode()))

    async def _get(self, path: str, query: bytes) -> tuple[int, bytes]:
        scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
                 "server": ("127.0.0.1", 8080), "client": ("127.0.0.1", 40000), "scheme": "http", "method": "GET",
                 "root_path": "", "path": path, "raw_path": path.encode(), "query_string": query,
                 "headers": self.headers, "state": {}}
        answer = {"status": 0, "body": []}

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
            elif message["type"] == "http.response.body":
                answer["body"].append(message.get("body", b""))
        await self.app(scope, receive, send)
        return answer["status"], b"".join(answer["body"])

    def run(self, names, calls: int = 1) -> None:
        for _ in range(calls):
            for name in names:
                path, query = ROUTES[name]
                status, body = self.get(path, query)
                if status != 200:
                    raise RuntimeError(f"{path} {query}: {status} {body[:200]!r}")

    def close(self) -> None:
        from anyio.to_thread import current_default_thread_limiter  # noqa: F401  (the pool ends with the loop)
        self.loop.run_until_complete(self.loop.shutdown_default_executor())
        self.loop.close()


def _cpu(call, calls: int) -> float:
    started = time.process_time()
    for _ in range(calls):
        call()
    return time.process_time() - started


def timing(folder: Path, calls: int, repeat: int) -> None:
    app, store, token = app_for(folder)
    caller = Caller(app, token)
    try:
        caller.run(MIX, 3)                                           # warm: plans, caches, the thread pool
        for name in (*ROUTES, "mix"):
            names = MIX if name == "mix" else (name,)
            n = max(1, calls // len(names))
            best = min(_cpu(lambda: caller.run(names), n) for _ in range(repeat))
            print(f"{name:14} {1000 * best / (n * len(names)):7.3f} ms CPU a request (best of {repeat} x "
                  f"{n * len(names)})", flush=True)
    finally:
        caller.close()
        store.close()


def count(folder: Path, route: str, calls: int) -> None:
    app, store, token = app_for(folder)
    caller = Caller(app, token)
    try:
        caller.run(MIX, 3)
        caller.run((route,), calls)
    finally:
        caller.close()
        store.close()


def profile(folder: Path, calls: int, top: int = 45) -> None:
    import cProfile
    import pstats

    import anyio.to_thread

    async def inline(function, *args, **kwargs):        # the pool's threads are not profiled: run in this one
        return function(*args)
    anyio.to_thread.run_sync = inline
    app, store, token = app_for(folder)
    caller = Caller(app, token)
    profiler = cProfile.Profile()
    try:
        caller.run(MIX, 3)
        profiler.enable()
        caller.run(MIX, max(1, calls // len(MIX)))
        profiler.disable()
    finally:
        caller.close()
        store.close()
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)


def enrich(folder: Path) -> None:
    import tempfile

    from appliance.store import open_store
    from appliance.store.importer import import_captures
    from bench.api_list import settings_of
    from tests.api.conftest import CAPTURES, LAB, import_tagged_calls
    with open_store(settings_of(folder).store()) as store, tempfile.TemporaryDirectory() as scratch:
        for sensor, names in CAPTURES.items():
            import_captures(store, sensor, [str(LAB / name) for name in names])
        import_tagged_calls(store, Path(scratch))


IDENTITIES = ("none", "bad", "revoked", "viewer", "operator", "admin")
ENDPOINTS = "/api/v1/endpoints"


def endpoint_cases(ids: list[int]) -> list[tuple[str, str, dict | list]]:
    """(identity, path, query) of the endpoint list and one endpoint: filters, paging, limits, bad input."""
    mid = ids[len(ids) // 2] if ids else 1
    good = [{}, {"limit": 100}, {"limit": 500}, {"limit": 1}, {"limit": 7, "offset": 3}, {"offset": 150},
            {"offset": 10**9}, {"cursor": 0}, {"cursor": 0, "limit": 100}, {"cursor": mid}, {"cursor": mid, "limit": 3},
            {"cursor": 1}, {"cursor": 2**63 - 1}, {"cursor": 0, "offset": 5, "limit": 2},
            {"sensor": "core-sw1"}, {"sensor": "lab-1"}, {"sensor": "tagged"}, {"sensor": "nowhere"},
            {"ip": "10.70.0.10"}, {"ip": "10.50.0.10"}, {"ip": "192.0.2.1"}, {"ip": "10.250.7.12", "sensor": "lab-1"},
            {"device_class": "pbx"}, {"device_class": "phone"}, [("device_class", "pbx"), ("device_class", "phone")],
            {"device_class": "unknown"}, {"media_srtp": "false"}, {"media_srtp": "true"}, {"media_srtp": 0},
            {"media_srtp": "yes"}, {"signaling_tls": "true"}, {"signaling_tls": "false"},
            {"since": "2023-11-14T23:30:00Z"}, {"until": "2023-11-14T22:20:00Z"}, {"since": 1700000000},
            {"until": 1700000500.5}, {"since": "2023-11-14T23:00:00+01:00", "until": "2023-11-15"}, {"since": 0},
            {"until": 253402300799}, {"since": "9999-12-31T23:59:59-05:00"},
            {"sensor": "core-sw1", "media_srtp": "false", "device_class": "pbx", "limit": 5, "offset": 2},
            {"cursor": 0, "sensor": "branch-07", "limit": 10}]
    bad = [{"limit": 0}, {"limit": 501}, {"limit": "x"}, {"limit": ""}, {"offset": -1}, {"offset": 10**9 + 1},
           {"cursor": -1}, {"cursor": 2**63}, {"cursor": "x"}, {"media_srtp": "maybe"}, {"signaling_tls": "2"},
           {"since": "yesterday"}, {"until": -5}, {"since": 1e20}, {"ip": "a" * 46}, {"sensor": "x\x00"},
           {"sensor": "s" * 65}, {"device_class": "d" * 21}, {"stat": "open"}, {"token": "x"},
           [("limit", "5"), ("limit", "x")]]
    out = [("viewer", ENDPOINTS, query) for query in good + bad]
    out += [(who, ENDPOINTS, {"limit": 100}) for who in IDENTITIES]
    out += [("viewer", f"{ENDPOINTS}/{row}", {}) for row in (ids[:1] + ids[-1:] + [mid, 987654, 0, 2**63])]
    out += [("viewer", f"{ENDPOINTS}/x", {}), ("viewer", f"{ENDPOINTS}/{mid}", {"limit": 1})]
    return out


def other_cases() -> list[tuple[str, str, dict | list]]:
    """Other reads, and routes by role, as every identity."""
    out = []
    for path, query in (("/api/v1/sensors", {}), ("/api/v1/streams", {"limit": 5}), ("/api/v1/calls", {"limit": 5}),
                        ("/api/v1/audit", {"limit": 5}), ("/api/v1/webhooks", {}), ("/api/v1/alerts", {"limit": 50}),
                        ("/api/v1/alerts", {"limit": 100}), ("/api/v1/nowhere", {}), ("/health", {})):
        out += [(who, path, query) for who in IDENTITIES]
    return out


def _answer(client, tokens: dict, who: str, path: str, query, method: str = "GET") -> dict:
    from bench.api_list import headers
    response = client.request(method, path, params=query, headers=headers(tokens, who))
    return {"who": who, "method": method, "path": path, "query": query, "status": response.status_code,
            "headers": sorted(response.headers.items()), "body": response.content.decode()}


def dump(folder: Path, out: Path) -> None:
    from api.app import create_app
    from api.ratelimit import RateLimits
    from appliance.store import open_store
    from bench import api_list
    # the limits apart (below, on a fake clock): here they would refuse what depends on the machine's speed
    client, store, tokens = api_list.client_for(folder, RateLimits(auth_failures=0, token_rate=0))
    rows = []
    with client:
        viewer = api_list.headers(tokens, "viewer")
        alert_ids = [item["id"] for item in client.get(api_list.LIST, params={"limit": 500}, headers=viewer)
                     .json()["items"]]
        endpoint_ids = [item["id"] for item in client.get(ENDPOINTS, params={"limit": 500}, headers=viewer)
                        .json()["items"]]
        for who, path, query in endpoint_cases(endpoint_ids) + other_cases() + api_list.cases(alert_ids):
            rows.append(_answer(client, tokens, who, path, query))
        rows.append(_answer(client, tokens, "admin", ENDPOINTS, {}, "POST"))
        rows.append(_answer(client, tokens, "admin", ENDPOINTS, {}, "HEAD"))
        document = client.app.openapi()
    store.close()
    now = [1000.0]
    limits = RateLimits(auth_failures=3, auth_window=60, token_rate=1, token_burst=3, clock=lambda: now[0])
    settings = api_list.settings_of(folder)
    with open_store(settings.store()) as store, api_list.TestClient(create_app(settings, store, limits=limits)) as limited:
        for who in ("admin",) * 4 + ("viewer",) * 2:
            rows.append(_answer(limited, tokens, who, ENDPOINTS, {"limit": 2}))
        now[0] += 1.5
        for who in ("admin", "admin", "bad", "none", "revoked", "bad", "viewer"):
            rows.append(_answer(limited, tokens, who, ENDPOINTS, {"limit": 2}))
        now[0] += 61
        rows.append(_answer(limited, tokens, "viewer", ENDPOINTS, {"limit": 2}))
    out.write_text(json.dumps({"openapi": document, "requests": rows}, indent=0))
    print(f"{len(rows)} requests ({len(endpoint_ids)} endpoints, {len(alert_ids)} alerts on the first pages of "
          f"500); wrote {out}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.api_poll", description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("time", "count", "profile", "enrich", "dump"))
    parser.add_argument("folder", type=Path)
    parser.add_argument("route", nargs="?", help="count: one of " + ", ".join((*ROUTES, "mix")) + "; dump: OUT.json")
    parser.add_argument("n", nargs="?", type=int, default=0)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    if args.action == "count" and args.route not in (*ROUTES, "mix"):
        parser.error(f"count: a route of {', '.join((*ROUTES, 'mix'))}")
    if args.action == "time":
        timing(args.folder, args.calls, args.repeat)
    elif args.action == "count":
        if args.route == "mix":
            app, store, token = app_for(args.folder)
            caller = Caller(app, token)
            caller.run(MIX, 3)
            caller.run(MIX, args.n)
            caller.close()
            store.close()
        else:
            count(args.folder, args.route, args.n)
    elif args.action == "profile":
        profile(args.folder, args.calls)
    elif args.action == "enrich":
        enrich(args.folder)
    else:
        dump(args.folder, Path(args.route))
    return 0


if __name__ == "__main__":
    sys.exit(main())
