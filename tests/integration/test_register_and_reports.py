"""The register of recipients: filled by confirmed cases; the monthly report and payment roll."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timezone

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select

from engine.store.models import Recipient, Unit
from tests.factories import start


def test_a_confirmed_case_registers_the_household_with_its_review_date(db, clock, who, unit_id):
    w = start(db, clock, who, unit_id)
    w.drive_to("confirmation")
    w.do("confirmation", review_class="C")
    with db.unit_of_work() as uow:
        s = uow.session
        r = s.execute(select(Recipient).where(Recipient.case_id == w.case_id)).scalar_one()
    assert (r.status, r.monthly_amount, r.household_size, r.review_class) == ("active", 1840.0, 3, "C")
    assert r.payment_from == date(2026, 11, 1) and r.next_review_on == date(2027, 2, 1)  # C: quarterly


def _generate(db, unit_id, start_case_id: int = 1) -> list[dict]:
    """Recipients across 响水县's townships: active, starting later, stopped."""
    places = {"320921100": ["320921100201", "320921100202"], "320921101": ["320921101201"]}
    rows, n = [], 0
    for township, villages in places.items():
        for village in villages:
            for i, (amount, size, payment_from, stopped_from) in enumerate([
                    (1840.0, 3, date(2026, 6, 1), None), (780.0, 1, date(2026, 11, 1), None),
                    (920.5, 2, date(2026, 12, 1), None), (500.0, 2, date(2025, 1, 1), date(2026, 11, 1))]):
                n += 1
                rows.append({"assistance_type": "minimum_living", "case_id": None, "county_id": unit_id("320921"),
                             "township_id": unit_id(township), "village_id": unit_id(village),
                             "applicant_name": f"户主{n}", "applicant_id_number": f"3209211970010{n:04d}1",
                             "household_size": size, "monthly_amount": amount, "payment_from": payment_from,
                             "stopped_from": stopped_from, "review_class": "B", "next_review_on": date(2027, 1, 1),
                             "review_case_id": None, "status": "stopped" if stopped_from else "active",
                             "updated_at": datetime.now(timezone.utc)})
    return rows


@pytest.fixture
def register(db, clock, who, unit_id):
    # recipient.case_id references a case: give each generated recipient a real (lodged) case.
    rows = _generate(db, unit_id)
    for row in rows:
        row["case_id"] = start(db, clock, who, unit_id).case_id
    with db.unit_of_work(write=True) as uow:
        s = uow.session
        s.execute(insert(Recipient), rows)
        uow.commit()
    return rows


def test_monthly_report_counts_households_persons_and_amounts_per_township(register, login):
    response = login("supervisor").get("/reports/monthly?month=2026-11&format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert lines[0] == ["2026年11月最低生活保障保障对象月报"]
    table = {row[0]: row[1:] for row in lines[2:]}
    # November: the June and November starters are paid; December's not yet; the one stopped from 11-01 not.
    assert table["响水镇"] == ["4", "8", "5240.0"]       # 2 villages × (1840 + 780), 2 × (3 + 1) persons
    assert table["陈家港镇"] == ["2", "4", "2620.0"]
    assert table["合计"] == ["6", "12", "7860.0"]


def test_payment_roll_lists_each_household_masked_except_the_county_bank_copy(register, login):
    supervisor = login("supervisor")
    response = supervisor.get("/reports/payment-roll?month=2026-12&format=xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "2026年12月最低生活保障发放名册"
    body = values[2:]
    assert len(body) == 9 and sum(row[5] for row in body) == pytest.approx(3 * (1840 + 780 + 920.5))
    assert all("*" in row[3] for row in body)
    assert supervisor.get("/reports/payment-roll?month=2026-12&full=1").status_code == 403
    full = login("county_mz").get("/reports/payment-roll?month=2026-12&format=csv&full=1").data.decode("utf-8-sig")
    assert "32092119700100011" in full
    assert login("township_xs").get("/reports/monthly?month=2026-11").status_code == 403
    other_county = login("supervisor_tx").get("/reports/payment-roll?month=2026-12&format=csv").data.decode("utf-8-sig")
    assert "户主1" not in other_county and len(other_county.strip().splitlines()) == 2
