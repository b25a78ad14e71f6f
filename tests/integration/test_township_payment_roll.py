"""The township runs its own payment roll (audit X7): township staff see and export their own township's roll
of every benefit type, accounts and ID numbers masked; a township deciding under delegation may take the
bank's copy and the bank's 代发 file (GBK, CRLF, a totals line), recorded like the county's; nobody else's
township is shown to them."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import insert, select

from engine.oversight.bank_file import BANK_HEADER, bank_chunks
from engine.oversight.reports import Report
from engine.store.models import IdReveal, Recipient
from tests.factories import start

MONTH = "2026-11"
HOSTILE = "=HYPERLINK(\"http://evil.example\",\"领取\")"
# (type, county, township, village, name, amount, payment, paid from, account)
BENEFITS = [
    ("minimum_living", "320921", "320921100", "320921100201", "响水甲", 1840.0, "monthly", date(2026, 6, 1),
     "6217001234567890123"),
    ("extreme_poverty", "320921", "320921100", "320921100202", "响水乙", 1248.0, "monthly", date(2026, 11, 1),
     "6217009876543210987"),
    ("minimum_living", "320921", "320921100", "320921100201", HOSTILE, 780.0, "monthly", date(2026, 6, 1),
     "6217005555444433332"),
    ("temporary_assistance", "320921", "320921100", "320921100201", "响水丙", 600.0, "once", date(2026, 11, 20),
     "6217001111222233334"),
    ("minimum_living", "320921", "320921101", "320921101201", "陈家港甲", 920.5, "monthly", date(2026, 6, 1),
     "6217002222333344445"),
    ("minimum_living", "340603", "340603001", "340603001001", "东街甲", 730.0, "monthly", date(2026, 6, 1),
     "6217003333444455556"),
]


@pytest.fixture
def benefits(db, clock, who, unit_id):
    rows = []
    for i, (kind, county, township, village, name, amount, payment, paid_from, account) in enumerate(BENEFITS):
        rows.append({"assistance_type": kind, "case_id": start(db, clock, who, unit_id).case_id,
                     "county_id": unit_id(county), "township_id": unit_id(township), "village_id": unit_id(village),
                     "applicant_name": name, "applicant_id_number": f"{county}19600101{i:03d}1",
                     "household_size": 2, "monthly_amount": amount, "payment_from": paid_from, "stopped_from": None,
                     "review_class": "B", "next_review_on": date(2027, 6, 1), "review_case_id": None,
                     "status": "active", "payment": payment, "payment_account": account, "account_keeper": "self",
                     "updated_at": datetime.now(timezone.utc)})
    with db.unit_of_work(write=True) as uow:
        uow.session.execute(insert(Recipient), rows)
        uow.commit()
    return rows


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def _reveals(db) -> list:
    with db.unit_of_work() as uow:
        return uow.session.execute(select(IdReveal.county_id, IdReveal.kind, IdReveal.row_count)).all()


def test_the_townships_roll_has_only_its_own_townships_benefits_of_every_type_masked(benefits, login):
    township = login("township_xs")
    lines = _csv(township.get(f"/reports/payment-roll?month={MONTH}&type=all&format=csv"))
    assert lines[0] == ["2026年11月社会救助发放名册"]
    body = lines[2:]
    assert {row[0] for row in body} == {"响水镇"}
    assert sorted(row[2] for row in body) == sorted(["响水甲", "响水乙", "'" + HOSTILE, "响水丙"])
    assert {row[6] for row in body} == {"最低生活保障", "特困人员救助供养", "临时救助（支出型）"}
    [first] = [row for row in body if row[2] == "响水甲"]
    assert first[8] == "*" * 15 + "0123" and "*" in first[3]
    assert not any(b[8] in str(line) for b in BENEFITS for line in lines), "no account in full"
    page = township.get(f"/payment-roll?month={MONTH}").data.decode()
    assert "响水甲" in page and "陈家港甲" not in page and "6217001234567890123" not in page
    assert "*" * 15 + "0123" in page and "format=bank" in page
    report = _csv(township.get(f"/reports/monthly?month={MONTH}&type=all&format=csv"))
    assert {row[1] for row in report[2:-1]} == {"响水镇"} and report[-1][0] == "合计"


def test_a_user_of_another_township_is_refused_and_sees_nothing(benefits, login, unit_id, db):
    xiangshui_town = unit_id("320921100")
    for username in ("township_cjg", "street_rx"):
        user = login(username)
        for path in (f"/reports/payment-roll?month={MONTH}&township={xiangshui_town}",
                     f"/reports/payment-roll?month={MONTH}&township={xiangshui_town}&format=bank",
                     f"/reports/monthly?month={MONTH}&township={xiangshui_town}",
                     f"/payment-roll?month={MONTH}&township={xiangshui_town}",
                     f"/reports/payment-roll?month={MONTH}&county={unit_id('320921')}"):
            response = user.get(path)
            assert response.status_code in (403, 404), (username, path)
            assert "响水甲" not in response.data.decode("utf-8", "replace")
    own = _csv(login("township_cjg").get(f"/reports/payment-roll?month={MONTH}&type=all&format=csv"))
    assert [row[2] for row in own[2:]] == ["陈家港甲"]
    assert login("village_sy").get(f"/payment-roll?month={MONTH}").status_code == 403
    assert _reveals(db) == []


def test_the_bank_file_of_a_township_deciding_under_delegation(benefits, login, db, unit_id):
    response = login("township_xs").get(f"/reports/payment-roll?month={MONTH}&type=all&format=bank")
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Content-Type"] == "text/csv; charset=GBK"
    raw = response.data
    text = raw.decode("gbk")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    lines = list(csv.reader(io.StringIO(text, newline="")))
    totals, header, payments = lines[0], lines[1], lines[2:]
    assert tuple(header) == BANK_HEADER
    # The township pays the monthly benefits it decides (低保, 特困 in 响水); the one-off 临时救助 stays the county's.
    assert [p[2] for p in payments] == ["响水甲", "'" + HOSTILE, "响水乙"]
    assert totals == ["总笔数", "3", "总金额", "3868.00"]
    assert int(totals[1]) == len(payments) and float(totals[3]) == sum(float(p[3]) for p in payments)
    assert [p[0] for p in payments] == ["1", "2", "3"]
    assert payments[0][1] == "6217001234567890123" and payments[0][4] == "32092119600101000" + "1"
    assert payments[0][5] == "2026年11月最低生活保障"
    assert _reveals(db) == [(unit_id("320921"), "payment_roll", 3)]


def test_a_township_on_the_county_confirmed_route_cannot_take_the_banks_copy(benefits, login, db):
    street = login("street_dj")  # 东街: the national route, the district confirms and pays
    assert [row[2] for row in _csv(street.get(f"/reports/payment-roll?month={MONTH}&format=csv"))[2:]] == ["东街甲"]
    for query in ("format=bank", "format=csv&full=1", "format=xlsx&full=1"):
        response = street.get(f"/reports/payment-roll?month={MONTH}&{query}")
        assert response.status_code == 403 and "6217003333444455556" not in response.data.decode()
    assert "format=bank" not in street.get(f"/payment-roll?month={MONTH}").data.decode()
    assert _reveals(db) == []


def test_the_countys_bank_file_pays_every_township_and_the_one_off_payments(benefits, login, db, unit_id):
    text = login("county_mz").get(f"/reports/payment-roll?month={MONTH}&type=all&format=bank").data.decode("gbk")
    lines = list(csv.reader(io.StringIO(text, newline="")))
    assert [p[2] for p in lines[2:]] == ["响水甲", "'" + HOSTILE, "响水丙", "响水乙", "陈家港甲"]
    assert lines[0] == ["总笔数", "5", "总金额", "5388.50"]
    assert login("supervisor").get(f"/reports/payment-roll?month={MONTH}&format=bank").status_code == 403
    assert login("county_mz").get(f"/reports/monthly?month={MONTH}&format=bank").status_code == 400


def test_the_bank_file_is_written_as_the_rows_come():
    """Memory stays flat: the first chunk leaves before the roll's rows are all read."""
    read = []

    def rows():
        for n in range(10_000):
            read.append(n)
            yield ["镇", "村", f"户主{n}", "320921196001010011", 1, 780.0, "最低生活保障", "按月", "6217", "本人"]

    report = Report("名册", [], rows(), date(2026, 11, 1), (10_000, 7_800_000.0))
    first = next(bank_chunks(report, lines_per_chunk=100))
    assert first.decode("gbk").startswith("总笔数,10000,总金额,7800000.00\r\n") and len(read) < 200
