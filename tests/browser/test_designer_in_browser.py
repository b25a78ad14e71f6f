"""A designer adds a step to the Xiangshui 低保 route in the browser's modeler and deploys it, in a real browser
on the real app and store: the lint asks for the missing form, the server's validation (the checks of
`jiuzhu deploy`) puts its problem on the element, the note is required, the history lists the new version,
the diff shows the new task, new cases get the step and running cases stay on their version until the
migration preview calls them safe and the batch moves them.

Set JIUZHU_SCREENSHOTS=docs/screenshots to keep the pages' screenshots (1366 px, the history also at 390 px).
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.store.models import Case, ProcessDraft, ProcessVersion
from tests.browser.test_application_in_browser import browser_page, log_in, skip_unless_browser
from tests.factories import start

pytestmark = pytest.mark.browser

ROUTE = "minimum_living_xiangshui"
NEW_STEP = "邻里访问"
# The flow from 民主评议 down to the gateway after it (processes/minimum_living/xiangshui.bpmn): dropping a task
# on its part in the village lane (diagram x 2370, y 205) inserts the task into the flow.
DROP = (2370, 205)


def workbench_app(db, clock):
    """The app on the test store, as the workbench's browser tests open it."""
    from webapp import create_app
    return create_app({"DATABASE": db, "CLOCK": clock, "SECRET_KEY": "browser-test"})


def _drop_point(page) -> dict:
    """Show the drop point at 100 % and return where it is on the screen."""
    return page.evaluate("""([x, y]) => {
      const canvas = window.jiuzhuModeler.get('canvas');
      const box = document.getElementById('wb-canvas').getBoundingClientRect();
      canvas.viewbox({x: x - box.width / 2, y: 40, width: box.width, height: box.height});
      const vb = canvas.viewbox();
      return {x: box.left + (x - vb.x) * vb.scale, y: box.top + (y - vb.y) * vb.scale};
    }""", list(DROP))


def _elements_named(page, name: str) -> list:
    return page.evaluate("""(name) => window.jiuzhuModeler.get('elementRegistry')
        .filter(e => e.businessObject.name === name && !e.labelTarget)
        .map(e => ({id: e.id, type: e.type, lane: (e.businessObject.lanes || []).map(l => l.id)}))""", name)


def _wait_status(page) -> str:
    page.wait_for_function("() => !document.getElementById('wb-status').textContent.includes('正在')")
    return page.inner_text("#wb-status")


def test_a_designer_adds_a_step_validates_and_deploys_it(db, clock, who, unit_id, tmp_path, forget_new_versions):
    skip_unless_browser(db)
    shots = Path(os.environ.get("JIUZHU_SCREENSHOTS") or tmp_path)
    running = start(db, clock, who, unit_id)  # lodged before the deploy: stays on its version until migrated
    with db.unit_of_work() as uow:
        old_version = uow.session.get(Case, running.case_id).process_version_id
    app = workbench_app(db, clock)
    with browser_page(app, tmp_path, locale="zh-CN", viewport={"width": 1366, "height": 900}) as (base, page):
        log_in(page, base, "designer")
        page.goto(f"{base}/designer/processes/{ROUTE}")
        page.wait_for_selector("#workbench[data-ready=true]")
        assert "已打开最新版本" in page.inner_text("#wb-status")
        page.evaluate("""() => { const m = window.jiuzhuModeler;  // the picture shows a step's Jiuzhu rules
            m.get('selection').select(m.get('elementRegistry').get('acceptance')); }""")
        page.locator("[data-group-id=group-jiuzhu]").wait_for()
        page.screenshot(path=str(shots / "designer-modeler.png"))

        # Drop a task from the palette onto the flow in the village lane, name it, make it a user task.
        point = _drop_point(page)
        page.click('.djs-palette [data-action="create.task"]')
        page.mouse.move(point["x"] - 30, point["y"] + 10, steps=4)
        page.mouse.move(point["x"], point["y"], steps=4)
        page.mouse.click(point["x"], point["y"])
        page.keyboard.type(NEW_STEP)
        page.mouse.click(point["x"] + 300, point["y"] + 400)  # empty canvas: ends the label editing
        [task] = _elements_named(page, NEW_STEP)
        assert task["lane"] == ["Lane_village"]
        replace = page.locator('.djs-context-pad.open [data-action="replace"]')
        for _attempt in range(3):  # the first click may still be taken by the label editor closing
            page.click(f'#wb-canvas [data-element-id="{task["id"]}"]')
            try:
                replace.wait_for(timeout=2000)
                break
            except Exception:
                continue
        replace.click()
        page.click('.djs-popup [data-id="replace-with-user-task"]')
        [task] = _elements_named(page, NEW_STEP)
        assert task["type"] == "bpmn:UserTask"

        # The Jiuzhu group: the camunda fields the engine ignores are not offered; the lint asks for a form.
        panel = page.locator("#wb-properties")
        assert panel.locator("[data-group-id=group-jiuzhu]").count() == 1
        assert panel.locator("[data-group-id=group-CamundaPlatform__UserAssignment]").count() == 0
        lint = page.locator("#wb-lint li", has_text=NEW_STEP)
        lint.filter(has_text="用户任务缺少表单").wait_for()

        # A deadline the engine cannot read: the panel says so, and so does the server's validation, on the element.
        page.fill("#bio-properties-panel-jz-deadline", "3 weeks")
        page.locator(".bio-properties-panel-error", has_text="格式应为 10wd").wait_for()
        page.click("#wb-validate")
        assert "发现 1 个问题" in _wait_status(page)
        problem = page.locator("#wb-problems li", has_text=NEW_STEP)
        assert "期限「3 weeks」格式应为" in problem.inner_text()
        assert page.locator(f'[data-element-id="{task["id"]}"].jz-has-problem').count() == 1
        page.screenshot(path=str(shots / "designer-validation.png"), full_page=True)

        # Fixed: 3 working days, and a new form made beside the diagram, previewed as the task page renders it.
        page.fill("#bio-properties-panel-jz-deadline", "3wd")
        page.fill("#wb-form-new-key", "neighbour_visit")
        page.click("#wb-form-new")
        lint.filter(has_text="用户任务缺少表单").wait_for(state="detached")
        assert page.input_value("#bio-properties-panel-jz-formKey") == "neighbour_visit"
        page.locator("#wb-form-preview label", has_text="情况记录").wait_for()
        schema = json.loads(page.input_value("#wb-form-json"))
        schema["properties"]["visited_households"] = {"type": "integer", "title": "走访户数", "minimum": 1}
        page.fill("#wb-form-json", json.dumps(schema, ensure_ascii=False, indent=2))
        page.locator("#wb-form-preview label", has_text="走访户数").wait_for()
        page.screenshot(path=str(shots / "designer-form.png"), full_page=True)
        page.click("#wb-validate")
        assert _wait_status(page) == "校验通过，可以部署"
        assert page.locator("#wb-problems li").count() == 0 and page.locator(".jz-has-problem").count() == 0

        # Deploy: the note is required.
        page.click("#wb-deploy")
        page.fill("#wb-note", "村委会增加邻里访问，核实家庭实际生活状况（3 个工作日）")
        page.click("#wb-deploy-confirm")
        assert "已部署新版本" in _wait_status(page)
        with db.unit_of_work() as uow:  # a deploy moves no running case
            assert uow.session.get(Case, running.case_id).process_version_id == old_version
        with page.expect_navigation():
            page.click("#wb-status a")
        row = page.locator("table.wb-history tbody tr").first
        assert "村委会增加邻里访问" in row.inner_text() and "流程设计 陈工" in row.inner_text()
        assert "最新" in row.inner_text()
        page.screenshot(path=str(shots / "designer-history.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(shots / "designer-history-390.png"), full_page=True)
        page.set_viewport_size({"width": 1366, "height": 900})

        # The diff with the previous version: the new task is added, on the diagram and in the list.
        with page.expect_navigation():
            row.locator("a", has_text="与上一版本对比").click()
        page.wait_for_selector("#diff[data-ready=true]")
        assert page.locator(f'#diff-new [data-element-id="{task["id"]}"].diff-added').count() == 1
        added = page.locator("#diff-rows tr.diff-added", has_text=NEW_STEP)
        assert added.count() == 1
        page.screenshot(path=str(shots / "designer-diff.png"), full_page=True)

        # The running case: the preview says it may move (it is at 受理审查, unchanged), then the batch moves it.
        with page.expect_navigation():
            page.click(".wb-tabs a[href$='/migrate']")
        case_row = page.locator(f'tr[data-case="{running.number}"]')
        assert "受理审查" in case_row.inner_text() and "可以迁移" in case_row.inner_text()
        page.screenshot(path=str(shots / "designer-migrate.png"), full_page=True)
        with page.expect_navigation():
            page.click("text=迁移所选案件")
        assert "已迁移 1 件（共 1 件）" in page.inner_text("main")
        assert "已迁移" in page.locator(f'tr[data-case="{running.number}"] td.result').inner_text()
        page.screenshot(path=str(shots / "designer-migrated.png"), full_page=True)

    with db.unit_of_work() as uow:
        s = uow.session
        newest = s.execute(select(ProcessVersion).where(ProcessVersion.process_id == ROUTE)
                           .order_by(ProcessVersion.id.desc()).limit(1)).scalar_one()
        step = newest.tasks[task["id"]]
        village_lane = newest.tasks["supplement"]["lane"]  # 补正材料 is in the village lane (its code or name)
        assert (step["title"], step["lane"], step["form_key"], step["properties"]) == (
            NEW_STEP, village_lane, "neighbour_visit", {"deadline": "3wd"})
        assert newest.forms["neighbour_visit"]["properties"]["visited_households"]["title"] == "走访户数"
        assert newest.note.startswith("村委会增加邻里访问")
        assert s.get(Case, running.case_id).process_version_id == newest.id  # migrated
    lodged_after = start(db, clock, who, unit_id)
    with db.unit_of_work() as uow:
        assert uow.session.get(Case, lodged_after.case_id).process_version_id == newest.id


DMN_ROUTE, DMN_TABLE = "temporary_assistance_xiangshui", "temporary_assistance_approver"


def _edit_cell(page, element_id: str, text: str) -> None:
    cell = page.locator(f'td[data-element-id="{element_id}"] [contenteditable]')
    cell.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.keyboard.press("Escape")


def test_a_designer_edits_a_decision_table_and_the_server_validates_it(db, clock, tmp_path, forget_new_versions):
    skip_unless_browser(db)
    shots = Path(os.environ.get("JIUZHU_SCREENSHOTS") or tmp_path)
    app = workbench_app(db, clock)
    with browser_page(app, tmp_path, locale="zh-CN", viewport={"width": 1366, "height": 900}) as (base, page):
        log_in(page, base, "designer")
        # From the business rule task's Jiuzhu group to the table's page.
        page.goto(f"{base}/designer/processes/{DMN_ROUTE}")
        page.wait_for_selector("#workbench[data-ready=true]")
        page.evaluate("""() => { const m = window.jiuzhuModeler;
            m.get('selection').select(m.get('elementRegistry').get('decide_approver')); }""")
        page.locator("a.jz-decision-link").wait_for()
        page.screenshot(path=str(shots / "designer-decision-link.png"))
        with page.expect_navigation():
            page.click("a.jz-decision-link")
        assert page.url.endswith(f"/decisions/{DMN_TABLE}")
        page.wait_for_selector(f'td[data-element-id="Rule_xiangshui_approver"]')

        _edit_cell(page, "Rule_xiangshui_approver", "__import__('os').system('id')")
        page.click("#dmn-save")
        page.wait_for_selector("#wb-status.error")
        assert "Rule_xiangshui_approver" in page.inner_text("#wb-problems")
        with db.unit_of_work() as uow:
            assert uow.session.execute(select(ProcessDraft)).first() is None

        _edit_cell(page, "Rule_xiangshui_approver", '"county"')
        page.click("#dmn-save")
        page.wait_for_selector("#wb-status.ok")
        assert "校验通过" in page.inner_text("#wb-status")
        page.screenshot(path=str(shots / "designer-dmn.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(shots / "designer-dmn-390.png"), full_page=True)
        with db.unit_of_work() as uow:
            [tables] = uow.session.execute(select(ProcessDraft.decisions)).scalars().all()
        assert '"county"' in tables[DMN_TABLE].split('id="Rule_xiangshui_approver"', 1)[1][:80]


def test_a_designer_simulates_the_near_relative_branch_down_to_the_county_home_visit(db, clock, tmp_path):
    skip_unless_browser(db)
    shots = Path(os.environ.get("JIUZHU_SCREENSHOTS") or tmp_path)
    with db.unit_of_work() as uow:
        cases_before = uow.session.execute(select(func.count()).select_from(Case)).scalar()
    app = workbench_app(db, clock)
    with browser_page(app, tmp_path, locale="zh-CN", viewport={"width": 1366, "height": 900}) as (base, page):
        log_in(page, base, "designer")
        page.goto(f"{base}/designer/processes/{ROUTE}")
        page.click("nav.wb-tabs >> text=模拟运行")
        page.wait_for_selector("#simulation[data-ready=true]")
        assert page.is_visible("#sim-drawn-version") and not page.is_visible("#sim-drawn-draft")
        start = json.loads(page.input_value("#sim-start"))
        page.fill("#sim-start", json.dumps({**start, "near_relative": True}, ensure_ascii=False))
        page.click("#sim-lodge")
        for taken in range(1, 20):   # complete each open step with the data it is prefilled with
            page.wait_for_selector(f"#simulation[data-steps='{taken - 1}']")
            if page.locator('.sim-step[data-task="county_home_visit"]').count():
                break
            page.locator(".sim-step .sim-complete").first.click()
        visit = page.locator('.sim-step[data-task="county_home_visit"]')
        assert "县（区）民政局" in visit.inner_text() and "响水县" in visit.inner_text() and "期限 2wd" in visit.inner_text()
        assert page.locator('#sim-taken tr[data-task="near_relative_filing"]').count() == 1
        assert "受理通知书" in page.inner_text('#sim-taken tr[data-task="acceptance"]')
        assert page.evaluate("""() => window.jiuzhuSimulation.get('canvas')
            .hasMarker('county_home_visit', 'sim-open')""")
        page.screenshot(path=str(shots / "designer-simulation.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        # at phone width the page keeps the screen's width: the steps taken scroll inside their pane
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(shots / "designer-simulation-390.png"), full_page=True)
    with db.unit_of_work() as uow:
        assert uow.session.execute(select(func.count()).select_from(Case)).scalar() == cases_before


# bpmn-js-bpmnlint lints asynchronously after the import and after each change, and only the run started last
# reports ('linting.completed', on which the workbench fills #wb-lint). The page counts the reports (the counter
# is registered after the workbench's own listener, so it runs after #wb-lint is filled).
COUNT_LINT_RUNS = """Object.defineProperty(window, 'jiuzhuModeler', { configurable: true,
    get() { return this.__jzModeler; },
    set(modeler) { this.__jzModeler = modeler; window.__jzLintRuns = 0;
                   modeler.on('linting.completed', () => { window.__jzLintRuns += 1; }); } });"""


def _lint_runs(page) -> int:
    return page.evaluate("() => window.__jzLintRuns")


def _lint(page, after: int = 0) -> list[str]:
    """The lint errors the workbench shows once the lint has reported more than ``after`` times on this page."""
    page.wait_for_function("n => window.__jzLintRuns > n", arg=after)
    return page.locator("#wb-lint li.lint-error").all_inner_texts()


def test_the_lint_mirrors_deploy_on_lanes_gateway_branches_and_property_names(db, clock, tmp_path):
    skip_unless_browser(db)
    with db.unit_of_work() as uow:
        routes = sorted(set(uow.session.execute(select(ProcessVersion.process_id)).scalars()))
    app = workbench_app(db, clock)
    with browser_page(app, tmp_path, locale="zh-CN", viewport={"width": 1366, "height": 900}) as (base, page):
        page.add_init_script(COUNT_LINT_RUNS)
        log_in(page, base, "designer")
        for route in routes:   # every shipped route deploys, so the advice finds nothing in any
            page.goto(f"{base}/designer/processes/{route}")
            page.wait_for_selector("#workbench[data-ready=true]")
            assert _lint(page) == [], route
        page.goto(f"{base}/designer/processes/{ROUTE}")
        page.wait_for_selector("#workbench[data-ready=true]")
        _lint(page)   # the import's lint has reported; a run the changes below start reports after it
        runs = _lint_runs(page)
        page.evaluate("""() => { const m = window.jiuzhuModeler, registry = m.get('elementRegistry');
            const modeling = m.get('modeling');
            // a branch loses its condition; a task leaves its lane; a property name is mistyped
            modeling.updateProperties(registry.get('f_near_relative'), { conditionExpression: undefined });
            const lane = registry.filter(e => e.type === 'bpmn:Lane')
              .find(l => l.businessObject.flowNodeRef.some(r => r.id === 'acceptance'));
            const refs = lane.businessObject.get('flowNodeRef');
            refs.splice(refs.findIndex(r => r.id === 'acceptance'), 1);
            const props = registry.get('supplement').businessObject.extensionElements.values
              .find(v => v.$type === 'camunda:Properties');
            modeling.updateModdleProperties(registry.get('supplement'), props.values[0], { name: 'Deadline' });
        }""")
        lint = " ".join(_lint(page, after=runs))
        assert "网关「是否近亲属」的分支既无条件也不是默认分支" in lint
        assert "用户任务不在任何泳道内" in lint
        assert "未知的属性名「Deadline」" in lint


def test_a_designer_simulates_the_unsaved_draft_in_the_modeler(db, clock, tmp_path):
    """The modeler's diagram, changed and not saved, walked on the scratch store: the step shows its new name;
    nothing is saved as a draft or deployed."""
    skip_unless_browser(db)
    with db.unit_of_work() as uow:
        before = [uow.session.execute(select(func.count()).select_from(t)).scalar()
                  for t in (Case, ProcessDraft, ProcessVersion)]
    app = workbench_app(db, clock)
    with browser_page(app, tmp_path, locale="zh-CN", viewport={"width": 1366, "height": 900}) as (base, page):
        log_in(page, base, "designer")
        page.goto(f"{base}/designer/processes/{ROUTE}")
        page.wait_for_selector("#workbench[data-ready=true]")
        page.evaluate("""() => { const m = window.jiuzhuModeler;
            m.get('modeling').updateLabel(m.get('elementRegistry').get('acceptance'), '受理审查（草稿）'); }""")
        with page.expect_navigation():
            page.click("#wb-simulate")
        page.wait_for_selector("#simulation[data-ready=true][data-draft=true]")
        assert page.is_visible("#sim-draft")
        assert page.inner_text("#sim-draft").startswith("正在模拟建模器中未保存的草稿 · 已按部署时的规则校验")
        assert page.is_visible("#sim-drawn-draft") and not page.is_visible("#sim-drawn-version")
        assert page.inner_text("#sim-drawn-draft") == "路径画在此草稿上。"
        page.click("#sim-lodge")
        page.wait_for_selector("#simulation[data-steps='0']")
        assert "受理审查（草稿）" in page.inner_text('.sim-step[data-task="acceptance"]')
        page.screenshot(path=str(Path(os.environ.get("JIUZHU_SCREENSHOTS") or tmp_path) / "designer-simulation-draft.png"),
                        full_page=True)
    with db.unit_of_work() as uow:
        assert [uow.session.execute(select(func.count()).select_from(t)).scalar()
                for t in (Case, ProcessDraft, ProcessVersion)] == before


def test_the_simulation_reads_in_english(db, clock, tmp_path):
    """In the English UI the simulation names its steps, lanes, documents and outcome in English (the places'
    names and the documents' numbers are data and stay as they are)."""
    skip_unless_browser(db)
    shots = Path(os.environ.get("JIUZHU_SCREENSHOTS") or tmp_path)
    app = workbench_app(db, clock)
    with browser_page(app, tmp_path, locale="en-GB", viewport={"width": 1366, "height": 900}) as (base, page):
        log_in(page, base, "designer")
        with page.expect_navigation():
            page.click("header >> text=English")
        page.goto(f"{base}/designer/processes/{ROUTE}/simulate")
        page.wait_for_selector("#simulation[data-ready=true]")
        page.click("#sim-lodge")
        page.wait_for_selector("#simulation[data-steps='0']")
        page.locator(".sim-step .sim-complete").first.click()
        page.wait_for_selector("#simulation[data-steps='1']")
        taken = page.inner_text('#sim-taken tr[data-task="acceptance"]')
        assert "Township / street" in taken and "响水镇" in taken, taken
        shown = " ".join([taken.replace("响水镇", ""), page.inner_text("#sim-outcome"), page.inner_text("#wb-status"),
                          page.inner_text("#sim-open").replace("响水镇", "").replace("响水县", "")])
        shown = re.sub(r"\S+〔\d{4}〕\d+号", "", shown)  # a document's number (文号) is Chinese in both languages
        assert not re.search(r"[\u4e00-\u9fff]", shown), shown
        assert "still running (simulated)" in page.inner_text("#sim-outcome")
        page.screenshot(path=str(shots / "designer-simulation-en.png"), full_page=True)
