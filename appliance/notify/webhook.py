"""Alerts to HTTP receivers (generic, slack, teams, alertmanager) with httpx: POST the built body;
a 2xx answer is delivery. Everything else raises DeliveryError:

- 5xx, 408, 425, 429, timeouts, refused or reset connections, DNS failures: retried with the outbox's
  back-off (a `Retry-After` answer is honoured, at most an hour);
- 3xx (redirects are not followed: a moved webhook should be re-configured) and other 4xx (bad URL,
  bad token, payload refused): `permanent`, which the dispatcher gives a short retry budget.

Redirects are off so a signed body never goes to a host the operator did not configure (nor to one
the destination policy refuses). Before each request the URL's host is resolved and every address
checked against the destination policy (appliance.notify.destinations); the request then goes to the
checked address (Host header and TLS server name stay the configured host), so a name that rebinds
between check and connect changes nothing. A refused destination is a permanent failure. The checked
address of a URL is used for RESOLVED_FOR seconds: a storm's deliveries to one receiver share a DNS
look-up (one per alert was a resolver round-trip each, and a tenth of the dispatcher's CPU on
loopback), and a receiver that moves is followed within seconds. httpx logs
each request with its full URL at INFO; a filter on the "httpx" logger shortens that URL to
scheme://host, as Slack and Teams URLs carry their token in the path."""
from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import httpx

from appliance.notify.delivery import Outgoing, redact
from appliance.notify.destinations import DestinationPolicy, DestinationRefused
from appliance.notify.errors import DeliveryError
from appliance.notify.formats import http_message, target_url

RETRY_STATUSES = frozenset({408, 425, 429})
MAX_RETRY_AFTER = 3600.0
MAX_DETAIL = 200
RESOLVED_FOR = 5.0          # s a URL's checked address is used before it is resolved and checked again
MAX_PINS = 1000             # URLs kept (webhooks are few; a bound all the same)


class HttpNotifier:
    def __init__(self, transport: httpx.BaseTransport, timeout: float = 5.0,
                 destinations: DestinationPolicy | None = None, clock=None):
        """`transport`: httpx's connection pool (`new_transport`), used directly: a Client's layers
        (cookies, auth, redirects, header merging) cost a third of a delivery's CPU and none applies."""
        self.transport = transport
        self.timeout = timeout
        self._timeouts = httpx.Timeout(timeout).as_dict()
        self.destinations = destinations or DestinationPolicy()
        self.clock = clock
        self._pins: dict[str, tuple[float, tuple[httpx.URL, dict[str, str], dict]]] = {}
        quiet_httpx_urls()

    def send(self, item: Outgoing) -> None:
        message = http_message(item, self.clock() if self.clock else None)
        url, host_header, extensions = self._pinned(target_url(item))
        try:
            request = httpx.Request("POST", url, content=message.body, headers=message.headers | host_header,
                                    extensions=extensions | {"timeout": self._timeouts})
            response = self.transport.handle_request(request)
            try:
                response.read()
            finally:
                response.close()
        except httpx.TimeoutException as exc:
            raise DeliveryError(f"timed out after {self.timeout:g} s ({type(exc).__name__})") from None
        except httpx.UnsupportedProtocol:
            raise DeliveryError(f"not an http(s) URL: {redact(item.url)}", permanent=True) from None
        except httpx.TransportError as exc:
            raise DeliveryError(f"{type(exc).__name__}: {_scrub(str(exc), item.url)}") from None
        except (httpx.InvalidURL, ValueError) as exc:
            raise DeliveryError(f"unusable URL {redact(item.url)}: {type(exc).__name__}", permanent=True) from None
        status = response.status_code
        if 200 <= status < 300:
            return
        detail = f"HTTP {status} {response.reason_phrase}".rstrip()
        text = " ".join(response.text[:MAX_DETAIL].split())
        raise DeliveryError(f"{detail}: {text}" if text else detail,
                            permanent=status < 500 and status not in RETRY_STATUSES,
                            retry_after=retry_after(response.headers.get("Retry-After")))


    def _pinned(self, raw: str) -> tuple[httpx.URL, dict[str, str], dict]:
        """`_pin`, reused for RESOLVED_FOR s (a failure is not kept: the next delivery tries again)."""
        now = time.monotonic()
        kept = self._pins.get(raw)
        if kept is not None and kept[0] > now:
            return kept[1]
        pinned = self._pin(raw)
        if len(self._pins) > MAX_PINS:
            self._pins.clear()
        self._pins[raw] = (now + RESOLVED_FOR, pinned)
        return pinned

    def _pin(self, raw: str) -> tuple[httpx.URL, dict[str, str], dict]:
        """The URL with its host replaced by the checked address, the Host header, the TLS server name."""
        try:
            url = httpx.URL(raw)
        except (httpx.InvalidURL, ValueError) as exc:
            raise DeliveryError(f"unusable URL {redact(raw)}: {type(exc).__name__}", permanent=True) from None
        if url.scheme not in ("http", "https") or not url.host:
            raise DeliveryError(f"not an http(s) URL: {redact(raw)}", permanent=True)
        try:
            found = self.destinations.resolve(url.host, url.port or (443 if url.scheme == "https" else 80))
        except DestinationRefused as exc:
            raise DeliveryError(str(exc), permanent=True) from None
        except OSError as exc:                                  # no such host, resolver down: retried
            raise DeliveryError(f"cannot resolve {url.host}: {exc}") from None
        address = found[0][4][0]
        extensions = {"sni_hostname": url.host} if url.scheme == "https" else {}
        return url.copy_with(host=address), {"Host": url.netloc.decode("ascii")}, extensions


def new_transport() -> httpx.HTTPTransport:
    """The connection pool a Dispatcher makes when none is given: system CAs, connections kept alive
    between deliveries. A transport follows no redirect, keeps no cookie and takes no proxy from the
    environment (the request goes to the address the destination policy checked)."""
    return httpx.HTTPTransport()


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), capped at an hour."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        seconds = (moment - (now or datetime.now(timezone.utc))).total_seconds()
    return min(max(0.0, seconds), MAX_RETRY_AFTER)


def _scrub(text: str, url: str) -> str:
    return text.replace(url, redact(url))


class _RedactUrls(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) > 1 and str(record.msg).startswith("HTTP Request"):
            record.args = (record.args[0], redact(str(record.args[1])), *record.args[2:])
        return True


_FILTER = _RedactUrls()


def quiet_httpx_urls() -> None:
    """Install (once) the filter that shortens the URLs in httpx's request log lines."""
    logger = logging.getLogger("httpx")
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
