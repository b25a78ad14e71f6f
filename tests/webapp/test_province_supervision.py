"""The province supervisor (省级民政厅督导): every case of the counties under its province and no other, in
SQL; no task to act on; the province dashboard per county with its drill-down and export; a county
supervisor unchanged."""
from __future__ import annotations

import csv
import io
import json
import re

from sqlalchemy import select

from engine import dashboard_sweep
from engine.oversight import queries
from engine.people.accounts import principal_of
from engine.store.models import Unit
from tests.factories import RENXING, start
from tests.processes import test_subsidies_allowances as sa


def _siping_case(db, clock, who, unit_id):
    return start(db, clock, who, unit_id, village=RENXING, process_id="low_income_siping",
                 data=sa.low_income_application(RENXING, (1000, 800, 700)), form_data=sa.LOW_INCOME_FORMS,
                 fresh_applicant=True)


def test_the_province_supervisor_supervises_the_counties_of_its_province_only(db, clock, who, unit_id):
    with db.unit_of_work() as uow:
        principal = principal_of(uow.session, "province_js")
        jiangsu_counties = set(uow.session.execute(select(Unit.id).where(
            Unit.parent_id == unit_id("32"), Unit.level == "county")).scalars())
    assert ("province_supervisor", unit_id("32")) in principal.roles
    assert set(principal.units_for("county_supervisor")) == jiangsu_counties == {unit_id("320921")}
    assert unit_id("220302") not in principal.units_for("county_supervisor")
    assert principal.unit_names[unit_id("320921")] == "响水县"
    # The list's statement carries the counties: confined in SQL, not after loading.
    compiled = str(queries.select_supervisor_cases(principal, clock.today(), queries.SupervisorFilters()).compile(
        compile_kwargs={"literal_binds": True}))
    assert f"case_file.county_id IN ({unit_id('320921')})" in compiled or \
        f"county_id IN ({unit_id('320921')})" in compiled


def test_the_province_supervisor_sees_its_counties_cases_read_only(db, clock, who, unit_id, login):
    xiangshui = start(db, clock, who, unit_id)
    siping = _siping_case(db, clock, who, unit_id)
    province = login("province_js")
    listing = province.get("/supervisor").text
    assert xiangshui.number in listing and siping.number not in listing
    assert province.get(f"/cases/{xiangshui.case_id}").status_code == 200
    assert province.get(f"/cases/{siping.case_id}").status_code == 404
    task = xiangshui.open_tasks()[0]
    assert province.get(f"/tasks/{task.id}").status_code == 404  # no task to act on
    assert province.post_form(f"/tasks/{task.id}", {"acceptance_decision": "accepted"}).status_code in (403, 404)
    assert province.post_form(f"/cases/{xiangshui.case_id}/suspend", {"reason": "看看"}).status_code == 403
    assert xiangshui.open_tasks()[0].id == task.id and xiangshui.case().status == "running"
    assert xiangshui.number not in province.get("/inbox").text
    # The county supervisor is unchanged: their county, and no province page.
    county = login("supervisor")
    assert xiangshui.number in county.get("/supervisor").text and siping.number not in county.get("/supervisor").text
    assert county.get("/supervisor/province").status_code == 403


def test_the_province_dashboard_compares_its_counties_and_drills_down(db, clock, who, unit_id, login):
    walk = start(db, clock, who, unit_id)
    clock.advance(hours=2)
    walk.do("acceptance", acceptance_decision="not_accepted", acceptance_reasons="不符合申请条件")
    start(db, clock, who, unit_id)
    _siping_case(db, clock, who, unit_id)
    dashboard_sweep(db, clock)
    province = login("province_js")
    page = province.get("/supervisor/province")
    assert page.status_code == 200 and "省级监管看板" in page.text
    assert re.search(r'class="dash-running">1<', page.text) and re.search(r'class="dash-completed">1<', page.text)
    data = json.loads(re.search(r'id="dashboard-data">(.*?)</script>', page.text, re.S).group(1))
    assert data["areas"] == [["响水县", 1, 1]]  # per county; 四平市铁西区 is in 吉林省
    drill = f'href="/supervisor/dashboard?county={unit_id("320921")}"'
    assert drill in page.text and 'class="list counties"' in page.text
    county_page = province.get(f"/supervisor/dashboard?county={unit_id('320921')}")
    assert county_page.status_code == 200 and 'data-township="响水镇"' in county_page.text
    assert province.get(f"/supervisor/dashboard?county={unit_id('220302')}").status_code == 404
    assert province.get("/supervisor/dashboard?county=abc").status_code == 400
    exported = province.get("/supervisor/province?format=csv")
    assert exported.status_code == 200 and exported.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig"))))
    header = next(i for i, row in enumerate(rows) if row and row[0] == "县（区）")
    assert rows[0] == ["省级监管看板"] or rows[0][0] == "省级监管看板"
    assert rows[header + 1][:3] == ["响水县", "1", "1"] and len(rows) == header + 2
    xlsx = province.get("/supervisor/province?format=xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert province.get("/supervisor/province?format=pdf").status_code == 400
    assert province.get("/supervisor/province?from=2026-13").status_code == 400
    empty = province.get("/supervisor/province?from=2099-01").text
    assert re.search(r'class="dash-running">0<', empty)
    assert login("supervisor_tx").get("/supervisor/province").status_code == 403
