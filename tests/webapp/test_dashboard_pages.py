"""The supervisor's dashboard page and the heatmap of a route's steps."""
from __future__ import annotations

import json
import re

from engine import dashboard_sweep
from tests.factories import start


def test_the_dashboard_shows_the_jobs_figures_to_the_county_only(db, clock, who, unit_id, login):
    walk = start(db, clock, who, unit_id)
    clock.advance(hours=3)
    walk.do("acceptance", acceptance_decision="not_accepted", acceptance_reasons="不符合申请条件")
    start(db, clock, who, unit_id)
    supervisor = login("supervisor")
    page = supervisor.get("/supervisor/dashboard")
    assert page.status_code == 200 and "调度程序尚未计算" in page.text  # before the job: says so, shows zero
    dashboard_sweep(db, clock)
    page = supervisor.get("/supervisor/dashboard").text
    assert re.search(r'class="dash-running">1<', page) and re.search(r'class="dash-completed">1<', page)
    data = json.loads(re.search(r'id="dashboard-data">(.*?)</script>', page, re.S).group(1))
    assert ["响水镇", 1, 1] in data["areas"] and data["labels"]["running"] == "办理中"
    assert "分钟前" in page and 'id="chart-trend"' in page and "稳健 z 分数" in page
    version_link = re.search(r'href="(/supervisor/dashboard/versions/\d+)"', page).group(1)
    heat = supervisor.get(version_link)
    assert heat.status_code == 200 and 'data-heat="' in heat.text and "受理审查" in heat.text
    assert "3.0" in heat.text  # the acceptance's median, in hours

    filtered = supervisor.get("/supervisor/dashboard?from=2027-01&type=minimum_living").text
    assert re.search(r'class="dash-running">0<', filtered)
    assert supervisor.get("/supervisor/dashboard?from=2026-13").status_code == 400
    assert supervisor.get("/supervisor/dashboard?type=nonsense").status_code == 400
    assert login("village_sy").get("/supervisor/dashboard").status_code == 403
    assert login("township_xs").get(version_link).status_code == 403
    assert supervisor.get("/supervisor/dashboard/versions/999999").status_code == 404
    other = login("supervisor_tx").get("/supervisor/dashboard").text
    assert re.search(r'class="dash-running">0<', other) and "响水镇" not in other
