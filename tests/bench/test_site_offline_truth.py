"""The site bench's offline truth mode at a small scale: the real generator (a few dozen phones of every
posture and vendor, calls through the PBX proxy, SRTP from libsrtp), its frames written to a pcap stamped
as the live sender would send them, `appliance analyze` in a subprocess, and the report's alerts scored by
the rule the live bench uses. No root, no namespaces; times are never asserted."""
from __future__ import annotations

from bench.site.plan import generate, step_counts, steps
from bench.site.timeline import VERDICT_BUDGET
from collectors.classify import payload
from bench.site.score import score
from bench.site.truth import parse, run_seed

SMALL = ["--phones", "24", "--seconds", "8", "--rates", "2", "--calls-per-phone-hour", "600",
         "--mean-call-seconds", "10"]


def test_the_offline_path_finds_every_incident_and_blames_no_compliant_phone(tmp_path):
    result = run_seed(parse(SMALL), 3, tmp_path)
    print(result.line())

    misconfigured = 24 - 13                   # bench.site.fleet.DEFAULT_MIX: 13 of 24 phones are SIP-TLS + SRTP
    assert result.score.expected >= misconfigured, "every misconfigured phone registers in cleartext at least"
    assert result.score.missing == [], f"incidents the report does not raise: {result.score.missing}"
    assert result.score.found == result.score.expected
    assert result.score.false == 0, f"incidents on compliant phones or with a wrong cause: {result.alerts}"
    assert result.frames == 16_000 and (tmp_path / "seed-3.pcap").stat().st_size > 16_000 * 60


def test_the_rule_counts_a_missed_incident_and_a_blamed_compliant_phone():
    args = parse(SMALL)
    site = generate(args, 3)
    truth = site.truth
    total = sum(step_counts(steps(args), len(site.frames)))
    sent = truth.required(total)
    kinds = {kind for _, kind in sent}
    assert kinds == {"cleartext_signaling", "sdes_keys_exposed", "cleartext_media", "srtp_downgrade"}
    # a phone that offered SRTP and sent RTP starts two incidents with one frame: both are expected
    shared = [key for key in sent if sum(1 for i in truth.first_frame.values() if i == truth.first_frame[key]) > 1]
    assert shared
    # SIP tells at once; a media incident is required once its stream sent the packets a verdict is due by
    assert VERDICT_BUDGET == payload.BUDGET
    media = {"cleartext_media", "srtp_downgrade"}
    for key, first in truth.first_frame.items():
        due = truth.due.get(key)
        if key[1] in media:
            assert due is None or due > first
            assert (key in sent) == (due is not None and due < total)
        else:
            assert due == first

    compliant = next(ip for ip in truth.phones if truth.compliant(ip))
    misconfigured = next(ip for ip, kind in sent if kind == "cleartext_signaling")
    missed = sorted(sent)[0]
    seen = (sent - {missed}) | {(compliant, "cleartext_media"), (misconfigured, "weak_tls"), ("10.77.0.2", "weak_tls")}
    result = score(truth, seen, sent)
    assert (result.expected, result.found, result.missing) == (len(sent), len(sent) - 1, [missed])
    assert sorted(result.false_list) == sorted([(compliant, "cleartext_media"), (misconfigured, "weak_tls")])
    assert result.other == [("10.77.0.2", "weak_tls")]          # the PBX: listed apart, neither found nor false
