"""The metrics kit in deploy/: Prometheus rules pass `promtool check rules` and their unit tests
(`promtool test rules`), and every metric the rules and the Grafana dashboard name is one a live
`appliance serve` exports on /metrics (build info, process metrics and delivery counters included)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import time

import httpx
import pytest

from tests.conftest import APPLIANCE, DATA, ROOT, need_tool
from tests.test_service import free_port

PROMETHEUS = ROOT / "deploy" / "prometheus"
DASHBOARD = ROOT / "deploy" / "grafana" / "appliance.json"
NAME = re.compile(r"\b((?:appliance|process|python)_[a-z_]+)\b")


def promtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([need_tool("promtool"), *args], capture_output=True, text=True, timeout=120,
                          cwd=PROMETHEUS)


def test_rules_pass_promtool_check():
    proc = promtool("check", "rules", "rules.yml")
    assert proc.returncode == 0 and "SUCCESS: 6 rules found" in proc.stdout, proc.stdout + proc.stderr


def test_rules_unit_tests_pass():
    proc = promtool("test", "rules", "rules.test.yml")
    assert proc.returncode == 0 and "SUCCESS" in proc.stdout, proc.stdout + proc.stderr


def test_rules_cover_the_failures_an_operator_pages_on():
    names = set(re.findall(r"- alert: (\w+)", (PROMETHEUS / "rules.yml").read_text()))
    tested = set(re.findall(r"alertname: (\w+)", (PROMETHEUS / "rules.test.yml").read_text()))
    assert names == {"ApplianceApiDown", "ApplianceCollectorDown", "ApplianceMirrorSilent", "ApplianceDropsRising",
                     "ApplianceDeliveriesFailing", "ApplianceNewCriticalAlert"}
    assert names <= tested, f"rules without a unit test: {sorted(names - tested)}"


def dashboard_exprs() -> list[str]:
    board = json.loads(DASHBOARD.read_text())
    assert board["uid"] and board["title"] and board["panels"]
    exprs = [target["expr"] for panel in board["panels"] for target in panel["targets"]]
    exprs += [var["query"] for var in board["templating"]["list"] if var["type"] == "query"]
    assert all(panel["gridPos"]["w"] > 0 for panel in board["panels"])
    assert len({panel["id"] for panel in board["panels"]}) == len(board["panels"])
    return exprs


@pytest.fixture(scope="module")
def live_metrics(tmp_path_factory) -> set[str]:
    """Metric family names a real `appliance serve` exports, with a sensor and alerts in its store."""
    data = tmp_path_factory.mktemp("metrics")
    env = {k: v for k, v in os.environ.items() if not k.startswith("APPLIANCE_")}
    env |= {"APPLIANCE_DATA_DIR": str(data), "APPLIANCE_SENSOR_ID": "span-test"}

    def cli(*args: str) -> str:
        proc = subprocess.run([str(APPLIANCE), *args], capture_output=True, text=True, env=env, timeout=120)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    cli("import", str(DATA / "lab" / "udp-srtp-fallback.pcap"))
    token = cli("token", "create", "prometheus", "--role", "viewer").strip().splitlines()[-1]
    port = free_port()
    service = subprocess.Popen([str(APPLIANCE), "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                reply = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2,
                                  headers={"Authorization": f"Bearer {token}"})
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline and service.poll() is None, "serve did not come up"
                time.sleep(0.2)
    finally:
        service.terminate()
        service.wait(timeout=30)
    assert reply.status_code == 200, reply.text
    samples = {line.split("{")[0].split(" ")[0] for line in reply.text.splitlines() if line and line[0] != "#"}
    assert 'appliance_build_info{' in reply.text and 'sensor="span-test"' in reply.text
    return samples


def test_the_service_exports_build_process_and_delivery_metrics(live_metrics):
    assert {"appliance_build_info", "appliance_deliveries_total", "process_cpu_seconds_total",
            "process_resident_memory_bytes", "appliance_sensor_packets_total", "appliance_sensor_drops_total",
            "appliance_alerts_by_severity", "appliance_incidents_opened_total", "appliance_incidents_reopened_total",
            "appliance_incidents_resolved_total", "appliance_streams_total"} <= live_metrics


def test_dashboard_and_rules_name_only_exported_metrics(live_metrics):
    used = {name for expr in dashboard_exprs() for name in NAME.findall(expr)}
    used |= set(NAME.findall((PROMETHEUS / "rules.yml").read_text().split("groups:", 1)[1]))
    assert used, "the dashboard queries something"
    assert not used - live_metrics, f"not exported by /metrics: {sorted(used - live_metrics)}"
