"""The delivery tally /metrics exports: in-process until shared, then in shared memory another
process counts into (tests/notify/test_process.py has the dispatcher's process doing it)."""
from __future__ import annotations

from appliance.notify.process import CONTEXT
from appliance.notify.results import DeliveryResults


def _count_in_child(shared) -> None:
    child = DeliveryResults()
    child.attach(shared)
    for _ in range(3):
        child.count("slack", "delivered")
    child.count("syslog", "gave_up")


def test_counts_made_before_sharing_are_kept_and_another_process_adds_to_them():
    results = DeliveryResults()
    results.count("slack", "delivered")
    results.count("generic", "retry")
    process = CONTEXT.Process(target=_count_in_child, args=(results.share(CONTEXT),))
    process.start()
    process.join(60)
    assert process.exitcode == 0
    results.count("generic", "retry")
    assert results.snapshot() == {("slack", "delivered"): 4, ("generic", "retry"): 2, ("syslog", "gave_up"): 1}


def test_a_format_outside_the_shared_table_is_still_counted():
    results = DeliveryResults()
    results.share(CONTEXT)
    results.count("carrier-pigeon", "retry")
    assert results.snapshot() == {("carrier-pigeon", "retry"): 1}
