"""Alerts ahead of observations: the order in which the live coordinator writes to the store.

Every collector event is also an observation for the store (a stream's verdict, a SIP conversation, a
TLS server, an SDP), and each costs a transaction's worth of work (about a millisecond). When a site
boots, thousands of them arrive within a second (bench/site: 4,494 events and 972 alerts for 2,000
phones); written in arrival order, the last alerts of the storm became readable only after every
observation before them, seconds later. Alerts are what the NOC waits for.

So writes wait here, in arrival order, and leave in two kinds of group:
* `urgent()`: every waiting alert, together with the waiting observations whose writes an alert's write
  about the same endpoint depends on, in their arrival order: the ones that may resolve the endpoint's
  incidents on compliant traffic, extend their occurrences or set the media posture an alert also sets
  (`endpoints_of`). So an alert's endpoint still sees those writes in the order they happened.
  An observation names a server only for the server's signaling posture (SIP over TLS, its certificate),
  which no alert's write reads or sets: a PBX's alert does not pull the REGISTERs of every phone behind
  it. (bench/site at 5,000 phones: one alert on the PBX early in the boot storm made the thousands of
  SIP observations waiting behind it urgent, and the coordinator took no new message for seconds while
  it wrote them; the storm's cleartext_signaling alerts became readable 3-12 s late in such runs, 0.5 s
  in the others.) A PBX's row may see a phone's REGISTER ahead of older ones, as it already does when
  two capture workers' events interleave; what it keeps from them, first/last seen and transports, does
  not depend on it.
  A withdrawal (the policy took an alert back) leaves with the alerts, in its place among them: after
  the alert it takes back, however recent.
* `next_observations(n)`: the oldest n observations, in order, once no alert waits.
Nothing is dropped here: `drain()` gives everything left, in order, at the end of a run."""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from collectors.events import (CallEnded, SdpObserved, SignalingObserved, StreamEnded, StreamEvidence, StreamVerdict,
                               TlsObserved)

URGENT = ("alert", "withdraw")                                                           # writes that leave first
STORED = (StreamVerdict, StreamEvidence, SdpObserved, SignalingObserved, TlsObserved, StreamEnded,
          CallEnded)                                                                     # what the recorder keeps


@dataclass(slots=True)
class Write:
    kind: str               # "observe" | "alert" | "withdraw"
    args: tuple
    endpoints: frozenset    # the endpoints whose rows this write may change


def endpoints_of(event) -> frozenset:
    """The endpoints for which recording `event` and recording an alert touch the same store rows
    (appliance.store.recorder): a stream's source (its media posture, its incidents resolved on SRTP, an
    ended stream's occurrences extended) and a SIP client (its cleartext_signaling resolved on SIP over
    TLS, its User-Agent). A SIP or TLS server's row gets only its signaling posture, which no alert's
    write reads or sets."""
    if isinstance(event, (StreamVerdict, StreamEnded)):
        return frozenset((event.src,))
    if isinstance(event, SignalingObserved):
        return frozenset((event.client,))
    return frozenset()


class StoreBacklog:
    def __init__(self):
        self.waiting: deque[Write] = deque()
        self.alerts = 0                     # alerts (and withdrawals) among the waiting writes

    def __len__(self) -> int:
        return len(self.waiting)

    def observe(self, event) -> None:
        if isinstance(event, STORED):
            self.waiting.append(Write("observe", (event,), endpoints_of(event)))

    def alert(self, alert, device_class: str) -> None:
        self.waiting.append(Write("alert", (alert, device_class), frozenset((alert.endpoint,))))
        self.alerts += 1

    def withdraw(self, withdrawal) -> None:
        self.waiting.append(Write("withdraw", (withdrawal,), frozenset((withdrawal.endpoint,))))
        self.alerts += 1

    def urgent(self) -> list[Write]:
        """The waiting alerts and the observations about their endpoints, in arrival order."""
        if not self.alerts:
            return []
        named = set().union(*(w.endpoints for w in self.waiting if w.kind in URGENT))
        taken, kept = [], deque()
        for write in self.waiting:
            (taken if write.kind in URGENT or write.endpoints & named else kept).append(write)
        self.waiting, self.alerts = kept, 0
        return taken

    def next_observations(self, count: int) -> list[Write]:
        """The oldest `count` waiting writes (only observations wait once `urgent()` has run)."""
        taken = [self.waiting.popleft() for _ in range(min(count, len(self.waiting)))]
        self.alerts -= sum(1 for w in taken if w.kind in URGENT)
        return taken

    def drain(self) -> list[Write]:
        taken, self.waiting, self.alerts = list(self.waiting), deque(), 0
        return taken
