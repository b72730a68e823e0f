"""bench/site/storm.py at a small scale, as a truth test of the coordinator's write path (not a speed
test): a site's boot storm through the policy and the coordinator's grouped, alerts-first writes ends
with every incident the policy raised in the store, at the bench's rate and with everything at once."""
from __future__ import annotations

from bench.site.storm import simulate, storm_events


def test_the_storm_leaves_every_raised_incident_in_the_store(capsys):
    arrivals, _ = storm_events(phones=60, frames=4000, rate=1000.0)
    assert len(arrivals) > 100
    for label, timed in (("at rate", arrivals), ("at once", [(0.0, event) for _, event in arrivals])):
        coordinator = simulate(timed, label)
        raised = {(alert.endpoint, alert.type) for alert in coordinator.policy.active()}
        assert len(raised) >= 30, "a misconfigured phone in two registers in cleartext"
        assert coordinator.incidents == raised
        assert len(coordinator.latencies()) == len(coordinator.written) > 0
