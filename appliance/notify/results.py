"""In-process tally of delivery outcomes (format, result: delivered | retry | gave_up) since start, which
`/metrics` exports as `appliance_deliveries_total`: counted by the dispatcher that runs in `serve`."""
from __future__ import annotations

import threading
from collections import Counter


class DeliveryResults:
    def __init__(self):
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str]] = Counter()

    def count(self, format: str, result: str) -> None:
        with self._lock:
            self._counts[(format, result)] += 1

    def snapshot(self) -> dict[tuple[str, str], int]:
        with self._lock:
            return dict(self._counts)


DELIVERY_RESULTS = DeliveryResults()
