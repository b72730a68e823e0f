"""The site bench's figures: a row per rate step, and the one-line summary the issue fixes."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .probe import percentile
from .score import score

LATE_LISTED = 50                 # the slowest incidents kept by name in --json (where latency comes from)


@dataclass
class Row:
    target_kpps: float
    sent: int
    seconds: float
    received: int              # what the appliance says it captured during the step
    drops: int                 # kernel drops the appliance reported (PACKET_STATISTICS)
    wire_drops: int            # dropped by the veth before any socket saw them
    delivered: int             # frames the monitor port received
    cpu_s: float               # collector processes' user+system CPU during the step
    pss_mib: float             # collector processes' proportional set size at the step's end
    held: tuple[int, int]      # media streams held: (sending, ended < 60 s ago)
    store_bytes: int
    calls_done: int
    api: dict                  # list name -> (p50 s, p99 s)
    service_cpu_s: float | None = None   # the whole `appliance run` tree's CPU (API, dispatcher, collectors)
    sender_cpu_s: float | None = None    # the bench's sender: the emulated wire's transmit (and what ran on its core)

    @property
    def kpps(self) -> float:
        return self.sent / self.seconds / 1000 if self.seconds else 0.0

    @property
    def cpu_us_per_packet(self) -> float | None:
        return self.us_per_frame(self.cpu_s)

    def us_per_frame(self, cpu_s: float | None) -> float | None:
        """`cpu_s` per frame the monitor port received, in microseconds."""
        return cpu_s / self.delivered * 1e6 if cpu_s is not None and self.delivered else None


@dataclass
class Summary:
    phones: int
    baseline_mib: float
    rows: list[Row] = field(default_factory=list)
    sent_at: dict = field(default_factory=dict)       # (ip, type) -> wall time of its first frame
    dashboard: dict = field(default_factory=dict)
    endpoints: int | None = None
    calls: int = 0
    expected: int = 0
    found: int = 0
    false: int = 0
    missing: list = field(default_factory=list)
    false_list: list = field(default_factory=list)
    other: list = field(default_factory=list)         # incidents about non-phones (the PBX)
    withdrawn: list = field(default_factory=list)     # incidents the sensor resolved itself (all withdrawn)
    alert_latency: list = field(default_factory=list)
    webhook_latency: list = field(default_factory=list)
    latency_by_type: dict = field(default_factory=dict)   # type -> sorted alert latencies
    store_to_api: list = field(default_factory=list)      # deciding packet's time -> readable in the API
    late: dict = field(default_factory=dict)              # "ip type" -> alert latency, the slowest ones
    api_to_webhook: list = field(default_factory=list)    # readable in the API -> at the webhook receiver

    def finish(self, site, api_seen: dict, hook_seen: dict, traffic_time: dict | None = None) -> None:
        truth = site.truth
        sent = {key for key in truth.required(self.packets) if key in self.sent_at}   # what went out, decidable
        self.calls = truth.calls
        result = score(truth, api_seen, sent)                                  # the rule offline shares
        self.expected, self.found, self.missing = result.expected, result.found, result.missing
        self.false_list, self.false, self.other = result.false_list, result.false, result.other
        self.alert_latency = sorted(api_seen[k] - self.sent_at[k] for k in sent if k in api_seen)
        self.webhook_latency = sorted(hook_seen[k] - self.sent_at[k] for k in sent if k in hook_seen)
        for key in sent & set(api_seen):
            self.latency_by_type.setdefault(key[1], []).append(api_seen[key] - self.sent_at[key])
        for values in self.latency_by_type.values():
            values.sort()
        slowest = sorted(sent & set(api_seen), key=lambda k: self.sent_at[k] - api_seen[k])[:LATE_LISTED]
        self.late = {f"{ip} {kind}": round(api_seen[(ip, kind)] - self.sent_at[(ip, kind)], 3) for ip, kind in slowest}
        traffic_time = traffic_time or {}
        timed = [k for k in sent & set(api_seen) if k in traffic_time]
        # where the time goes: the packet that decided (store's first_seen) to readable in the API
        self.store_to_api = sorted(api_seen[k] - traffic_time[k] for k in timed)
        # the dispatcher's share: negative when the webhook came before the watcher's next poll
        self.api_to_webhook = sorted(hook_seen[k] - api_seen[k] for k in sent & set(api_seen) & set(hook_seen))

    @property
    def packets(self) -> int:
        return sum(r.sent for r in self.rows)

    @property
    def drops(self) -> int:
        return sum(r.drops + r.wire_drops for r in self.rows)

    @property
    def peak_kpps(self) -> float:
        return max((r.delivered / r.seconds / 1000 for r in self.rows if r.seconds), default=0.0)

    @property
    def first_drop_kpps(self) -> float | None:
        return next((r.target_kpps for r in self.rows if r.drops + r.wire_drops), None)

    @property
    def peak_rss(self) -> float:
        return max((r.pss_mib for r in self.rows), default=0.0)

    def as_dict(self) -> dict:
        out = asdict(self)
        out["sent_at"] = {f"{ip} {kind}": t for (ip, kind), t in self.sent_at.items()}
        out.update(packets=self.packets, drops=self.drops, peak_kpps=self.peak_kpps,
                   first_drop_kpps=self.first_drop_kpps, peak_rss_mib=self.peak_rss)
        return out


def _us(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.0f}"


def print_table(s: Summary) -> None:
    head = (f"{'step kpps':>9} {'sent':>9} {'rate':>7} {'port':>9} {'captured':>9} {'drops':>6} {'wire':>5} {'us/pkt':>6} "
            f"{'PSS MiB':>7} {'streams a/i':>11} {'KiB/str':>7} {'store/1k calls':>14} "
            f"{'alerts p50/p99 ms':>17} {'endpoints p50/p99 ms':>20}")
    print(head)
    for r in s.rows:
        held = sum(r.held)
        per_stream = (r.pss_mib - s.baseline_mib) * 1024 / held if held else None
        per_calls = r.store_bytes / r.calls_done * 1000 / 2**20 if r.calls_done else None
        cpu = r.cpu_us_per_packet
        a50, a99 = r.api.get("alerts", (None, None))
        e50, e99 = r.api.get("endpoints", (None, None))
        print(f"{r.target_kpps:>9g} {r.sent:>9,} {r.kpps:>6.1f}k {r.delivered:>9,} {r.received:>9,} {r.drops:>6} {r.wire_drops:>5} "
              f"{'-' if cpu is None else f'{cpu:.2f}':>6} {r.pss_mib:>7.1f} {f'{r.held[0]}/{r.held[1]}':>11} "
              f"{'-' if per_stream is None else f'{per_stream:.1f}':>7} "
              f"{'-' if per_calls is None else f'{per_calls:.2f} MiB':>14} "
              f"{_ms(a50) + '/' + _ms(a99):>17} {_ms(e50) + '/' + _ms(e99):>20}")
    for r in s.rows:
        service, collectors, sender = (_us(r.us_per_frame(cpu)) for cpu in (r.service_cpu_s, r.cpu_s, r.sender_cpu_s))
        print(f"CPU at the {r.target_kpps:g} kpps step, us per frame: the whole service {service} "
              f"(collectors {collectors}), the bench's sender {sender}")
    if s.dashboard:
        print(f"dashboard ({s.endpoints} endpoints): {s.dashboard}")
    print(f"first drop at: {s.first_drop_kpps or 'none'} kpps step; collector PSS before traffic "
          f"{s.baseline_mib:.1f} MiB")
    for kind, values in sorted(s.latency_by_type.items()):
        print(f"alert latency {kind}: n {len(values)}, p50 {percentile(values, 50):.2f} s, "
              f"p99 {percentile(values, 99):.2f} s, max {values[-1]:.2f} s")
    if s.store_to_api:
        print(f"from the deciding packet to readable in the API: p50 {percentile(s.store_to_api, 50):.2f} s, "
              f"p99 {percentile(s.store_to_api, 99):.2f} s")
    if s.api_to_webhook:
        print(f"from readable in the API to the webhook receiver: p50 {percentile(s.api_to_webhook, 50):.2f} s, "
              f"p99 {percentile(s.api_to_webhook, 99):.2f} s")
    if s.missing:
        print(f"missing incidents ({len(s.missing)}): {s.missing[:10]}")
    if s.false_list:
        print(f"false incidents ({len(s.false_list)}): {s.false_list[:10]}")
    if s.other:
        print(f"incidents on non-phones (the PBX): {s.other}")
    if s.withdrawn:
        print(f"incidents resolved by the sensor (every finding withdrawn by a later verdict): {s.withdrawn}")


def print_summary(s: Summary) -> None:
    p50, p99 = percentile(s.alert_latency, 50), percentile(s.alert_latency, 99)
    w99 = percentile(s.webhook_latency, 99)
    fmt = lambda v: "-" if v is None else f"{v:.2f}"  # noqa: E731
    print(f"site: phones {s.phones}, calls {s.calls}, packets {s.packets}, peak PPS {s.peak_kpps:.1f} kpps, "
          f"drops {s.drops}, incidents found {s.found}/{s.expected}, false {s.false}, alert latency "
          f"p50 {fmt(p50)} s p99 {fmt(p99)} s, webhook latency p99 {fmt(w99)} s, collector RSS {s.peak_rss:.0f} MiB")
