"""The process designer's area: the deployed versions, and the workbench of each route (modeler, drafts,
validation, deploy with a change note, history, BPMN download, diff between versions).

The workbench pages are for the ``designer`` role only. The modeler talks to the JSON views below with
fetch(), sending the CSRF token as the X-CSRFToken header (Flask-WTF reads it there).
"""
from __future__ import annotations

from engine import (MAX_MIGRATION_BATCH, MAX_NOTE_CHARS, decision_source, deploy_draft,
                    deployed_versions, discard_draft, form_problems, installed_decisions, installed_form,
                    migrate_cases, migration_preview, route_decision_ids, route_history, save_decision, save_draft,
                    SimulatedDraft, demo_walk, simulate, simulation_start, validate_draft, version_bpmn,
                    workbench_choices, workbench_source)
from engine.errors import DeployRefused, FormInvalid, JiuzhuError, NotFound
from flask import Blueprint, Response, jsonify, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l

from .auth import current_principal, requires_role
from .db import clock, db
from .i18n import select_locale
from .limits import InputRefused, int_arg
from .pages import role_names, step_en

bp = Blueprint("designer", __name__)


@bp.route("/processes")
@requires_role("designer", "admin", "county_supervisor")
def processes():
    """Deployed process versions (immutable; a version is its content hash)."""
    with db().unit_of_work() as uow:
        s = uow.session
        rows = deployed_versions(s)
    return render_template("designer/processes.html", rows=rows,
                           workbench=current_principal().has_role("designer"))


@bp.errorhandler(DeployRefused)
def _refused(exc: DeployRefused):
    # The workbench's JSON views: the modeler puts each problem on its element.
    return jsonify(ok=False, message_zh=exc.message_zh, message=_message(exc.message_zh, "Deploy refused."),
                   problems=_problems(exc.problems)), 422


def _message(zh: str, en: str) -> str:
    return zh if select_locale() == "zh_CN" else en


def _problems(problems) -> list[dict]:
    return [{"element_id": p.element_id, "line": p.line, "file": p.file, "message_zh": p.message_zh,
             "message": _message(p.message_zh, p.message)} for p in problems]


def _body() -> dict:
    body = request.get_json()  # 415 unless JSON; 400 when malformed or too deep (limits)
    if not isinstance(body, dict):
        raise InputRefused("the body must be a JSON object", "请求内容应为 JSON 对象")
    return body


def _known(s, process_id: str) -> None:
    workbench_source(s, current_principal().user_id, process_id)  # NotFound unless deployed


@bp.get("/designer/processes/<process_id>")
@requires_role("designer")
def modeler(process_id: str):
    """The modeler of one route: bpmn-js with the Camunda and Jiuzhu properties, drafts, validate, deploy."""
    with db().unit_of_work() as uow:
        source = workbench_source(uow.session, current_principal().user_id, process_id)
    return render_template("designer/modeler.html", source=source, max_note=MAX_NOTE_CHARS,
                           decisions=route_decision_ids(source["bpmn"]))


@bp.get("/designer/processes/<process_id>/source")
@requires_role("designer")
def source(process_id: str):
    """The BPMN the modeler opens (the designer's draft, else the newest version) and the choices it offers."""
    with db().unit_of_work() as uow:
        found = workbench_source(uow.session, current_principal().user_id, process_id)
    if found["draft"]:
        found["draft"] = {**found["draft"], "saved_at": found["draft"]["saved_at"].isoformat()}
    choices = dict(workbench_choices())
    names = role_names()
    choices["roles"] = [{**role, "name": names.get(role["code"], role["code"])} for role in choices["roles"]]
    return jsonify(source=found, choices=choices)


@bp.post("/designer/processes/<process_id>/draft")
@requires_role("designer")
def draft(process_id: str):
    """Save the designer's draft (not validated: a draft may be unfinished; hostile text is refused)."""
    body = _body()
    with db().unit_of_work(write=True) as uow:
        saved_at = save_draft(uow.session, clock().now(), current_principal().user_id, process_id,
                              body.get("bpmn"), body.get("forms"))
        uow.commit()
    return jsonify(ok=True, saved_at=saved_at.isoformat(), message=_message("草稿已保存", "Draft saved"))


@bp.post("/designer/processes/<process_id>/draft/discard")
@requires_role("designer")
def discard(process_id: str):
    """Forget the designer's draft; the modeler opens the newest version again."""
    with db().unit_of_work(write=True) as uow:
        _known(uow.session, process_id)
        had = discard_draft(uow.session, current_principal().user_id, process_id)
        uow.commit()
    return jsonify(ok=True, discarded=had, message=_message("草稿已放弃", "Draft discarded"))


@bp.post("/designer/processes/<process_id>/validate")
@requires_role("designer")
def validate(process_id: str):
    """Save the draft and run on it the validation `jiuzhu deploy` runs: problems naming their elements."""
    body = _body()
    with db().unit_of_work(write=True) as uow:
        s = uow.session
        problems = validate_draft(s, process_id, body.get("bpmn"), body.get("forms"), current_principal().user_id)
        save_draft(s, clock().now(), current_principal().user_id, process_id, body.get("bpmn"), body.get("forms"))
        uow.commit()
    if problems:
        return jsonify(ok=False, problems=_problems(problems),
                       message=_message(f"发现 {len(problems)} 个问题，未部署", f"{len(problems)} problem(s) found")), 200
    return jsonify(ok=True, problems=[], message=_message("校验通过，可以部署", "Valid: ready to deploy"))


@bp.post("/designer/processes/<process_id>/deploy")
@requires_role("designer")
def deploy(process_id: str):
    """Deploy the sent BPMN as a new version of the route, with the required change note."""
    body = _body()
    principal = current_principal()
    with db().unit_of_work(write=True) as uow:
        outcome = deploy_draft(uow.session, clock().now(), principal.user_id, process_id, body.get("bpmn"),
                               body.get("note"), body.get("forms"))
        uow.commit()
    history = url_for("designer.history", process_id=process_id)
    if not outcome.created:
        return jsonify(ok=True, created=False, version_id=outcome.version_id, history=history,
                       message=_message(f"可执行内容未变（仅布局改动），未产生新版本：{outcome.content_hash[:12]}",
                                        f"Executable content unchanged (layout only): no new version "
                                        f"({outcome.content_hash[:12]})"))
    return jsonify(ok=True, created=True, version_id=outcome.version_id, history=history,
                   message=_message(f"已部署新版本 {outcome.content_hash[:12]}",
                                    f"Deployed version {outcome.content_hash[:12]}"))


@bp.get("/designer/forms/<form_key>")
@requires_role("designer")
def form(form_key: str):
    """A form of the installation (forms/), which the modeler's form editor starts from."""
    return jsonify(form_key=form_key, schema=installed_form(form_key))


@bp.post("/designer/forms/preview")
@requires_role("designer")
def form_preview():
    """The form as the task page will render it, or what deploy would refuse in it."""
    body = _body()
    key = body.get("form_key")
    problems = form_problems(key, body.get("schema"))
    if problems:
        return jsonify(ok=False, problems=_problems(problems), message=_message("表单有问题", "The form has problems"))
    html = render_template("designer/_form_preview.html", schema=body["schema"], today=clock().today().isoformat())
    return jsonify(ok=True, html=html, problems=[], message=_message("预览已更新", "Preview updated"))


@bp.get("/designer/processes/<process_id>/history")
@requires_role("designer")
def history(process_id: str):
    """The route's versions: hash, date, author, note, running cases, download, diff."""
    with db().unit_of_work() as uow:
        rows = route_history(uow.session, process_id)
    return render_template("designer/history.html", process_id=process_id, rows=rows)


@bp.get("/designer/processes/<process_id>/versions/<int:version_id>/bpmn")
@requires_role("designer")
def download(process_id: str, version_id: int):
    """The BPMN of one version, as a file to open in any modeler or to commit to processes/."""
    with db().unit_of_work() as uow:
        name, xml = version_bpmn(uow.session, process_id, version_id)
    return Response(xml, mimetype="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/designer/processes/<process_id>/diff")
@requires_role("designer")
def diff(process_id: str):
    """Two versions side by side: added, removed and changed elements on the diagram, the properties listed."""
    with db().unit_of_work() as uow:
        rows = route_history(uow.session, process_id)
    by_id = {r["id"]: r for r in rows}
    older = rows[1]["id"] if len(rows) > 1 else rows[0]["id"]
    chosen = int_arg(request.args, "from", older), int_arg(request.args, "to", rows[0]["id"])
    if any(v not in by_id for v in chosen):
        raise NotFound("no such version of the route", "该流程没有这个版本", message_en="The route has no such version")
    return render_template("designer/diff.html", process_id=process_id, rows=rows,
                           old=by_id[chosen[0]], new=by_id[chosen[1]])


@bp.route("/designer/processes/<process_id>/migrate", methods=["GET", "POST"])
@requires_role("designer")
def migrate(process_id: str):
    """Migration of running cases to a version: the preview (GET), then the batch of the chosen safe cases
    (POST), each audited, with a result per case."""
    principal = current_principal()
    source = request.form if request.method == "POST" else request.args
    with db().unit_of_work(write=request.method == "POST") as uow:
        s = uow.session
        rows = route_history(s, process_id)
        target = int_arg(source, "to", rows[0]["id"], 1)
        if target not in {r["id"] for r in rows}:
            raise NotFound("no such version of the route", "该流程没有这个版本", message_en="The route has no such version")
        if request.method == "POST":
            chosen = request.form.getlist("case_id")
            if not chosen or len(chosen) > MAX_MIGRATION_BATCH:
                raise InputRefused("choose the cases to migrate", f"请选择要迁移的案件（最多 {MAX_MIGRATION_BATCH} 件）")
            ids = [int_arg({"case_id": raw}, "case_id", None, 1) for raw in chosen]
            cases = migrate_cases(s, principal, clock().now(), process_id, target, ids)
            uow.commit()
        else:
            cases = migration_preview(s, principal, process_id, target)
    numbers = {r["id"]: r["number"] for r in rows}
    return render_template("designer/migrate.html", process_id=process_id, rows=rows, target=target, cases=cases,
                           numbers=numbers, batch=request.method == "POST")


@bp.get("/designer/processes/<process_id>/decisions/<decision_id>")
@requires_role("designer")
def decision(process_id: str, decision_id: str):
    """The decision table editor (dmn-js) of one table, edited as part of the route's draft."""
    with db().unit_of_work() as uow:
        found = decision_source(uow.session, current_principal().user_id, process_id, decision_id)
    return render_template("designer/decision.html", process_id=process_id, found=found,
                           tables=sorted(installed_decisions()))


@bp.get("/designer/processes/<process_id>/decisions/<decision_id>/source")
@requires_role("designer")
def decision_text(process_id: str, decision_id: str):
    """The DMN the editor opens: the designer's draft of it, else the route's deployed table, else the file."""
    with db().unit_of_work() as uow:
        return jsonify(decision_source(uow.session, current_principal().user_id, process_id, decision_id))


@bp.post("/designer/processes/<process_id>/decisions/<decision_id>")
@requires_role("designer")
def decision_save(process_id: str, decision_id: str):
    """Validate the edited table as deploy does and keep it in the route's draft (nothing stored if refused)."""
    body = _body()
    with db().unit_of_work(write=True) as uow:
        saved_at = save_decision(uow.session, clock().now(), current_principal().user_id, process_id,
                                 decision_id, body.get("dmn"))
        uow.commit()
    return jsonify(ok=True, saved_at=saved_at.isoformat(),
                   message=_message("决策表校验通过，已保存到本流程的草稿（随流程一起部署）",
                                    "Decision table valid: saved in the route's draft (deployed with the route)"))


@bp.get("/designer/processes/<process_id>/simulate")
@requires_role("designer")
def simulation(process_id: str):
    """The simulation page: walk the route's newest version with test data, nothing written to real cases."""
    with db().unit_of_work() as uow:
        s = uow.session
        found = workbench_source(s, current_principal().user_id, process_id)
        setup = simulation_start(s, clock().today(), process_id, demo_walk(process_id, clock().today()))
        xml = version_bpmn(s, process_id, found["version"]["id"])[1]
    return render_template("designer/simulate.html", process_id=process_id, setup=setup, bpmn=xml)


@bp.post("/designer/processes/<process_id>/simulate")
@requires_role("designer")
def simulation_run(process_id: str):
    """Replay the walk sent (start data and each step's submission) on a scratch store; what each step did.
    With ``draft`` ({"bpmn", "forms"}: the modeler's unsaved work) the walk runs that draft, validated as
    deploy validates it (422 with the problems on the elements), never deployed."""
    body = _body()
    draft = body.get("draft")
    if draft is not None:
        if not isinstance(draft, dict):
            raise InputRefused("draft must be an object with bpmn and forms", "草稿应为包含 bpmn 和 forms 的对象")
        draft = SimulatedDraft(current_principal().user_id, draft.get("bpmn"), draft.get("forms"))
    with db().unit_of_work() as uow:   # a reading unit of work: the real store cannot be written
        _known(uow.session, process_id)
        try:
            report = simulate(uow.session, clock().now(), process_id, body.get("village"), body.get("start"),
                              body.get("steps"), demo_walk(process_id, clock().today()).get("steps"), draft)
        except DeployRefused:
            raise   # the draft is not what deploy would take: its problems, as validation shows them
        except JiuzhuError as exc:
            # On the scratch store a refused step or a failing route is the designer's finding, not an
            # incident of the installation: answered here, recorded nowhere.
            zh = select_locale() == "zh_CN"
            errors = exc.errors_in(zh) if isinstance(exc, FormInvalid) else {}
            return jsonify(ok=False, step=getattr(exc, "step", None), errors=errors,
                           message=exc.message_in(zh, str(exc) or "Refused")), 422
    return jsonify(ok=True, **_in_page_language(report))


# How the simulation names where a walk stopped (a case's status: running | completed), as the case pages do.
_CASE_STATUS = {"running": _l("In progress"), "completed": _l("Completed")}


def _in_page_language(report: dict) -> dict:
    """The simulation's report as the page shows it: steps, documents and roles by their names in the page's
    language (English names in the English UI, as the case pages show them), and the case's status by name."""
    names = role_names()

    def step(row: dict) -> dict:
        return {**row, "title": step_en(row["title"]), "role_name": names.get(row["role"], row["role"]),
                **({"documents": [document(d) for d in row["documents"]]} if "documents" in row else {})}

    def document(d: dict) -> dict:
        return {**d, "title": step_en(d["title"])}

    label = _CASE_STATUS.get(report["status"])
    return {**report, "taken": [step(r) for r in report["taken"]], "open": [step(r) for r in report["open"]],
            "documents": [document(d) for d in report["documents"]],
            "status_name": str(label) if label is not None else report["status"]}
