"""Alerts to HTTP receivers (generic, slack, teams, alertmanager) with httpx: POST the built body;
a 2xx answer is delivery. Everything else raises DeliveryError:

- 5xx, 408, 425, 429, timeouts, refused or reset connections, DNS failures: retried with the outbox's
  back-off (a `Retry-After` answer is honoured, at most an hour);
- 3xx (redirects are not followed: a moved webhook should be re-configured) and other 4xx (bad URL,
  bad token, payload refused): `permanent`, which the dispatcher gives a short retry budget.

Redirects are off so a signed body never goes to a host the operator did not configure. httpx logs
each request with its full URL at INFO; a filter on the "httpx" logger shortens that URL to
scheme://host, as Slack and Teams URLs carry their token in the path."""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import httpx

from appliance.notify.delivery import Outgoing, redact
from appliance.notify.errors import DeliveryError
from appliance.notify.formats import USER_AGENT, http_message, target_url

RETRY_STATUSES = frozenset({408, 425, 429})
MAX_RETRY_AFTER = 3600.0
MAX_DETAIL = 200


class HttpNotifier:
    def __init__(self, client: httpx.Client, timeout: float = 5.0):
        self.client = client
        self.timeout = timeout
        quiet_httpx_urls()

    def send(self, item: Outgoing) -> None:
        message = http_message(item)
        try:
            response = self.client.post(target_url(item), content=message.body, headers=message.headers,
                                        timeout=self.timeout)
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


def new_client(timeout: float = 5.0) -> httpx.Client:
    """The client a Dispatcher makes when none is given: no redirects, our User-Agent, system CAs."""
    return httpx.Client(timeout=timeout, follow_redirects=False, headers={"User-Agent": USER_AGENT})


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
