"""The admin's county rules page (read only): each county's and township's model per assistance type from
its date, the dated parameters, the entries in force today, and the line of counties.toml each comes from."""
from __future__ import annotations

from lxml import html

from engine.catalogue.rules import PROCESSES_DIR


def line_of(text: str, after: str) -> int:
    lines = (PROCESSES_DIR / "counties.toml").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if after in line)
    return next(i for i in range(start, 0, -1) if lines[i].startswith("[[county.")) + 1


def test_the_rules_page_shows_models_and_dated_parameters_with_their_lines(login):
    page = login("admin").get("/admin/rules")
    assert page.status_code == 200
    tree = html.fromstring(page.text)
    xiangshui = tree.xpath("//section[@data-county='320921']")[0].text_content()
    assert "响水模式：镇审核确认" in xiangshui and "780" in xiangshui and "700" in xiangshui
    header = tree.xpath("//section[@data-county='320921']//table[contains(@class, 'rules-table')]//th")
    in_force = [th.text_content() for th in header if "现行" in th.text_content()]
    assert len(in_force) == 1 and "2024-01-01" in in_force[0]
    assert f"processes/counties.toml:{line_of('', 'minimum_living_standard = 780')}" in in_force[0]
    xiangshan = tree.xpath("//section[@data-county='340603']")[0].text_content()
    assert "三堤口街道" in xiangshan and "三堤口模式：评审小组评审、街道审批" in xiangshan and "全县（区）" in xiangshan
    assert "有异议时" in xiangshui and "每次" in xiangshan


def test_only_admins_read_the_rules_page(login):
    for username in ("county_mz", "supervisor", "designer", "township_xs"):
        assert login(username).get("/admin/rules").status_code == 403


def test_a_township_with_rules_of_its_own_and_each_values_source_or_assumption(login):
    tree = html.fromstring(login("admin").get("/admin/rules").text)
    xiangshan = tree.xpath("//section[@data-county='340603']")[0]
    header = " ".join(th.text_content() for th in xiangshan.xpath(".//table[contains(@class, 'rules-table')]//th"))
    assert "三堤口街道" in header  # its own entry beside the district's
    notes = " ".join(d.text_content() for d in xiangshan.xpath(".//details[contains(@class, 'rule-notes')]"))
    assert "57号第十九条" in notes and "假设" in notes and "特困人员救助供养" in notes


def test_the_rules_page_names_where_a_refusal_can_be_challenged(login):
    tree = html.fromstring(login("admin").get("/admin/rules").text)
    xiangshui = tree.xpath("//section[@data-county='320921']//p[@class='appeal']")[0].text_content()
    assert "60 日内向响水县人民政府申请行政复议" in xiangshui and "响水县人民法院" in xiangshui
