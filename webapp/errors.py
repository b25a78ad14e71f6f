"""Error pages and JSON errors that say what is wrong, in Chinese first."""
from __future__ import annotations

from flask import Flask, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from engine.errors import CaseFinished, Conflict, DeployRefused, Duplicate, Forbidden, FormInvalid, NotFound, RouteFailed

from .i18n import select_locale
from .limits import InputRefused


# What a finished case refuses, in the page's language (the engine's Chinese is engine.case_status.ACTIONS_ZH).
_FINISHED_ACTIONS = {
    "upload": lambda: _("filing a scan"), "suspend": lambda: _("suspending it"), "resume": lambda: _("resuming it"),
    "terminate": lambda: _("terminating it"), "extend": lambda: _("extending its time limit"),
    "urge": lambda: _("urging its steps"), "withdraw": lambda: _("withdrawing a completion"),
    "complaint": lambda: _("registering a complaint or report"), "work": lambda: _("working on its steps"),
}


def _respond(status: int, message_zh: str, message_en: str, back: tuple[str, str] | None = None, **extra):
    """The error page (``back``: a link (label, url) beside the way home) or, under /api/, its JSON."""
    message = message_zh if select_locale() == "zh_CN" else message_en
    if request.path.startswith("/api/"):
        return {"error": extra.pop("code", "error"), "message": message, "message_zh": message_zh, **extra}, status
    return render_template("error.html", status=status, message=message, back=back), status


def _back_to_case():
    """A link back to the case (or step) the refused form was on."""
    args = request.view_args or {}
    if "case_id" in args:
        return _("Back to the case"), url_for("cases.case", case_id=args["case_id"])
    if "task_id" in args:
        return _("Back to the step"), url_for("inbox.task", task_id=args["task_id"])
    return None


def init_app(app: Flask) -> None:
    """Map domain errors to HTTP statuses."""

    @app.errorhandler(NotFound)
    def not_found(exc):
        return _respond(404, exc.message_zh, exc.message_en or "Not found, or outside your area.", code="not_found")

    @app.errorhandler(Forbidden)
    def forbidden(exc):
        return _respond(403, exc.message_zh, exc.message_en or "You are not allowed to do this.", code="forbidden")

    @app.errorhandler(Conflict)
    def conflict(exc):
        # A lost race names who won; any other conflict (claimed, suspended, withdrawn ...) says what stands in the
        # way: the raise site's English, else its log message.
        said = str(exc)
        en = (f"Already completed by {exc.by} at {exc.at:%Y-%m-%d %H:%M:%S}" if exc.at else exc.message_en or
              ("Already completed." if said in ("task already completed", "Conflict") else said[:1].upper() + said[1:] + "."))
        return _respond(409, exc.message_zh, en, code="conflict", completed_by=exc.by,
                        completed_at=exc.at.isoformat() if exc.at else None)

    @app.errorhandler(CaseFinished)
    def case_finished(exc):
        # Before the page's form reached the server the case was finished (by someone else, or long ago).
        action = _FINISHED_ACTIONS.get(exc.action, _FINISHED_ACTIONS["work"])()
        en = (_("This case is finished (terminated): %(action)s is no longer possible.", action=action)
              if exc.terminated else _("This case is finished (completed): %(action)s is no longer possible.",
                                       action=action))
        return _respond(409, exc.message_zh, en, _back_to_case(), code="case_finished", action=exc.action)

    @app.errorhandler(Duplicate)
    def duplicate(exc):
        see = f" — see case {exc.case_number}" if exc.case_number else ""
        return _respond(409, exc.message_zh, exc.message_en or f"Refused: {exc}{see}.", code="duplicate",
                        case_number=exc.case_number, case_id=exc.case_id)

    @app.errorhandler(FormInvalid)
    def invalid(exc):
        # A list's filters refused from the query string: the page says which, as a refused form's flash does.
        from .pages import invalid_message
        zh = select_locale() == "zh_CN"
        message_en = invalid_message(exc) if exc.errors else exc.message_in(False, "The form has errors.")
        return _respond(422, exc.message_zh, message_en, code="invalid", errors=exc.errors_in(zh), errors_zh=exc.errors)

    @app.errorhandler(RouteFailed)
    def route_failed(exc):
        # The route, not the request, is at fault; but nothing was saved and retrying will not help,
        # so 422 with what went wrong where. The request's unit of work was already undone when the
        # exception left it; the incident for administrators is written in a unit of work of its own.
        from engine import record_route_incident
        from .db import clock, db
        with db().unit_of_work(write=True) as uow:
            record_route_incident(uow.session, exc, clock().now())
            uow.commit()
        where = f" at element {exc.element_id}" if exc.element_id else ""
        return _respond(422, exc.message_zh,
                        f"The route's design failed{where} ({exc.reason}); nothing was saved and "
                        "administrators have been notified.",
                        code=f"route_{exc.kind}", element=exc.element_id)

    @app.errorhandler(DeployRefused)
    def refused(exc):
        return _respond(422, exc.message_zh, "Deploy refused.", code="deploy_refused",
                        problems=[str(p) for p in exc.problems])

    @app.errorhandler(InputRefused)
    def input_refused(exc):
        return _respond(400, exc.message_zh, str(exc), code="bad_request")

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return _respond(400, "表单已过期或来源不明，请刷新页面后重试。",
                        "The form expired or did not come from this site; reload the page and try again.",
                        code="csrf")

    @app.errorhandler(HTTPException)
    def http_error(exc):
        zh = {404: "页面不存在", 405: "不支持该请求方式", 400: "请求有误，请检查后重试",
              413: "提交的内容过大", 415: "请求内容类型不受支持，请以 JSON 提交"}.get(exc.code, "请求无法处理")
        # werkzeug's own descriptions are long and speak of "the server"; a view's abort(…, description) is kept.
        en = {404: "Page not found.", 405: "This page does not take that kind of request.",
              400: "The request is not valid; check it and try again.", 413: "What was sent is too large.",
              415: "Unsupported content type: send JSON."}.get(exc.code)
        default = exc.description == type(exc).description
        return _respond(exc.code or 500, zh, (en if default and en else exc.description or exc.name), code="http")
