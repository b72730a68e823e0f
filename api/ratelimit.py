"""Rate limits of the API, in process: failed authentication per client address, and use per token.

Failed authentication (no token, an unknown or a revoked one) on any route that needs a token,
including the dashboard's sign-in (`GET /dashboard/session`), is counted per client address: after
`auth_failures` failures within `auth_window` seconds, every further request from that address gets
429 — *even with a valid token*, so guessing stops paying off — until the oldest of those failures
is `auth_window` old (a sliding window: at most `auth_failures` guesses per window, ever). A blocked
address is refused before the store is asked. IPv6 addresses count per /64 (one host usually has a
whole /64 to rotate through). The address is the ASGI client address; behind the reverse proxy of
deploy/ it is the real client's, because uvicorn takes X-Forwarded-For from a trusted proxy
(`--forwarded-allow-ips`, by default 127.0.0.1) — nothing here reads forwarding headers itself.

Use of a valid token is limited per token by a token bucket: `token_burst` requests at once, refilled
at `token_rate` per second, so one runaway script cannot starve the store for everyone else. A token
that is too low for a route (403) still used a request. The live alert stream counts once, when it
is opened (its periodic re-checks of the token do not count).

Both answers are 429 with `Retry-After` (whole seconds) and `{"detail": ...}` saying which limit was
hit and when to retry. Memory is bounded: at most `max_tracked` addresses and `max_tracked` tokens are
remembered; beyond that the least recently seen one is forgotten (a forgotten token starts with a full
bucket, a forgotten address with no failures). All state is behind one lock (sync dependencies run in
uvicorn's thread pool). The limits are per API process, and so is the counter the app's /metrics
exposes: `appliance_api_rate_limited_total{reason="auth_failures"|"token_rate"}` (requests refused).

Defaults (`RateLimits()`): 10 failures per 60 s per address; 20 requests/s per token with bursts of
200 (the dashboard's page load is ~10 requests, a Prometheus scrape one per 15 s). `appliance serve`
reads overrides from the environment at start-up (`RateLimits.from_env`):

| variable                        | meaning                                           | default |
| APPLIANCE_API_AUTH_FAILURES     | failed authentications allowed per address ...    | 10      |
| APPLIANCE_API_AUTH_WINDOW       | ... within this many seconds                      | 60      |
| APPLIANCE_API_TOKEN_RATE        | sustained requests per second per token           | 20      |
| APPLIANCE_API_TOKEN_BURST       | requests per token at once                        | 200     |
| APPLIANCE_API_RATE_TRACKED      | addresses / tokens remembered (each)              | 10000   |

A value of 0 for APPLIANCE_API_AUTH_FAILURES or APPLIANCE_API_TOKEN_RATE turns that limit off.
Tests pass `RateLimits(..., clock=fake)` to `create_app(limits=...)` to move time without sleeping."""
from __future__ import annotations

import ipaddress
import math
import os
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from prometheus_client.core import CounterMetricFamily, Metric

from appliance.errors import UsageError

REASONS = ("auth_failures", "token_rate")


@dataclass(frozen=True)
class RateLimits:
    auth_failures: int = 10             # failed authentications per address (0: no limit) ...
    auth_window: float = 60.0           # ... within this many seconds
    token_rate: float = 20.0            # requests per second per token, sustained (0: no limit)
    token_burst: int = 200              # requests per token at once
    max_tracked: int = 10_000           # addresses and tokens remembered, each
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)

    def __post_init__(self):
        if self.auth_failures < 0 or self.auth_window <= 0 or self.token_rate < 0 or self.token_burst < 1 \
                or self.max_tracked < 1:
            raise UsageError(f"rate limits out of range: {self}")

    @classmethod
    def from_env(cls, env=None) -> "RateLimits":
        env = os.environ if env is None else env
        values = {}
        for name, key, kind in (("APPLIANCE_API_AUTH_FAILURES", "auth_failures", int),
                                ("APPLIANCE_API_AUTH_WINDOW", "auth_window", float),
                                ("APPLIANCE_API_TOKEN_RATE", "token_rate", float),
                                ("APPLIANCE_API_TOKEN_BURST", "token_burst", int),
                                ("APPLIANCE_API_RATE_TRACKED", "max_tracked", int)):
            raw = env.get(name)
            if raw:
                try:
                    values[key] = kind(raw)
                except ValueError:
                    raise UsageError(f"{name}={raw!r} is not a number") from None
        return cls(**values)


def address_key(host: str | None) -> str:
    """What failures are counted against: the IPv4 address, the IPv6 /64, or the host as given."""
    if not host:
        return "unknown"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))


class Limiter:
    """The limits' state for one app. `blocked_for` / `failed` for addresses, `take` for tokens; each
    returns the seconds to wait (a positive float) or None. Also a Prometheus collector."""

    def __init__(self, limits: RateLimits):
        self.limits = limits
        self._lock = threading.Lock()
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()    # address -> failure times
        self._buckets: OrderedDict[int, list[float]] = OrderedDict()      # token id -> [level, at]
        self.refused = dict.fromkeys(REASONS, 0)

    # -- failed authentication per address ---------------------------------------------------------
    def blocked_for(self, address: str) -> float | None:
        limits = self.limits
        if not limits.auth_failures:
            return None
        with self._lock:
            times = self._failures.get(address)
            if times is None:
                return None
            now = limits.clock()
            while times and now - times[0] >= limits.auth_window:
                times.popleft()
            if not times:
                del self._failures[address]
                return None
            if len(times) < limits.auth_failures:
                return None
            self.refused["auth_failures"] += 1
            return times[0] + limits.auth_window - now

    def failed(self, address: str) -> None:
        limits = self.limits
        if not limits.auth_failures:
            return
        with self._lock:
            times = self._failures.get(address)
            if times is None:
                times = self._failures[address] = deque(maxlen=limits.auth_failures)
                while len(self._failures) > limits.max_tracked:
                    self._failures.popitem(last=False)
            else:
                self._failures.move_to_end(address)
            times.append(limits.clock())

    # -- use per token -----------------------------------------------------------------------------
    def take(self, token_id: int) -> float | None:
        limits = self.limits
        if not limits.token_rate:
            return None
        with self._lock:
            now = limits.clock()
            bucket = self._buckets.get(token_id)
            if bucket is None:
                bucket = self._buckets[token_id] = [float(limits.token_burst), now]
                while len(self._buckets) > limits.max_tracked:
                    self._buckets.popitem(last=False)
            else:
                self._buckets.move_to_end(token_id)
                bucket[0] = min(float(limits.token_burst), bucket[0] + (now - bucket[1]) * limits.token_rate)
                bucket[1] = now
            if bucket[0] >= 1.0:
                bucket[0] -= 1.0
                return None
            self.refused["token_rate"] += 1
            return (1.0 - bucket[0]) / limits.token_rate

    def tracked(self) -> tuple[int, int]:
        """(addresses, tokens) currently remembered."""
        with self._lock:
            return len(self._failures), len(self._buckets)

    # -- Prometheus --------------------------------------------------------------------------------
    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily("appliance_api_rate_limited", "API requests refused with 429 by a rate limit "
                                     "(this API process)", labels=["reason"])
        with self._lock:
            counts = dict(self.refused)
        for reason in REASONS:
            family.add_metric([reason], counts[reason])
        yield family


def retry_after(seconds: float) -> str:
    """Whole seconds for `Retry-After`, never 0."""
    return str(max(1, math.ceil(seconds - 1e-9)))
