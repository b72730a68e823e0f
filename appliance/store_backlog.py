"""Alerts ahead of observations: the order in which the live coordinator writes to the store.

Every collector event is also an observation for the store (a stream's verdict, a SIP conversation, a
TLS server, an SDP), and each costs a transaction's worth of work (about a millisecond). When a site
boots, thousands of them arrive within a second (bench/site: 4,494 events and 972 alerts for 2,000
phones); written in arrival order, the last alerts of the storm became readable only after every
observation before them, seconds later. Alerts are what the NOC waits for.

So writes wait here, in arrival order, and leave in two kinds of group:
* `urgent()`: every waiting alert, together with the waiting observations about the same endpoints,
  in their arrival order. The store's rows of an endpoint (its posture, its incidents, their automatic
  resolution on compliant traffic) are changed only by writes that name it, so an alert's endpoint
  still sees its writes in the order they happened. (A SIP conversation also names its server: a PBX's
  row may see a phone's REGISTER ahead of older ones, as it already does when two capture workers'
  events interleave; what it keeps from them, first/last seen and transports, does not depend on it.)
* `next_observations(n)`: the oldest n observations, in order, once no alert waits.
Nothing is dropped here: `drain()` gives everything left, in order, at the end of a run."""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from collectors.events import (CallEnded, SdpObserved, SignalingObserved, StreamEnded, StreamEvidence, StreamVerdict,
                               TlsObserved)

STORED = (StreamVerdict, StreamEvidence, SdpObserved, SignalingObserved, TlsObserved, StreamEnded,
          CallEnded)                                                                     # what the recorder keeps


@dataclass(slots=True)
class Write:
    kind: str               # "observe" | "alert"
    args: tuple
    endpoints: frozenset    # the endpoints whose rows this write may change


def endpoints_of(event) -> frozenset:
    """The endpoints whose store rows recording `event` may change (appliance.store.recorder)."""
    if isinstance(event, (StreamVerdict, StreamEnded)):    # an ended stream extends its incidents' occurrences
        return frozenset((event.src,))
    if isinstance(event, SignalingObserved):
        return frozenset((event.client, event.server))
    if isinstance(event, TlsObserved):
        return frozenset((event.server,))
    return frozenset()


class StoreBacklog:
    def __init__(self):
        self.waiting: deque[Write] = deque()
        self.alerts = 0                     # alerts among the waiting writes

    def __len__(self) -> int:
        return len(self.waiting)

    def observe(self, event) -> None:
        if isinstance(event, STORED):
            self.waiting.append(Write("observe", (event,), endpoints_of(event)))

    def alert(self, alert, device_class: str) -> None:
        self.waiting.append(Write("alert", (alert, device_class), frozenset((alert.endpoint,))))
        self.alerts += 1

    def urgent(self) -> list[Write]:
        """The waiting alerts and the observations about their endpoints, in arrival order."""
        if not self.alerts:
            return []
        named = set().union(*(w.endpoints for w in self.waiting if w.kind == "alert"))
        taken, kept = [], deque()
        for write in self.waiting:
            (taken if write.kind == "alert" or write.endpoints & named else kept).append(write)
        self.waiting, self.alerts = kept, 0
        return taken

    def next_observations(self, count: int) -> list[Write]:
        """The oldest `count` waiting writes (only observations wait once `urgent()` has run)."""
        taken = [self.waiting.popleft() for _ in range(min(count, len(self.waiting)))]
        self.alerts -= sum(1 for w in taken if w.kind == "alert")
        return taken

    def drain(self) -> list[Write]:
        taken, self.waiting, self.alerts = list(self.waiting), deque(), 0
        return taken
