"""Tally of delivery outcomes (format, result: delivered | retry | gave_up) since the service started,
which `/metrics` exports as `appliance_deliveries_total`.

The dispatcher counts in a process of its own (appliance.notify.process) and the API exports in the
serving process, so the tally lives in memory both map: `share()` (in `serve`, before the dispatcher
starts) moves it into a block of shared memory, a 64-bit slot per webhook format and result, which
the dispatcher's process `attach`es to. One process writes (the dispatcher), the other only reads
aligned words; a dispatcher that is restarted goes on counting in the same block, so the counts run
since `serve` started, as before. Unshared (tests, one process), it is a plain in-process counter."""
from __future__ import annotations

import threading
from collections import Counter

from appliance.store.names import WEBHOOK_FORMATS

RESULTS = ("delivered", "retry", "gave_up")
SLOTS = tuple((format, result) for format in WEBHOOK_FORMATS for result in RESULTS)
_INDEX = {slot: index for index, slot in enumerate(SLOTS)}


class DeliveryResults:
    def __init__(self):
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str]] = Counter()
        self._shared = None                     # a multiprocessing RawArray("Q", len(SLOTS)) once shared

    def share(self, context):
        """Move the tally into shared memory made by `context` (a multiprocessing context); returns the
        block, to hand to the process that counts (`attach`)."""
        with self._lock:
            if self._shared is None:
                self._shared = context.RawArray("Q", len(SLOTS))
            for slot in [slot for slot in self._counts if slot in _INDEX]:
                self._shared[_INDEX[slot]] += self._counts.pop(slot)
            return self._shared

    def attach(self, shared) -> None:
        """Count into `shared` (the block another process made with `share`)."""
        with self._lock:
            self._shared = shared

    def count(self, format: str, result: str, by: int = 1) -> None:
        with self._lock:
            index = _INDEX.get((format, result))
            if self._shared is not None and index is not None:
                self._shared[index] += by
            else:
                self._counts[(format, result)] += by

    def snapshot(self) -> dict[tuple[str, str], int]:
        with self._lock:
            counts = dict(self._counts)
            if self._shared is not None:
                counts |= {slot: value for slot, value in zip(SLOTS, self._shared[:]) if value}
            return counts


DELIVERY_RESULTS = DeliveryResults()
