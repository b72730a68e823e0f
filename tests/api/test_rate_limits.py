"""Rate limits (api.ratelimit) over real requests: failed authentication per client address (brute force
gets 429, then even a valid token from that address does, until the window passes; other addresses are
unaffected; the dashboard's sign-in is covered), and use per token (a token bucket: one token over its
rate gets 429 while another is served).

Time is a fake clock handed to the limiter (`RateLimits(clock=...)`): nothing sleeps for the window and
nothing asserts timings. Addresses: Starlette's TestClient takes the client address the app sees
(`TestClient(app, client=(host, port))`), so two clients with different addresses talk to one app;
the same rule is also checked once over a real socket (uvicorn on 127.0.0.1)."""
from __future__ import annotations

import re
import threading
import warnings

import httpx
import pytest

from api.app import create_app
from api.ratelimit import Limiter, RateLimits, address_key
from appliance.errors import UsageError
from tests.api.conftest import QUICK, serve

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ATTACKER, BYSTANDER = ("198.51.100.7", 40001), ("203.0.113.9", 40002)


class Clock:
    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def limited_app(lab, clock, **limits):
    return create_app(lab.settings, lab.store, live=QUICK, limits=RateLimits(clock=clock, **limits))


def bad(token: str = "guess") -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_429(response: httpx.Response, *words: str) -> int:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"].startswith("application/json")
    detail = response.json()["detail"]
    wait = int(response.headers["retry-after"])
    assert wait >= 1
    assert f"retry in {wait} s" in detail, detail
    for word in words:
        assert word in detail, detail
    return wait


def test_brute_force_locks_the_address_out_even_with_a_valid_token(lab, clock):
    app = limited_app(lab, clock, auth_failures=5, auth_window=60)
    with TestClient(app, client=ATTACKER) as attacker, TestClient(app, client=BYSTANDER) as bystander:
        for n in range(5):          # missing, unknown and revoked tokens all count
            headers = {} if n == 0 else lab.headers("revoked") if n == 1 else bad(f"guess-{n}")
            assert attacker.get("/api/v1/alerts", headers=headers).status_code == 401
            clock.now += 1
        # the limit is reached: the next guess, and a valid token, are refused without asking the store
        assert_429(attacker.get("/api/v1/alerts", headers=bad("guess-6")), "too many failed authentications",
                   ATTACKER[0], "even with a valid token")
        wait = assert_429(attacker.get("/api/v1/alerts", headers=lab.headers("admin")))
        assert wait == 60 - 5                       # the oldest failure was 5 s ago
        assert_429(attacker.get("/dashboard/session", headers=lab.headers("viewer")))
        assert_429(attacker.get("/metrics", headers=lab.headers("viewer")))
        assert attacker.get("/health").status_code == 200                  # no token needed: not limited

        # another address is not affected, and its valid token works
        assert bystander.get("/api/v1/alerts", headers=lab.headers("viewer")).status_code == 200
        assert bystander.get("/api/v1/alerts", headers=bad()).status_code == 401

        clock.now += wait - 1
        assert_429(attacker.get("/api/v1/alerts", headers=lab.headers("viewer")))
        clock.now += 1                              # the window has passed for the oldest failure
        assert attacker.get("/api/v1/alerts", headers=lab.headers("viewer")).status_code == 200
        # a sliding window: one more guess is allowed now, then the address is blocked again
        assert attacker.get("/api/v1/alerts", headers=bad()).status_code == 401
        assert_429(attacker.get("/api/v1/alerts", headers=lab.headers("viewer")), "too many failed")


def test_dashboard_sign_in_counts_as_login(lab, clock):
    app = limited_app(lab, clock, auth_failures=3, auth_window=60)
    with TestClient(app, client=ATTACKER) as client:
        for n in range(3):
            assert client.get("/dashboard/session", headers=bad(f"guess-{n}")).status_code == 401
        response = client.get("/dashboard/session", headers=lab.headers("viewer"))
        assert_429(response, "too many failed authentications")
        assert client.get("/").status_code == 200                          # the page itself stays public


def test_a_low_role_is_not_a_failed_authentication(lab, clock):
    app = limited_app(lab, clock, auth_failures=2)
    with TestClient(app, client=ATTACKER) as client:
        for _ in range(5):
            assert client.get("/api/v1/tokens", headers=lab.headers("viewer")).status_code == 403
        assert client.get("/api/v1/alerts", headers=lab.headers("viewer")).status_code == 200


def test_brute_force_over_a_real_socket(lab, clock):
    app = limited_app(lab, clock, auth_failures=3, auth_window=60)
    with serve(app) as url, httpx.Client(base_url=url, timeout=5.0) as http:
        for n in range(3):
            assert http.get("/api/v1/alerts", headers=bad(f"guess-{n}")).status_code == 401
        assert_429(http.get("/api/v1/alerts", headers=lab.headers("admin")), "127.0.0.1")
        assert_429(http.get("/api/v1/alerts/stream", params={"token": lab.tokens["viewer"]}))
        clock.now += 60
        assert http.get("/api/v1/alerts", headers=lab.headers("admin")).status_code == 200


def test_a_token_over_its_rate_is_refused_while_another_is_served(lab, clock):
    app = limited_app(lab, clock, token_rate=2, token_burst=4)
    with TestClient(app) as client:
        for _ in range(4):
            assert client.get("/api/v1/alerts", headers=lab.headers("viewer")).status_code == 200
        wait = assert_429(client.get("/api/v1/alerts", headers=lab.headers("viewer")),
                          "'viewer-user'", "rate limit", "2 requests/s", "bursts of 4")
        assert wait == 1
        assert_429(client.get("/api/v1/sensors", headers=lab.headers("viewer")))       # per token, any route
        assert client.get("/api/v1/alerts", headers=lab.headers("operator")).status_code == 200
        clock.now += 0.5                            # refilled: one request (2/s)
        assert client.get("/api/v1/alerts", headers=lab.headers("viewer")).status_code == 200
        assert_429(client.get("/api/v1/alerts", headers=lab.headers("viewer")))
        clock.now += 60                             # refilled to the burst, not beyond
        for _ in range(4):
            assert client.get("/api/v1/alerts", headers=lab.headers("viewer")).status_code == 200
        assert_429(client.get("/api/v1/alerts", headers=lab.headers("viewer")))
        # a token over its rate is not a failed authentication: the address is not blocked
        assert client.get("/api/v1/alerts", headers=lab.headers("admin")).status_code == 200


def test_the_live_stream_counts_once_when_opened(lab, clock):
    app = limited_app(lab, clock, token_rate=1, token_burst=2)
    with serve(app) as url, httpx.Client(base_url=url, timeout=5.0) as http:
        with http.stream("GET", "/api/v1/alerts/stream", headers=lab.headers("viewer")) as stream:
            assert stream.status_code == 200
            lines = stream.iter_lines()
            seen = 0
            while seen < 3:                         # heartbeats every 0.5 s, token re-checked every 0.5 s
                if next(lines).startswith(":"):
                    seen += 1
            assert http.get("/api/v1/alerts", headers=lab.headers("viewer")).status_code == 200
            assert_429(http.get("/api/v1/alerts", headers=lab.headers("viewer")))
        assert_429(http.get("/api/v1/alerts/stream", headers=lab.headers("viewer")), "rate limit")


def test_refusals_are_counted_in_metrics(lab, clock):
    app = limited_app(lab, clock, auth_failures=1, token_rate=1, token_burst=1)
    with TestClient(app, client=ATTACKER) as attacker, TestClient(app, client=BYSTANDER) as bystander:
        attacker.get("/api/v1/alerts", headers=bad())
        assert_429(attacker.get("/api/v1/alerts", headers=lab.headers("viewer")))
        assert bystander.get("/api/v1/alerts", headers=lab.headers("operator")).status_code == 200
        assert_429(bystander.get("/api/v1/alerts", headers=lab.headers("operator")))
        text = bystander.get("/metrics", headers=lab.headers("admin")).text
    counts = dict(re.findall(r'^appliance_api_rate_limited_total\{reason="(\w+)"\} (\S+)$', text, re.M))
    assert counts == {"auth_failures": "1.0", "token_rate": "1.0"}


def test_production_defaults_and_the_environment():
    limits = RateLimits()
    assert (limits.auth_failures, limits.auth_window, limits.token_rate, limits.token_burst) == (10, 60.0, 20.0, 200)
    env = {"APPLIANCE_API_AUTH_FAILURES": "5", "APPLIANCE_API_AUTH_WINDOW": "300", "APPLIANCE_API_TOKEN_RATE": "2.5",
           "APPLIANCE_API_TOKEN_BURST": "50", "APPLIANCE_API_RATE_TRACKED": "100"}
    assert RateLimits.from_env(env) == RateLimits(5, 300.0, 2.5, 50, 100)
    assert RateLimits.from_env({}) == limits
    with pytest.raises(UsageError, match="APPLIANCE_API_TOKEN_RATE"):
        RateLimits.from_env({"APPLIANCE_API_TOKEN_RATE": "fast"})
    with pytest.raises(UsageError):
        RateLimits(token_burst=0)


def test_memory_is_bounded_and_the_oldest_is_forgotten(clock):
    limiter = Limiter(RateLimits(auth_failures=2, token_rate=1, token_burst=1, max_tracked=100, clock=clock))
    for n in range(1000):
        limiter.failed(f"10.0.{n // 256}.{n % 256}")
        limiter.take(n)
    assert limiter.tracked() == (100, 100)
    limiter.failed("10.0.3.231")                    # the newest address (n = 999) reaches its limit
    assert limiter.blocked_for("10.0.3.231") is not None
    assert limiter.blocked_for("10.0.0.0") is None          # forgotten: starts again
    assert limiter.take(999) is not None and limiter.take(0) is None


def test_ipv6_counts_per_64_and_mapped_ipv4_as_ipv4():
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert address_key(None) == "unknown" and address_key("testclient") == "testclient"


def test_the_bucket_is_exact_under_threads(clock):
    limiter = Limiter(RateLimits(token_rate=1, token_burst=1000, clock=clock))
    granted = [0] * 8

    def worker(i: int) -> None:
        for _ in range(500):
            if limiter.take(7) is None:
                granted[i] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(granted) == 1000 and limiter.refused["token_rate"] == 3000
