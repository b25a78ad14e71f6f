"""The household registry (一户一档) at province scale: `python -m bench.households` (`make bench-households`;
also run by `python -m bench.run`, whose last lines then carry its three figures).

household_search_p95_ms
    p95 of one ``engine.search`` (households and cases, first page) by the county user county_mz (响水县):
    by a whole ID number and by a 2-character name prefix (surname + first given character, drawn from
    real rows, so common prefixes come up as often as they are common). The figure is the worse of the
    two p95s. Target ≤ 20.
duplicate_check_p95_ms
    p95 of ``engine.households.registry.check_duplicates`` at lodging of a 低保 application listing 3
    members: a quarter new people, a quarter members of a household with no application or benefit, a
    quarter members of a household with an open 低保 application, a quarter of one receiving 低保 (those
    two raise ``engine.errors.Duplicate`` and are samples too; every outcome is checked before
    measuring). Target ≤ 5.
dossier_page_p95_ms
    p95 of one household's file (一户一档): GET ``/households/<id>`` (rendered HTML) through the Flask test
    client as county_mz, like bench/run.py's inbox; ``engine.household_file`` alone (the read model) is
    printed beside it. Households with cases, so the page has members, history, applications, benefits,
    documents and attachments to show. Target ≤ 50.

The data, on PostgreSQL only (BENCH_DATABASE_URL or postgresql://postgres@127.0.0.1:5432/test; a
database jiuzhu_households_<pid> of its own, created and dropped here), migrated by
``engine.installation.prepare_store`` (the schema is the migrations', never written here): 100 counties
(the 3 demo ones plus real Jiangsu and Anhui county codes from python-stdnum's region table), 15 townships each,
20 villages each; 2,000,000 households and 6,000,000 people (sizes 1–6, mean 3) with valid 18-character
ID numbers (region = the county, birth date fitting the relation, sex digit, check digit by
``engine.catalogue.forms.with_check_digit``), Chinese names from weighted common surnames and common
given-name characters; each household's ``created`` event and a ``joined`` event per member; 200,000 cases
over ~170,000 households (10% running, with ``open_key``), two economic-status records per completed
case, three attachments and one or two documents (受理通知书, 确认通知书) per case, and a benefit (``recipient``, with ``active_key`` while active, and its
``recipient_change`` history) per granted case. Loaded with COPY (psycopg) with the loaded tables' secondary
indexes and constraints dropped, then rebuilt from their own definitions (checked equal to the migrated
schema), then VACUUM (ANALYZE). The load time is printed.

Measuring: BENCH_HH_RUNS runs (default 3) of BENCH_HH_SAMPLES samples (default 400) per kind, kinds
interleaved sample by sample with the baseline — a primary-key read of one household — so machine noise
hits all alike; each figure is the median of the runs' p95s, printed with its target and its ratio to
the baseline's p95. Each sample times the call alone inside a reading transaction under way (the page:
the whole request). EXPLAIN (ANALYZE, BUFFERS) of every statement sent is printed once; a sequential scan
of a registry table, or a filter throwing 1,000 rows or more away, is reported as a missing index.
BENCH_SCALE scales the households (the smoke test of `make test` runs at 0.01: 20,000 households over the
3 demo counties; at 0.1, 10 counties of the full size's 20,000 households each).
"""
from __future__ import annotations

import gc
import json
import os
import random
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from contextlib import contextmanager
from typing import Any, Callable, Iterator

os.environ.setdefault("JIUZHU_SECRET_KEY", "bench-secret")

from sqlalchemy import event, select, text  # noqa: E402
from stdnum import numdb  # noqa: E402

import engine  # noqa: E402  (the public API: search, the household file)
from bench.run import DEFAULT_PG, PgServer, WebUser, explain, make_app, p95  # noqa: E402
from engine.catalogue.forms import with_check_digit  # noqa: E402
from engine.catalogue.rules import benefit_of, catalog, process_for  # noqa: E402
from engine.catalogue.versions import latest_version_id  # noqa: E402
from engine.clock import FrozenClock  # noqa: E402
from engine.errors import Duplicate, NotFound  # noqa: E402
from engine.households.registry import Member, check_duplicates  # noqa: E402
from engine.installation import prepare_store  # noqa: E402
from engine.people.accounts import principal_of  # noqa: E402
from engine.runtime.workflow import SERIALIZER_VERSION  # noqa: E402
from engine.store.database import Database  # noqa: E402
from engine.store.models import (STATE_SCHEMA_VERSION, Attachment, Case, Document, EconomicRecord,  # noqa: E402
                                 Household, HouseholdEvent, Person, Recipient, RecipientChange)

START = datetime(2026, 9, 15, 2, 0, tzinfo=timezone.utc)  # the bench clock (10:00 in China)
SCALE = float(os.environ.get("BENCH_SCALE", 1))
N_HOUSEHOLDS = max(2_000, int(2_000_000 * SCALE))
N_COUNTIES = max(3, min(100, round(100 * SCALE)))  # 20,000 households a county at every scale
TOWNSHIPS, VILLAGES = 15, 20  # per county, per township
SIZES = (1, 2, 2, 2, 3, 3, 3, 4, 4, 6)  # household sizes, cycled in shuffled blocks: mean exactly 3
CASE_SHARE, SECOND_CASE_SHARE, RUNNING_SHARE, GRANTED_SHARE = 0.07, 0.015, 0.10, 0.70  # 8.5% of households, 10% cases
RUNS = max(1, int(os.environ.get("BENCH_HH_RUNS", 3)))
SAMPLES = max(5, int(os.environ.get("BENCH_HH_SAMPLES", 400)))
WARMUP = 20
COUNTY_USER, COUNTY_CODE = "county_mz", "320921"  # the county-scoped searcher (响水县, a demo county)
TARGETS = {"household_search_p95_ms": 20.0, "duplicate_check_p95_ms": 5.0, "dossier_page_p95_ms": 50.0}
TABLES = [t.name for t in (Household.__table__, Person.__table__, HouseholdEvent.__table__,
                           EconomicRecord.__table__, Case.__table__, Recipient.__table__,
                           RecipientChange.__table__, Attachment.__table__, Document.__table__)]
HOUSEHOLD, PERSON = Household.__table__, Person.__table__
NULL = "\\N"

# Surnames with their approximate shares (per cent) in China, then a tail of less common ones.
SURNAMES = dict(zip("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈",
                    (7.1, 7.0, 6.7, 5.4, 4.5, 3.1, 2.2, 2.0, 1.9, 1.9, 1.6, 1.5, 1.5, 1.4, 1.3, 1.2, 1.1, 1.1, 1.0, 1.0,
                     0.9, 0.9, 0.8, 0.7, 0.7, 0.6, 0.6, 0.6, 0.6, 0.6, 0.5, 0.5, 0.5, 0.5, 0.5, 0.4, 0.4, 0.4, 0.4,
                     0.4, 0.4, 0.4, 0.4, 0.4, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3)))
SURNAMES.update(dict.fromkeys("姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤",
                              0.25))
GIVEN = "".join(dict.fromkeys("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂兰玉华红建国文海燕春梅林辉鹏飞志宏晓东小云凤"
                             "金荣德福家佳欣怡婷雪琳俊浩宇轩子涵梓博斌新民永生长青树山水成才立芝淑珍翠萍"))
PLACE_CHARS = "东西南北新王李张陈桥河湾庄集港圩沟墩头口店堡岗塘园岭洼滩坝"
TYPES = {"minimum_living": 0.55, "extreme_poverty": 0.10, "disability_subsidy": 0.10,
         "old_age_allowance": 0.10, "temporary_assistance": 0.10, "low_income": 0.05}
COPY_ORDER = ("case", "economic", "attachment", "recipient", "change", "document")  # the COPYs of _cases
DOCUMENT_BODY = ("<h1>{title}</h1><p>{name}：</p><p>你（你家庭）提出的最低生活保障申请，经审查，符合受理条件，现予受理。"
                 "我们将按规定组织家庭经济状况核对和入户调查，请予配合，如实提供有关情况。</p>"
                 "<p class=\"sign\">乡镇人民政府（街道办事处）</p>")
MATERIALS = (("hukou", "户口簿.jpg"), ("id_card", "身份证.jpg"), ("income_proof", "收入证明.pdf"))


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S+00")


def _real_counties(exclude: set[str]) -> list[tuple[str, str]]:
    """County-level codes and names in force, from python-stdnum's region table (Jiangsu, then Anhui)."""
    found = []
    for _length, province, _high, _props, children in numdb.get("cn/loc").prefixes:
        if province in ("32", "34"):
            for _l, code, _h, props, _c in children:
                # "[1983-2001]东市区,[2002-]瑶海区": the last name, if still in force
                current = re.fullmatch(r"(?:\[\d*-\])?([^\[\],]+)", props.get("county", "").split(",")[-1])
                if current and not code.endswith("00") and current.group(1) != "市辖区" and province + code not in exclude:
                    found.append((province + code, current.group(1)))
    return sorted(found)


# --- the data -----------------------------------------------------------------------------------
@dataclass
class _Village:
    id: int
    township_id: int
    county_id: int
    label: str  # township + village name, for addresses


@dataclass
class _CaseHousehold:
    """A household that gets cases: what its case rows need."""

    id: int
    village: _Village
    members: list[tuple[int, str, str]]  # (person id, id number, name), the head first
    created: datetime
    cases: int


@dataclass
class _Counts:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


class _Province:
    """Generates and COPYs the province; keeps what the samples need (the searcher's county)."""

    def __init__(self, database: Database, say: Callable[[str], None], extra_tables: tuple[str, ...] = (),
                 more: Callable[[Any, "_Province"], None] | None = None) -> None:
        """``extra_tables``: more tables whose secondary indexes are dropped for the load and rebuilt;
        ``more(cursor, self)``: more rows loaded (INSERT … SELECT) after the COPYs, before the rebuild."""
        self.database, self.say = database, say
        self.tables, self.more = TABLES + list(extra_tables), more
        self.rng = random.Random(20260915)
        self.counts = _Counts()
        self.case_households: list[_CaseHousehold] = []
        self.county_id = 0  # the searcher's

    # units ---------------------------------------------------------------------------------------
    def _units(self, cur) -> dict[int, list[_Village]]:
        """Top the demo counties up and add generated ones to N_COUNTIES × 15 townships × 20 villages."""
        cur.execute("SELECT id, code, name, level, parent_id FROM unit")
        rows = cur.fetchall()
        next_id = max(r[0] for r in rows) + 1
        code_of = {r[0]: r[1] for r in rows}
        counties = [(r[0], r[1], r[2]) for r in rows if r[3] == "county"]
        counties.sort(key=lambda c: c[1] != COUNTY_CODE)
        new_units = []

        def add(code, name, level, parent):
            nonlocal next_id
            new_units.append((next_id, code, name, level, parent))
            code_of[next_id] = code
            next_id += 1
            return next_id - 1

        for code, name in _real_counties({c[1] for c in counties})[:N_COUNTIES - len(counties)]:
            counties.append((add(code, name, "county", None), code, name))
        villages: dict[int, list[_Village]] = {}
        rng = self.rng
        for county_id, code, _name in counties[:N_COUNTIES]:
            townships = [(r[0], r[2]) for r in rows if r[3] == "township" and r[4] == county_id]
            for k in range(TOWNSHIPS - len(townships)):
                tname = rng.choice(PLACE_CHARS) + rng.choice(PLACE_CHARS) + "镇"
                townships.append((add(f"{code}{200 + k:03d}", tname, "township", county_id), tname))
            for township_id, tname in townships:
                own = [(r[0], r[2]) for r in rows if r[3] == "village" and r[4] == township_id]
                for j in range(VILLAGES - len(own)):
                    vname = rng.choice(PLACE_CHARS) + rng.choice(PLACE_CHARS) + "村"
                    own.append((add(f"{code_of[township_id]}{300 + j:03d}", vname, "village", township_id), vname))
                villages.setdefault(county_id, []).extend(
                    _Village(v, township_id, county_id, tname + vname) for v, vname in own)
        with cur.copy("COPY unit (id, code, name, level, parent_id) FROM STDIN") as copy:
            for row in new_units:
                copy.write_row(row)
        cur.execute("SELECT setval(pg_get_serial_sequence('unit', 'id'), (SELECT max(id) FROM unit))")
        self.county_id = counties[0][0]
        self.county_codes = {c[0]: c[1] for c in counties[:N_COUNTIES]}
        self.counts.rows["counties"] = len(villages)
        self.counts.rows["villages"] = sum(len(v) for v in villages.values())
        return villages

    # households, people, their events ---------------------------------------------------------------
    def _people(self, copies, villages: dict[int, list[_Village]]) -> None:
        rng = self.rng
        surnames, weights = list(SURNAMES), list(SURNAMES.values())
        days = [(date(1925, 1, 1) + timedelta(days=d)) for d in range((date(2024, 12, 31) - date(1925, 1, 1)).days)]
        births = [d.strftime("%Y%m%d") for d in days]
        birth_iso = [d.isoformat() for d in days]
        new_year = {y: (date(y, 1, 1) - days[0]).days for y in range(1925, 2024)}
        hh_copy, person_copy, event_copy = copies
        per_county = N_HOUSEHOLDS // len(villages)
        hid, pid, eid = 1, 1, 1
        now = _stamp(START)
        span = (START - datetime(2015, 1, 1, tzinfo=timezone.utc)).total_seconds()
        for n_county, (county_id, county_villages) in enumerate(villages.items()):
            region = self.county_codes[county_id]
            n = per_county if n_county < len(villages) - 1 else N_HOUSEHOLDS - hid + 1
            sizes = []
            while len(sizes) < n:
                block = list(SIZES)
                rng.shuffle(block)
                sizes.extend(block)
            seen: set[str] = set()
            family = rng.choices(surnames, weights, k=n)
            hh_lines, person_lines, event_lines = [], [], []
            for i in range(n):
                size = sizes[i]
                village = county_villages[rng.randrange(len(county_villages))]
                address = f"{village.label}{rng.randint(1, 12)}组{rng.randint(1, 199)}号"
                created = datetime(2015, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=rng.random() * span)
                created_s = _stamp(created)
                head_year = rng.randint(1940, 1995)
                surname = family[i]
                members = []
                for m in range(size):
                    if m == 0:
                        relation, year, name_family = "self", head_year, surname
                    elif m == 1 and size > 2 or m == 1 and rng.random() < 0.6:
                        relation, year, name_family = "spouse", head_year + rng.randint(-5, 5), \
                            rng.choices(surnames, weights)[0]
                    elif m == size - 1 and size >= 5:
                        relation, year, name_family = "parent", head_year - rng.randint(22, 32), surname
                    else:
                        relation, year, name_family = "child", head_year + rng.randint(20, 36), surname
                    year = max(1925, min(2023, year))
                    given = rng.choice(GIVEN) if rng.random() < 0.25 else rng.choice(GIVEN) + rng.choice(GIVEN)
                    name = name_family + given
                    day = new_year[year] + rng.randrange(365)
                    male = not members[0][3] if relation == "spouse" else rng.random() < 0.5
                    while True:  # the 17th digit is odd for men
                        seq = rng.randrange(500) * 2 + male
                        first17 = f"{region}{births[day]}{seq:03d}"
                        if first17 not in seen:
                            seen.add(first17)
                            break
                    id_number = with_check_digit(first17)
                    members.append((pid, id_number, name, male))
                    disability = rng.choice("1234") if rng.random() < 0.03 else NULL
                    person_lines.append(
                        f"{pid}\t{id_number}\t{id_number[-6:]}\t{name}\t{'M' if male else 'F'}\t{birth_iso[day]}\t"
                        f"{hid}\t{relation}\t{disability}\t{address}\t{address}\t{county_id}\t{village.township_id}\t"
                        f"{village.id}\t{now}\n")
                    event_lines.append(f"{eid + 1 + m}\t{hid}\t{pid}\tjoined\t{created.date()}\t{NULL}\t{NULL}\t"
                                       f"{created_s}\t{{\"relation\": \"{relation}\"}}\n")
                    pid += 1
                event_lines.append(f"{eid}\t{hid}\t{NULL}\tcreated\t{created.date()}\t{NULL}\t{NULL}\t{created_s}\t{{}}\n")
                eid += size + 1
                phone = f"1{rng.choice('3589')}{rng.randrange(10 ** 9):09d}"
                hh_lines.append(f"{hid}\t{region}-H{i + 1:07d}\t{county_id}\t{village.township_id}\t{village.id}\t"
                                f"{address}\t{phone}\t{members[0][0]}\t{created_s}\t{now}\n")
                u = rng.random()
                if u < CASE_SHARE + SECOND_CASE_SHARE:
                    self.case_households.append(_CaseHousehold(
                        hid, village, [(p, idn, nm) for p, idn, nm, _m in members], created,
                        2 if u < SECOND_CASE_SHARE else 1))
                hid += 1
            hh_copy.write("".join(hh_lines))
            person_copy.write("".join(person_lines))
            event_copy.write("".join(event_lines))
            self.household_numbers[region] = n
        self.counts.rows.update(households=hid - 1, persons=pid - 1, household_events=eid - 1)

    # cases, economic records, attachments, benefits ---------------------------------------------------
    def _cases(self, copies) -> None:
        rng = self.rng
        version_for = self.version_for

        kinds, kind_weights = list(TYPES), list(TYPES.values())
        case_id = recipient_id = change_id = economic_id = attachment_id = document_id = 1
        serial: dict[tuple[str, int], int] = {}
        doc_serial: dict[tuple[str, str, int], int] = {}
        lines: dict[str, list[str]] = {key: [] for key in COPY_ORDER}
        for hh in self.case_households:
            chosen = rng.sample(kinds, hh.cases) if hh.cases > 1 else rng.choices(kinds, kind_weights)
            head_id, head_number, head_name = hh.members[0]
            for kind in chosen:
                benefit = benefit_of(kind)
                version_id, process_id = version_for(kind, hh.village.county_id)
                created = hh.created + timedelta(days=rng.uniform(0, max(1.0, (START - hh.created).days - 1)))
                running = rng.random() < RUNNING_SHARE
                if running:  # lodged in the last 45 days
                    created = START - timedelta(days=rng.uniform(0, 45))
                year = created.year
                county_code = self.county_codes[hh.village.county_id]
                serial[(county_code, year)] = serial.get((county_code, year), 0) + 1
                number = f"{county_code}-{year}-{serial[(county_code, year)]:06d}"
                subject = f"h{hh.id}" if benefit["subject"] == "household" else f"p{head_id}"
                key = f"{subject}:{kind}"
                size = len(hh.members)
                amount = round(rng.uniform(300, 900) * (size if benefit["subject"] == "household" else 1), 2)
                summary = json.dumps({"household_size": size, "monthly_amount": amount}, ensure_ascii=False)
                accepted = (created + timedelta(days=2)).date()
                if running:
                    status, outcome, step, completed, open_key = "running", NULL, "入户调查", NULL, key
                    updated = created + timedelta(days=2)
                else:
                    done = created + timedelta(days=rng.uniform(10, 40))
                    granted = rng.random() < GRANTED_SHARE
                    status, outcome, step, completed, open_key = ("completed", "end_confirmed" if granted else
                                                                  "end_not_confirmed", NULL, _stamp(done), NULL)
                    updated = done
                lines["case"].append(
                    f"{case_id}\t{number}\t{version_id}\t{process_id}\t{kind}\t{head_name}\t{head_number}\t"
                    f"{hh.village.county_id}\t{hh.village.township_id}\t{hh.village.id}\t{status}\t{outcome}\t{step}\t"
                    f"{summary}\t{{}}\t{SERIALIZER_VERSION}\t{STATE_SCHEMA_VERSION}\t3\t"
                    f"{accepted + timedelta(days=30)}\t{accepted}\t{_stamp(created)}\t{_stamp(updated)}\t{completed}\t"
                    f"{hh.id}\t{open_key}\n")
                incomes = json.dumps([{"id_number": idn, "name": nm, "source": "申报月收入",
                                       "monthly": rng.choice((0, 0, 300, 600, 1200))} for _p, idn, nm in hh.members],
                                     ensure_ascii=False)
                assets = json.dumps({"housing": "自有住房1套", "vehicles": 0, "deposits": rng.randrange(0, 20000, 100)},
                                    ensure_ascii=False)
                checked = created.date()
                lines["economic"].append(
                    f"{economic_id}\t{hh.id}\tdeclaration\t申请人申报\t{NULL}\t{NULL}\t{NULL}\t{checked}\t"
                    f"{checked + timedelta(days=182)}\t{incomes}\t{assets}\t{NULL}\t{size}\t{case_id}\t{NULL}\t"
                    f"{_stamp(created)}\n")
                economic_id += 1
                if not running:
                    checked = (created + timedelta(days=5)).date()
                    lines["economic"].append(
                        f"{economic_id}\t{hh.id}\tverification\t省核对平台\tHD{case_id:09d}\t"
                        f"{'eligible' if outcome == 'end_confirmed' else 'ineligible'}\t{NULL}\t{checked}\t"
                        f"{checked + timedelta(days=182)}\t{incomes}\t{assets}\t{NULL}\t{size}\t{case_id}\t"
                        f"economic_check\t{_stamp(created)}\n")
                    economic_id += 1
                for material, filename in MATERIALS:
                    lines["attachment"].append(
                        f"{attachment_id}\t{rng.getrandbits(256):064x}\t"
                        f"{'application/pdf' if filename.endswith('pdf') else 'image/jpeg'}\t"
                        f"{rng.randrange(80_000, 900_000)}\t{filename}\t{material}\t{hh.id}\t{case_id}\t{NULL}\t"
                        f"{hh.village.county_id}\t{hh.village.township_id}\t{hh.village.id}\t{NULL}\t{_stamp(created)}\n")
                    attachment_id += 1
                # The 受理通知书 of every case, the 确认通知书 of a granted one. Numbered by county code: the
                # engine's own 文号 starts with the county name's first character, which two counties share.
                for doc_kind, title, code in (("acceptance_notice", "受理通知书", "低受"),) + (
                        (("confirmation_notice", "最低生活保障确认通知书", "低确"),) if outcome == "end_confirmed" else ()):
                    doc_serial[(county_code, code, year)] = doc_serial.get((county_code, code, year), 0) + 1
                    lines["document"].append(
                        f"{document_id}	{case_id}	{doc_kind}	{county_code}民{code}〔{year}〕"
                        f"{doc_serial[(county_code, code, year)]}号	{title}	{DOCUMENT_BODY.format(name=head_name, title=title)}	"
                        f"{_stamp(created + timedelta(days=2))}\n")
                    document_id += 1
                if not running and outcome == "end_confirmed":
                    once = benefit["payment"] == "once"
                    active = not once and rng.random() < 0.85
                    rstatus = "paid" if once else "active" if active else "stopped"
                    start = (updated + timedelta(days=31)).date().replace(day=1)
                    lines["recipient"].append(
                        f"{recipient_id}\t{kind}\t{case_id}\t{hh.village.county_id}\t{hh.village.township_id}\t"
                        f"{hh.village.id}\t{head_name}\t{head_number}\t{size}\t{amount}\t{start}\t"
                        f"{NULL if rstatus != 'stopped' else start + timedelta(days=200)}\t"
                        f"{rng.choice('ABC')}\t{start + timedelta(days=365)}\t{NULL}\t{rstatus}\t{_stamp(updated)}\t"
                        f"{hh.id}\t{head_id}\t{'once' if once else 'monthly'}\t"
                        f"{'全自理' if kind == 'extreme_poverty' else NULL}\t{key if active else NULL}\n")
                    for effect, st in (("register", rstatus if rstatus != "stopped" else "active"),) + (
                            (("stop", "stopped"),) if rstatus == "stopped" else ()):
                        lines["change"].append(f"{change_id}\t{recipient_id}\t{case_id}\t{effect}\t{start}\t{amount}\t"
                                               f"A\t{st}\t{_stamp(updated)}\n")
                        change_id += 1
                    recipient_id += 1
                case_id += 1
            if len(lines["case"]) >= 20_000:
                self._flush(lines, copies)
        self._flush(lines, copies)
        self.counts.rows.update(cases=case_id - 1, economic_records=economic_id - 1, attachments=attachment_id - 1,
                                documents=document_id - 1,
                        recipients=recipient_id - 1, recipient_changes=change_id - 1)
        self.case_serials = serial

    def version_for(self, kind: str, county_id: int) -> tuple[int, str]:
        """The (process version id, process id) a county lodges an assistance type with."""
        versions = self.__dict__.setdefault("_versions", {})
        key = (kind, county_id)
        if key not in versions:
            try:
                process_id = process_for(kind, self.county_codes[county_id], None, START.date())
            except NotFound:
                process_id = catalog()[kind]["variants"]["national"]["process_id"]
            with self.database.unit_of_work() as uow:
                versions[key] = (latest_version_id(uow.session, process_id), process_id)
        return versions[key]

    @staticmethod
    def _flush(lines: dict[str, list[str]], copies) -> None:
        for copy, key in zip(copies, COPY_ORDER):
            copy.write("".join(lines[key]))
            lines[key].clear()

    # the load -------------------------------------------------------------------------------------------
    def load(self) -> _Counts:
        import psycopg
        url = self.database.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.household_numbers: dict[str, int] = {}
        t0 = time.perf_counter()
        with psycopg.connect(url, autocommit=True) as conn:
            cur = conn.cursor()
            before = _schema(cur, self.tables)
            dropped = _drop_secondary(cur, self.tables)
            villages = self._units(cur)
            self.counts.seconds["units"] = time.perf_counter() - t0
            t = time.perf_counter()
            self._copy_many(url, [
                ("household", "id, number, county_id, township_id, village_id, address, phone, head_id, created_at, "
                              "updated_at"),
                ("person", "id, id_number, id_tail, name, sex, birth_date, household_id, relation, disability_level, "
                           "hukou_place, residence_place, county_id, township_id, village_id, updated_at"),
                ("household_event", "id, household_id, person_id, kind, \"on\", case_id, actor_id, at, detail"),
            ], lambda copies: self._people(copies, villages))
            self.counts.seconds["households and people"] = time.perf_counter() - t
            t = time.perf_counter()
            self._copy_many(url, [
                ('"case"', "id, number, process_version_id, process_id, assistance_type, applicant_name, "
                           "applicant_id_number, county_id, township_id, village_id, status, outcome, current_step, "
                           "summary, state, serializer_version, schema_version, revision, due_on, accepted_on, "
                           "created_at, updated_at, completed_at, household_id, open_key"),
                ("economic_record", "id, household_id, kind, source, report_number, result, findings, checked_on, "
                                    "valid_until, incomes, assets, monthly_income, household_size, case_id, task_name, "
                                    "recorded_at"),
                ("attachment", "id, sha256, media_type, size, filename, material, household_id, case_id, task_name, "
                               "county_id, township_id, village_id, uploaded_by_id, uploaded_at"),
                ("recipient", "id, assistance_type, case_id, county_id, township_id, village_id, applicant_name, "
                              "applicant_id_number, household_size, monthly_amount, payment_from, stopped_from, "
                              "review_class, next_review_on, review_case_id, status, updated_at, household_id, "
                              "person_id, payment, care_level, active_key"),
                ("recipient_change", "id, recipient_id, case_id, effect, \"on\", monthly_amount, review_class, status, at"),
                ("document", "id, case_id, kind, number, title, body, issued_at"),
            ], lambda copies: self._cases(copies))
            self.counts.seconds["cases and benefits"] = time.perf_counter() - t
            if self.more is not None:
                t = time.perf_counter()
                self.more(cur, self)
                self.counts.seconds["more (INSERT … SELECT)"] = time.perf_counter() - t
            for table in TABLES:
                cur.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                            f"(SELECT coalesce(max(id), 1) FROM \"{table}\"))")
            # The counters lodging continues from (户编号, case numbers), as the engine's own would stand.
            with cur.copy("COPY number_sequence (key, value) FROM STDIN") as copy:
                for code, n in self.household_numbers.items():
                    copy.write_row((f"household:{code}", n))
                for (code, year), n in self.case_serials.items():
                    copy.write_row((f"case:{code}:{year}", n))
            t = time.perf_counter()
            took = _rebuild(url, dropped)
            self.counts.seconds["indexes and constraints"] = time.perf_counter() - t
            self.say("[households] slowest rebuilds: " + "; ".join(
                f"{' '.join(s.split()[:8])[:90]} … {v:.1f} s" for s, v in sorted(took.items(), key=lambda x: -x[1])[:8]))
            after = _schema(cur, self.tables)
            assert after == before, f"rebuilt schema differs: {sorted(before ^ after)[:5]}"
            t = time.perf_counter()
            cur.execute("VACUUM (ANALYZE) " + ", ".join(f'"{t}"' for t in self.tables + ["unit"]))
            self.counts.seconds["VACUUM (ANALYZE)"] = time.perf_counter() - t
        self.counts.seconds["total"] = time.perf_counter() - t0
        return self.counts

    @staticmethod
    def _copy_many(url: str, tables: list[tuple[str, str]], fill: Callable[[list], None]) -> None:
        """Open one COPY per table (a connection each, so they stream side by side) and let ``fill`` write."""
        import psycopg
        from contextlib import ExitStack
        with ExitStack() as stack:
            copies = []
            for table, columns in tables:
                conn = stack.enter_context(psycopg.connect(url, autocommit=True))
                copies.append(stack.enter_context(conn.cursor().copy(f"COPY {table} ({columns}) FROM STDIN")))
            fill(copies)


def _schema(cur, tables: list[str]) -> set[tuple[str, str]]:
    """The loaded tables' indexes and constraints, as their definitions."""
    cur.execute("SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
                "WHERE indrelid::regclass::text = ANY(%s)", (_quoted(tables),))
    indexes = set(cur.fetchall())
    cur.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid::regclass::text = ANY(%s)",
                (_quoted(tables),))
    return indexes | set(cur.fetchall())


def _quoted(tables: list[str]) -> list[str]:
    return [f'"{t}"' if t == "case" else t for t in tables]


def _drop_secondary(cur, tables: list[str]) -> dict[str, list[str]]:
    """Drop the loaded tables' foreign keys, unique constraints and other indexes (primary keys stay);
    return the statements that put them back, from their own definitions."""
    cur.execute("SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype FROM pg_constraint "
                "WHERE conrelid::regclass::text = ANY(%s) AND contype IN ('f', 'u')", (_quoted(tables),))
    constraints = cur.fetchall()
    cur.execute("SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
                "WHERE indrelid::regclass::text = ANY(%s) AND NOT indisprimary AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conindid = indexrelid)", (_quoted(tables),))
    indexes = cur.fetchall()
    for kind in ("f", "u"):
        for table, name, _definition, contype in constraints:
            if contype == kind:
                cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        cur.execute(f"DROP INDEX {name}")
    return {"indexes": [d for _n, d in indexes] + [
                f'ALTER TABLE {t} ADD CONSTRAINT "{n}" {d}' for t, n, d, k in constraints if k == "u"],
            "foreign_keys": [f'ALTER TABLE {t} ADD CONSTRAINT "{n}" {d}' for t, n, d, k in constraints if k == "f"]}


def _rebuild(url: str, dropped: dict[str, list[str]]) -> dict[str, float]:
    """Rebuild the indexes on two connections (2 cores), then the foreign keys on one (each validated; two
    at once could deadlock on the tables they share). Returns each statement's seconds."""
    import psycopg
    from concurrent.futures import ThreadPoolExecutor
    took: dict[str, float] = {}

    def run(statements: list[str]) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("SET maintenance_work_mem = '512MB'")
            conn.execute("SET max_parallel_maintenance_workers = 0")
            for statement in statements:
                t = time.perf_counter()
                conn.execute(statement)
                took[statement] = time.perf_counter() - t

    # Longest first, dealt to two workers alternately.
    order = sorted(dropped["indexes"], key=lambda d: (" person" not in d and "person " not in d, d))
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(run, [order[0::2], order[1::2]]))
    run(dropped["foreign_keys"])
    return took


# --- what is measured -------------------------------------------------------------------------------
def primary_key_read(session, household_id: int) -> list:
    """The baseline: one household by its primary key."""
    return session.execute(select(HOUSEHOLD).where(HOUSEHOLD.c.id == household_id)).all()


@dataclass
class _Inputs:
    ids: list[str]
    prefixes: list[str]
    applications: list[tuple[str, list[Member], str]]  # (assistance type, members, expected: new|pass|refused)
    dossiers: list[int]
    households: list[int]


def _inputs(database: Database, province: _Province, n: int) -> _Inputs:
    rng = random.Random(7)
    c = province.county_id
    with database.unit_of_work() as uow:
        s = uow.session
        people = s.execute(text("SELECT id_number, name FROM person WHERE county_id = :c ORDER BY random() LIMIT :n"),
                           {"c": c, "n": n}).all()
        open_hh = s.execute(text("""SELECT household_id FROM "case" WHERE county_id = :c AND open_key LIKE :k
                                     ORDER BY random() LIMIT :n"""), {"c": c, "n": n, "k": "h%:minimum_living"}).scalars().all()
        receiving_hh = s.execute(text("""SELECT household_id FROM recipient WHERE county_id = :c
                                          AND active_key LIKE :k ORDER BY random() LIMIT :n"""),
                                 {"c": c, "n": n, "k": "h%:minimum_living"}).scalars().all()
        free_hh = s.execute(text("""SELECT h.id FROM household h WHERE h.county_id = :c AND NOT EXISTS
                                     (SELECT 1 FROM "case" k WHERE k.household_id = h.id)
                                     ORDER BY random() LIMIT :n"""), {"c": c, "n": n}).scalars().all()
        dossiers = s.execute(text("""SELECT household_id FROM (SELECT DISTINCT household_id FROM "case"
                                      WHERE county_id = :c) d ORDER BY random() LIMIT :n"""), {"c": c, "n": n}).scalars().all()

        def listed(household_id: int) -> list[Member]:
            rows = s.execute(select(PERSON.c.id_number, PERSON.c.name, PERSON.c.relation).where(
                PERSON.c.household_id == household_id).order_by(PERSON.c.id).limit(3)).all()
            members = [Member(r.id_number, r.name, r.relation) for r in rows]
            return members + fresh(3 - len(members))

        serial = iter(range(1_000_000))

        def fresh(k: int) -> list[Member]:  # people the registry does not know (Beijing 东城区: no county loaded)
            return [Member(with_check_digit(f"110101{1950 + (i := next(serial)) % 60:04d}0101{i % 1000:03d}"),
                           "新申请人", "self" if j == 0 else "child") for j in range(k)]

        applications = []
        for i in range(n):
            kind = i % 4
            if kind == 0:
                applications.append(("minimum_living", fresh(3), "new"))
            elif kind == 1:
                applications.append(("minimum_living", listed(free_hh[i % len(free_hh)]), "pass"))
            elif kind == 2 and open_hh:
                applications.append(("minimum_living", listed(open_hh[i % len(open_hh)]), "refused"))
            else:
                applications.append(("minimum_living", listed(receiving_hh[i % len(receiving_hh)]), "refused"))
    rng.shuffle(applications)
    prefixes = [name[:2] for _idn, name in people]
    households = [rng.randrange(1, province.counts.rows["households"] + 1) for _ in range(n)]
    return _Inputs([p.id_number for p in people], prefixes, applications, dossiers, households)


class _Probe:
    """The SQL statements sent while active (for EXPLAIN)."""

    def __init__(self, engine) -> None:
        self.engine, self.statements = engine, []

    def _listener(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append((statement, parameters))

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._listener)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._listener)


SCAN = re.compile(r"(?:Seq Scan|Bitmap Heap Scan|Index Scan using \S+|Index Only Scan using \S+) on (\"?\w+\"?)")
REMOVED = re.compile(r"Rows Removed by Filter: (\d+)")


def _explain(database: Database, calls: dict[str, Callable[[], Any]], say: Callable[[str], None]) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) every SELECT each call sends; return what suggests a missing index: a
    sequential scan of a registry table, or a scan whose filter throws 1,000 rows or more away."""
    problems = []
    for label, call in calls.items():
        with _Probe(database.engine) as probe:
            call()
        statements = [st for st in probe.statements if st[0] != "SELECT 1"]  # not the transaction's warm-up
        say(f"[households] ({label}) {len(statements)} SQL statements")
        for plan in explain(database, statements, f"[households] ({label})"):
            node, found = "", {}  # node → what is wrong with it
            for line in plan:
                scan = SCAN.search(line)
                node = line.strip() if scan else node
                if scan and "Seq Scan" in line and scan.group(1).strip('"') in TABLES:
                    found[node] = f"{label}: {node}"
                removed = REMOVED.search(line)
                if removed and int(removed.group(1)) >= 1000:
                    found[node] = f"{label}: {node} — {line.strip()}"
            problems += found.values()
    return problems


def _median_p95(runs: list[list[float]]) -> float:
    return statistics.median(p95(r) for r in runs) * 1000


@contextmanager
def province_store(admin_url: str, tag: str, say: Callable[[str], None], keep: bool = False,
                   reuse: str | None = None) -> Iterator[Database]:
    """A migrated store in a PostgreSQL database of its own (jiuzhu_<tag>_<pid>), dropped on leaving unless
    ``keep``; ``reuse``: the name of such a database kept by an earlier run (neither created, migrated nor
    dropped), to measure again without loading."""
    server = PgServer(admin_url, reuse or f"jiuzhu_{tag}_{os.getpid()}")
    version = "(kept)" if reuse else server.create()
    say(f"[{tag}] PostgreSQL {version}, database {server.name}; scale {SCALE:g}; {os.cpu_count()} CPUs, "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    database = None
    try:
        database = Database(server.url)
        if not reuse:
            prepare_store(database, START)
        yield database
    finally:
        if database is not None:
            database.dispose()
        if keep or reuse:
            say(f"[{tag}] kept database {server.name} (BENCH_REUSE={server.name} measures it again; "
                f"DROP DATABASE when done)")
        else:
            server.drop()
            say(f"[{tag}] dropped database {server.name}")


def measure_households(target: Any = None, say: Callable[[str], None] = print) -> dict[str, float]:
    """Load the province into a database of its own, measure, drop it; return the three figures (ms)."""
    admin_url = getattr(target, "admin_url", target) or os.environ.get("BENCH_DATABASE_URL") or DEFAULT_PG
    with province_store(admin_url, "households", say) as database:
        province = _Province(database, say)
        counts = province.load()
        rows = counts.rows
        say(f"[households] loaded {rows['counties']} counties / {rows['villages']:,} villages, "
            f"{rows['households']:,} households, {rows['persons']:,} people, {rows['household_events']:,} household "
            f"events, {rows['cases']:,} cases, {rows['economic_records']:,} economic records, "
            f"{rows['attachments']:,} attachments, {rows['documents']:,} documents, {rows['recipients']:,} benefits "
            f"({rows['recipient_changes']:,} changes) in {counts.seconds['total']:.0f} s: "
            + ", ".join(f"{k} {v:.0f} s" for k, v in counts.seconds.items() if k != "total"))
        with database.unit_of_work() as uow:
            s = uow.session
            size = s.execute(text("SELECT pg_size_pretty(pg_database_size(current_database()))")).scalar()
            in_county = s.execute(text("SELECT count(*) FROM person WHERE county_id = :c"),
                                  {"c": province.county_id}).scalar()
            actor = principal_of(s, COUNTY_USER)
        say(f"[households] database size {size}; {in_county:,} people in the searcher's county ({COUNTY_CODE})")
        inputs = _inputs(database, province, SAMPLES)
        web = WebUser(make_app(database, FrozenClock(START)), COUNTY_USER)

        def page(household_id: int):
            response = web.client.get(f"/households/{household_id}")
            assert response.status_code == 200, response.status_code
            return response

        def duplicate(application) -> str:
            kind, members, expected = application
            with database.unit_of_work() as uow:
                try:
                    check_duplicates(uow.session, kind, members)
                    got = "pass"
                except Duplicate:
                    got = "refused"
            return got

        # Each expected outcome holds (a bench that measured the wrong path would say nothing).
        outcomes = [(expected, duplicate(a)) for a in inputs.applications for expected in [a[2]]]
        wrong = [(e, g) for e, g in outcomes if (e == "refused") != (g == "refused")]
        assert not wrong, f"duplicate check outcomes differ from the data: {wrong[:5]}"
        _check_finds(database, actor, inputs)

        kinds: dict[str, Callable[[int], Callable]] = {
            "search_id": lambda i: lambda s: engine.search(s, actor, inputs.ids[i % len(inputs.ids)]),
            "search_name": lambda i: lambda s: engine.search(s, actor, inputs.prefixes[i % len(inputs.prefixes)]),
            "duplicate": lambda i: lambda s: _check(s, inputs.applications[i % len(inputs.applications)]),
            "dossier": None,  # the page, below
            "dossier_read": lambda i: lambda s: engine.household_file(s, actor, inputs.dossiers[i % len(inputs.dossiers)]),
            "baseline": lambda i: lambda s: primary_key_read(s, inputs.households[i % len(inputs.households)]),
        }
        perf, cpu = time.perf_counter, time.process_time

        def timed(kind: str, i: int) -> tuple[float, float]:
            """One sample, wall and process CPU seconds: the call alone inside a transaction under way
            (connection checked out, BEGIN sent, as in the request that makes the call), or the whole page."""
            if kind == "dossier":
                t, c = perf(), cpu()
                page(inputs.dossiers[i % len(inputs.dossiers)])
                return perf() - t, cpu() - c
            call = kinds[kind](i)
            with database.unit_of_work() as uow:
                uow.session.execute(text("SELECT 1"))
                t, c = perf(), cpu()
                call(uow.session)
                return perf() - t, cpu() - c

        calls = {k: (lambda k=k: timed(k, 0)) for k in kinds if k != "duplicate"}
        for outcome in ("new", "pass", "refused"):  # each path of the check (the lookups differ)
            first = next(i for i, a in enumerate(inputs.applications) if a[2] == outcome)
            calls[f"duplicate, {outcome}"] = lambda first=first: timed("duplicate", first)
        problems = _explain(database, calls, say)
        runs: dict[str, list[list[float]]] = {k: [] for k in kinds}
        for run in range(RUNS):
            samples: dict[str, list[float]] = {k: [] for k in kinds}
            cpu_s: dict[str, list[float]] = {k: [] for k in kinds}
            gc.collect()
            for i in range(-WARMUP, SAMPLES):
                for kind in kinds:
                    elapsed, busy = timed(kind, i)
                    if i >= 0:
                        samples[kind].append(elapsed)
                        cpu_s[kind].append(busy)
            for kind in kinds:
                runs[kind].append(samples[kind])
            say(f"[households] run {run + 1}/{RUNS} ({SAMPLES} samples each): " + ", ".join(
                f"{k} median {statistics.median(v) * 1000:.2f} / p95 {p95(v) * 1000:.2f} ms (this process's CPU: "
                f"median {statistics.median(cpu_s[k]) * 1000:.2f} ms)" for k, v in samples.items())
                + f"; load average {os.getloadavg()[0]:.2f}")
        baseline = _median_p95(runs["baseline"])
        figures = {
            "household_search_p95_ms": max(_median_p95(runs["search_id"]), _median_p95(runs["search_name"])),
            "duplicate_check_p95_ms": _median_p95(runs["duplicate"]),
            "dossier_page_p95_ms": _median_p95(runs["dossier"]),
        }
        say(f"[households] baseline (one household by primary key): p95 {baseline:.2f} ms, median "
            f"{statistics.median(statistics.median(r) for r in runs['baseline']) * 1000:.2f} ms (median of {RUNS} runs)")
        for kind in ("search_id", "search_name", "duplicate", "dossier", "dossier_read"):
            value = _median_p95(runs[kind])
            say(f"[households] {kind}: p95 {value:.2f} ms (runs: "
                f"{', '.join(f'{p95(r) * 1000:.2f}' for r in runs[kind])}), median "
                f"{statistics.median(statistics.median(r) for r in runs[kind]) * 1000:.2f} ms; "
                f"{value / baseline:.1f}× the baseline p95")
        for name, value in figures.items():
            say(f"[households] {name} = {value:.2f} (target ≤ {TARGETS[name]:.0f}; {value / baseline:.1f}× the "
                f"primary-key baseline) {'OK' if value <= TARGETS[name] else 'OVER TARGET'}")
        for problem in problems:
            say(f"[households] MISSING INDEX? {problem}")
        if not problems:
            say("[households] no statement measured scans a registry table sequentially or filters 1,000 rows away")
        return figures


def _check_finds(database: Database, actor, inputs: _Inputs) -> None:
    """The search finds each searched person's household (by ID number) and someone by each prefix."""
    with database.unit_of_work() as uow:
        for query in inputs.ids[:50] + inputs.prefixes[:50]:
            assert engine.search(uow.session, actor, query).households, f"nothing found for {query!r}"


def _check(session, application) -> None:
    kind, members, _expected = application
    try:
        check_duplicates(session, kind, members)
    except Duplicate:
        pass


def main() -> int:
    t0 = time.perf_counter()
    figures = measure_households()
    print(f"total bench time {time.perf_counter() - t0:.0f} s", flush=True)
    for name, value in figures.items():
        print(f"{name}={value:.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
