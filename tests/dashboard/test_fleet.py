"""The fleet compliance view in Debian's chromium (headless, Playwright) over the lab store: it comes
first on the page, above the incidents; its numbers are the API's; grouping changes the table; both
CSV exports download and parse to the rows the API lists. Waits are bounded; nothing asserts a time."""
from __future__ import annotations

import csv

import pytest

from tests.api.conftest import import_tagged_calls
from tests.dashboard.conftest import CHROMIUM, sign_in
from tests.dashboard.test_dashboard import ROWS, all_alerts, api, wait_rows

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)

POSTURE = "#fleet-postures li[data-posture='{}'] .n"


def summary(server, lab, **params) -> dict:
    with api(server, lab) as http:
        return http.get("/api/v1/fleet/summary", params=params).json()


def test_the_fleet_summary_comes_first_and_matches_the_api(server, lab, page, shot):
    expected = summary(server, lab, group_by="vendor_model")
    sign_in(page, server, lab.tokens["viewer"])
    wait_rows(page, len(all_alerts(server, lab)))
    page.wait_for_selector(POSTURE.format("compliant"))
    for posture, count in expected["postures"].items():
        assert page.inner_text(POSTURE.format(posture)) == str(count), posture
    assert page.inner_text("#fleet-total") == f"{expected['total']} endpoints"
    groups = page.locator("#fleet-groups tbody tr")
    assert groups.count() == len(expected["groups"])
    assert groups.first.locator("td").all_text_contents()[:2] == [expected["groups"][0]["group"],
                                                                  str(expected["groups"][0]["total"])]
    fleet_box, incidents_box = page.locator("#fleet").bounding_box(), page.locator(ROWS).first.bounding_box()
    assert fleet_box["y"] + fleet_box["height"] <= incidents_box["y"]          # the summary first, then incidents
    assert "Non-compliant phones per day" in page.inner_text("#fleet-trend")

    page.select_option("#fleet-group", "sensor")
    page.wait_for_function("() => [...document.querySelectorAll('#fleet-groups tbody tr td:first-child')]"
                           ".map(td => td.textContent).sort().join() === 'lab-1,lab-2'")
    by_sensor = {g["group"]: g for g in summary(server, lab, group_by="sensor")["groups"]}
    for tr in page.locator("#fleet-groups tbody tr").all():
        cells = tr.locator("td").all_text_contents()
        assert int(cells[1]) == by_sensor[cells[0]]["total"]
    assert not page.errors
    shot(page, "fleet")


def test_grouping_by_vlan_shows_the_tagged_phones_apart(server, lab, page, shot, tmp_path):
    tagged = import_tagged_calls(lab.store, tmp_path)
    expected = {g["group"]: g for g in summary(server, lab, group_by="vlan")["groups"]}
    assert set(expected) == {"untagged", *map(str, tagged.values())}
    sign_in(page, server, lab.tokens["viewer"])
    page.wait_for_selector(POSTURE.format("compliant"))
    page.select_option("#fleet-group", "vlan")
    page.wait_for_function("() => [...document.querySelectorAll('#fleet-groups tbody tr td:first-child')]"
                           ".map(td => td.textContent).sort().join() === '100,200,untagged'")
    for tr in page.locator("#fleet-groups tbody tr").all():
        cells = tr.locator("td").all_text_contents()
        group = expected[cells[0]]
        assert [int(n) for n in cells[1:8]] == [group["total"], *group["postures"].values()], cells[0]
    assert not page.errors
    shot(page, "vlan")


@pytest.mark.parametrize("kind", ["endpoints", "incidents"])
def test_csv_exports_download_and_parse(server, lab, page, tmp_path, kind):
    sign_in(page, server, lab.tokens["viewer"])
    page.wait_for_selector(POSTURE.format("compliant"))
    with page.expect_download() as info:
        page.click(f"#fleet-{kind}-csv")
    download = info.value
    assert download.suggested_filename == f"{kind}.csv"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    with saved.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    if kind == "endpoints":
        expected = summary(server, lab)
        assert len(rows) == expected["total"]
        assert {p: sum(r["compliance"] == p for r in rows) for p in expected["postures"]} == expected["postures"]
    else:
        alerts = all_alerts(server, lab)
        assert sorted(int(r["id"]) for r in rows) == sorted(a["id"] for a in alerts)
        assert {int(r["id"]): int(r["occurrences"]) for r in rows} == {a["id"]: a["occurrences"] for a in alerts}
    page.wait_for_selector(f"#fleet-message:has-text('{kind}.csv downloaded')")
