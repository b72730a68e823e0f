"""The site bench at a small scale, as a truth test (not a speed test): a few dozen phones of every
posture and vendor, calls through a PBX proxy, SRTP from libsrtp, replayed onto a veth in namespaces
while `appliance run` (collector workers, store, API, dispatcher) watches. Every incident the traffic
implies must be readable through the API and reach the webhook receiver; no compliant phone may be
blamed, nor a misconfigured phone for a cause it does not have. Times are printed, never asserted."""
from __future__ import annotations

import pytest

from tests.live.netns import need_root_and_netns


def test_a_small_site_finds_every_misconfigured_phone_and_blames_no_compliant_one(capsys):
    need_root_and_netns()
    from bench.site.__main__ import parse, run
    from bench.site.report import print_summary, print_table

    summary = run(parse(["--phones", "24", "--seconds", "8", "--rates", "2", "--calls-per-phone-hour", "600",
                         "--mean-call-seconds", "10", "--seed", "3", "--no-dashboard"]))
    with capsys.disabled():
        print()
        print_table(summary)
        print_summary(summary)

    misconfigured = 24 - 13                   # bench.site.fleet.DEFAULT_MIX: 13 of 24 phones are SIP-TLS + SRTP
    assert summary.expected >= misconfigured, "every misconfigured phone registers in cleartext at least"
    kinds = {kind for _, kind in summary.sent_at}
    assert kinds == {"cleartext_signaling", "sdes_keys_exposed", "cleartext_media", "srtp_downgrade"}
    assert summary.missing == [], f"incidents not found through the API: {summary.missing}"
    assert summary.found == summary.expected
    assert summary.false == 0, f"incidents on compliant phones or with a wrong cause: {summary.false_list}"
    assert len(summary.webhook_latency) == summary.expected, "every incident reaches the webhook receiver"
    assert sum(row.received for row in summary.rows) >= sum(row.sent for row in summary.rows) * 0.99
