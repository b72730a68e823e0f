"""Standard Webhooks signatures, checked by the scheme's own verifier (the `standardwebhooks` package):
a delivery verifies; one replayed later (its timestamp minutes old) or altered does not. And the
`whsec_` secret form: decoded as the scheme says, refused at creation when it is not base64."""
from __future__ import annotations

import base64
import time

import pytest
import standardwebhooks
from standardwebhooks.webhooks import WebhookVerificationError

from appliance.notify import Dispatcher
from appliance.notify.formats import check_secret, http_message, signing_key, verify
from appliance.notify.delivery import Outgoing
from appliance.store import queries
from appliance.store.recorder import Recorder
from tests.notify.receivers import LOOPBACK_ALLOWED
from tests.store.helpers import Clock, policy_alert

WHSEC = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()


def _deliver(store, receiver, secret: str, sent_at: float) -> object:
    """One alert delivered by a Dispatcher whose clock says `sent_at`; the request as it arrived."""
    with store.session() as s:
        queries.create_webhook(s, store.secrets, receiver.url("/signed"), secret=secret)
    clock = Clock(sent_at)
    Recorder(store, "sensor-1", clock=clock).alert(policy_alert(call_id="sig@lab", first_seen=sent_at))
    with Dispatcher(store, destinations=LOOPBACK_ALLOWED, clock=clock) as dispatcher:
        assert dispatcher.run_once() == 1
    [request] = receiver.to("/signed")
    return request


@pytest.mark.parametrize("secret, key", [(WHSEC, WHSEC), ("plain text secret", b"plain text secret")])
def test_a_fresh_delivery_verifies(store, receiver, secret, key):
    request = _deliver(store, receiver, secret, time.time())
    assert standardwebhooks.Webhook(key).verify(request.body, request.headers)["call_id"] == "sig@lab"
    assert verify(request.body, request.headers, secret)
    assert request.headers["webhook-signature"].startswith("v1,")


def test_a_replayed_delivery_is_refused(store, receiver):
    """Captured and sent again ten minutes later: the timestamp is signed, so it cannot be refreshed."""
    request = _deliver(store, receiver, WHSEC, time.time() - 600)
    with pytest.raises(WebhookVerificationError, match="too old"):
        standardwebhooks.Webhook(WHSEC).verify(request.body, request.headers)
    assert not verify(request.body, request.headers, WHSEC)
    fresh = {**request.headers, "webhook-timestamp": str(int(time.time()))}
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        standardwebhooks.Webhook(WHSEC).verify(request.body, fresh)


def test_an_altered_delivery_is_refused(store, receiver):
    request = _deliver(store, receiver, WHSEC, time.time())
    verifier = standardwebhooks.Webhook(WHSEC)
    for body, headers in ((request.body.replace(b'"high"', b'"info"'), request.headers),
                          (request.body, {**request.headers, "webhook-id": "msg_999999"}),
                          (request.body, {k: v for k, v in request.headers.items() if k != "webhook-signature"})):
        with pytest.raises(WebhookVerificationError):
            verifier.verify(body, headers)
        assert not verify(body, headers, WHSEC)
    with pytest.raises(WebhookVerificationError):
        standardwebhooks.Webhook(base64.b64encode(b"another key of 32 bytes length!!").decode()).verify(
            request.body, request.headers)


def test_unsigned_hooks_send_no_signature_headers():
    item = Outgoing(5, 1, "https://x.example/", "generic", "x", {"type": "t", "severity": "high"})
    headers = http_message(item).headers
    assert not {"webhook-id", "webhook-timestamp", "webhook-signature"} & set(headers)


def test_whsec_secrets():
    assert signing_key(WHSEC) == b"0123456789abcdef0123456789abcdef"
    assert signing_key("not-prefixed") == b"not-prefixed"
    assert check_secret(WHSEC) == WHSEC
    with pytest.raises(ValueError, match="base64"):
        check_secret("whsec_not base64!")

