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
    own = login("township_xs").get("/reports/monthly?month=2026-11&format=csv").data.decode("utf-8-sig")
    assert "响水镇" in own and "陈家港镇" not in own, "a township's report is its own township's"
    assert login("village_sy").get("/reports/monthly?month=2026-11").status_code == 403
    other_county = login("supervisor_tx").get("/reports/payment-roll?month=2026-12&format=csv").data.decode("utf-8-sig")
    assert "户主1" not in other_county and len(other_county.strip().splitlines()) == 2


# Beside the 低保 households: other types in 响水县 — (type, township, village, persons, amount, payment, from).
OTHER_TYPES = [
    ("extreme_poverty", "320921100", "320921100201", 1, 1482.0, "monthly", date(2026, 11, 1)),
    ("temporary_assistance", "320921101", "320921101201", 3, 600.0, "once", date(2026, 11, 20)),
    ("temporary_assistance", "320921100", "320921100202", 2, 900.0, "once", date(2026, 10, 5)),  # paid in October
    ("low_income", "320921101", "320921101201", 4, 0.0, "monthly", date(2026, 10, 12)),          # recognition only
]


@pytest.fixture
def every_type(register, db, clock, who, unit_id):
    rows = [{"assistance_type": kind, "case_id": start(db, clock, who, unit_id).case_id, "county_id": unit_id("320921"),
             "township_id": unit_id(township), "village_id": unit_id(village), "applicant_name": f"{kind}对象",
             "applicant_id_number": f"3209211950010{i:04d}2", "household_size": size, "monthly_amount": amount,
             "payment_from": since, "stopped_from": None, "review_class": "B", "next_review_on": date(2027, 1, 1),
             "review_case_id": None, "status": "paid" if payment == "once" else "active", "payment": payment,
             "updated_at": datetime.now(timezone.utc)}
            for i, (kind, township, village, size, amount, payment, since) in enumerate(OTHER_TYPES)]
    with db.unit_of_work(write=True) as uow:
        uow.session.execute(insert(Recipient), rows)
        uow.commit()


def _csv(client, url) -> list[list[str]]:
    response = client.get(url)
    assert response.status_code == 200, response.text
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_the_report_of_all_types_has_each_type_per_township_and_the_countys_total_of_each(every_type, login):
    lines = _csv(login("supervisor"), "/reports/monthly?month=2026-11&type=all&format=csv")
    assert lines[0] == ["2026年11月社会救助保障对象月报"]
    assert lines[1] == ["县（区）", "乡镇（街道）", "救助类别", "户（人）数", "人数", "发放金额（元）"]
    assert lines[2:] == [
        ["响水县", "响水镇", "最低生活保障", "4", "8", "5240.0"],
        ["响水县", "响水镇", "特困人员救助供养", "1", "1", "1482.0"],
        ["响水县", "陈家港镇", "最低生活保障", "2", "4", "2620.0"],
        ["响水县", "陈家港镇", "临时救助（支出型）", "1", "3", "600.0"],     # paid in November; October's is not here
        ["响水县", "陈家港镇", "低收入家庭认定", "1", "4", "0.0"],
        ["响水县", "全县（区）合计", "最低生活保障", "6", "12", "7860.0"],
        ["响水县", "全县（区）合计", "特困人员救助供养", "1", "1", "1482.0"],
        ["响水县", "全县（区）合计", "临时救助（支出型）", "1", "3", "600.0"],
        ["响水县", "全县（区）合计", "低收入家庭认定", "1", "4", "0.0"],
        ["合计", "", "", "9", "20", "9942.0"]]
    october = _csv(login("supervisor"), "/reports/monthly?month=2026-10&type=temporary_assistance&format=csv")
    assert october[2:] == [["响水镇", "1", "2", "900.0"], ["合计", "1", "2", "900.0"]]


def test_the_roll_of_all_types_pays_one_offs_in_their_month_and_no_recognition(every_type, login):
    body = _csv(login("supervisor"), "/reports/payment-roll?month=2026-11&type=all&format=csv")[2:]
    kinds = [(row[6], row[7]) for row in body]
    assert ("临时救助（支出型）", "一次性（2026-11-20）") in kinds and ("特困人员救助供养", "按月") in kinds
    assert len(body) == 6 + 2, "6 低保 households paid in November, the 特困 person, the November one-off"
    assert "低收入家庭认定" not in {row[6] for row in body} and "900.0" not in {row[5] for row in body}
    assert all("*" in row[3] for row in body)
    full = _csv(login("county_mz"), "/reports/payment-roll?month=2026-11&type=all&format=csv&full=1")[2:]
    assert "320921195001000012" in {row[3] for row in full}, "the bank's copy: full numbers (audited)"


@pytest.mark.parametrize("kind", ["nonsense", "periodic_review", ""])
def test_a_report_of_no_benefit_type_is_refused_with_a_message(login, kind):
    response = login("supervisor").get(f"/reports/monthly?month=2026-11&type={kind}")
    assert response.status_code == 404 and "没有这一救助类别的报表" in response.text
