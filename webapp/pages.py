"""Shared by every page: template filters, the helpers templates see, the fields a form's page adds."""
from __future__ import annotations

from functools import lru_cache

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _, lazy_gettext as _l

from engine import (ROLE_NAMES_ZH, assistance_types, benefit_types, choice_titles, delete_filter, english_name,
                    save_filter, type_name_of, unread_notifications)
from engine import DEFAULT_MAX_LENGTH, change_html_rows, html_row_layout
from engine import CalendarYearMissing, WorkingCalendar, missing_notice
from engine.errors import FormInvalid

from .auth import current_principal
from .db import clock, db


# The button of a list's row (add:members, remove:members:3): posted without JavaScript, see render_rows_changed.
ROWS_CONTROL = "_rows"
FORM_CONTROL_FIELDS = frozenset({"csrf_token", "village_id", "assistance_type", "submit", "request_token",
                                 ROWS_CONTROL})


def init_app(app) -> None:
    """Register the template filters and the context every page sees."""
    app.add_template_filter(mask_id_filter, "mask_id")
    app.add_template_filter(local_dt, "local_dt")
    app.add_template_filter(step_en, "step_en")
    app.add_template_filter(type_name, "type_name")
    from .notification_texts import KIND_NAMES, notification_text  # it renders step names with step_en
    app.add_template_filter(notification_text, "note_text")
    app.jinja_env.globals["notification_kind_names"] = KIND_NAMES
    app.jinja_env.globals["punct"] = PUNCTUATION
    app.jinja_env.globals["choice_titles"] = page_choice_titles
    from .household_texts import benefit_effect, member_relation, member_sex, timeline_text  # they use step_en
    for text in (benefit_effect, member_relation, member_sex, timeline_text):
        app.add_template_filter(text, text.__name__)
    app.context_processor(inject_helpers)



class Punctuation:
    """The marks templates write between their messages and data: full-width in the Chinese UI (“状态：办理中”),
    the English ones in the English UI (“Status: In progress”). A global, so macros imported without context
    have it too: ``{{ punct.colon }}``, ``{{ punct.open }}…{{ punct.close }}``, ``join(punct.enum)``."""

    MARKS = {"colon": ("：", ": "), "comma": ("，", ", "), "semicolon": ("；", "; "), "enum": ("、", ", "),
             "open": ("（", " ("), "close": ("）", ")")}

    def __getattr__(self, name: str) -> str:
        try:
            chinese, english = self.MARKS[name]
        except KeyError:
            raise AttributeError(name) from None
        return chinese if is_zh() else english


PUNCTUATION = Punctuation()


def page_choice_titles(prop):
    """A choice field's option titles in the page's language (a form's select, a list of choices)."""
    return choice_titles(prop, not is_zh())


def mask_id_filter(value):
    """Mask an ID number for display."""
    from engine import mask_id_number
    return mask_id_number(value)


def step_en(name):
    """A step name or document title in the page's language: in the English UI its English name
    (``processes/names_en.toml``) where there is one, else as the BPMN or template writes it."""
    if is_zh() or not name:
        return name
    whole = english_name(name)  # a step's own name may hold "、" (入户调查、邻里访问)
    return whole or "; ".join(english_name(part) or part for part in str(name).split("、"))  # at two steps: "A、B"


def type_names() -> dict[str, str]:
    """Every assistance type's name in the page's language (type key → name, from processes/catalog.toml)."""
    return _type_names_in(is_zh())


@lru_cache(maxsize=2)
def _type_names_in(zh: bool) -> dict[str, str]:
    # Read once per language (the catalogue is fixed while the app runs), not at every name a template shows.
    return {t["type"]: t["name_zh"] if zh else t["name_en"] for t in assistance_types() + benefit_types()}


@lru_cache(maxsize=1)
def _type_keys_by_chinese_name() -> dict[str, str]:
    return {t["name_zh"]: t["type"] for t in assistance_types() + benefit_types()}


def type_name(assistance_type):
    """An assistance type's name in the page's language, from its key or from its Chinese name (as the engine's
    lists and notes write it); what the catalogue does not know is shown as it is."""
    key = _type_keys_by_chinese_name().get(assistance_type, assistance_type)
    return type_names().get(key) or type_name_of(key, is_zh())  # a follow-up route's type (定期复核) too


def local_dt(value):
    """An aware datetime as China local time text."""
    from engine import CHINA_TZ
    return value.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M") if value else ""


def header_unread() -> int:
    """The signed-in person's unread notifications, for the header's badge (read when a page shows it)."""
    principal = current_principal()
    if principal is None or not principal.roles:
        return 0
    if "header_unread" not in g:  # not read by the view in its own unit of work (note_unread)
        with db().unit_of_work() as uow:
            note_unread(uow.session)
    return g.header_unread


def note_unread(session) -> None:
    """Read the header's unread count in the view's unit of work (the busiest pages: the inbox, a task), so the
    header needs no transaction of its own."""
    g.header_unread = unread_notifications(session, current_principal())


# The name of each kind of audit event, translated when a page shows it (the timeline's and the log's filters):
# lazy strings, so the pages that show none pay nothing.
EVENT_KIND_NAMES = {
    "case_started": _l("Application lodged"),
    "task_completed": _l("Step completed"),
    "timer_fired": _l("Timer"),
    "case_completed": _l("Case ended"),
    "task_claimed": _l("Claimed"),
    "task_released": _l("Released"),
    "task_reassigned": _l("Reassigned"),
    "task_sent_back": _l("Sent back"),
    "task_withdrawn": _l("Completion withdrawn"),
    "task_urged": _l("Urged"),
    "case_suspended": _l("Suspended"),
    "case_resumed": _l("Resumed"),
    "case_terminated": _l("Terminated"),
    "deadline_extended": _l("Time limit extended"),
    "deadline_recomputed": _l("Due dates recomputed"),
    "flag_decided": _l("Check decided"),
    "attachment_added": _l("Attachment added"),
    "migrated": _l("Moved to another version"),
    "incident": _l("Incident"),
    "documents_voided": _l("Documents voided"),
    "benefit_stopped": _l("Benefit stopped"),
    "privacy_restricted": _l("Privacy case"),
}


# Each role's name in the English UI: English msgids whose Chinese is exactly the engine's ROLE_NAMES_ZH (which the
# Chinese UI shows as it is; tests/webapp/test_role_names.py checks that both agree and that no role lacks one).
ROLE_NAMES_EN = {
    "village": _l("Village committee"), "township": _l("Township / street"),
    "county": _l("County (district) civil affairs bureau"), "county_supervisor": _l("County supervision"),
    "province_supervisor": _l("Provincial civil affairs supervision"), "designer": _l("Process design"),
    "admin": _l("System administration"), "review_panel": _l("Review panel"),
    "disability_federation": _l("County (district) disabled persons' federation"),
    "district_center": _l("District social assistance centre"),
    "dept_hrss": _l("Human resources and social security liaison"), "dept_housing": _l("Housing and construction liaison"),
    "dept_education": _l("Education and sports liaison"), "dept_justice": _l("Justice bureau liaison"),
    "dept_health": _l("Health commission liaison"), "dept_medical_insurance": _l("Medical insurance liaison"),
    "dept_emergency": _l("Emergency management liaison"), "dept_union": _l("Trade union liaison"),
    "dept_disability": _l("Disabled persons' federation liaison"), "dept_women": _l("Women's federation liaison"),
}


def role_names() -> dict[str, str]:
    """Every role's name in the page's language (role code → name)."""
    if is_zh():
        return ROLE_NAMES_ZH
    return _role_names_in(str(get_locale()))


@lru_cache(maxsize=8)
def _role_names_in(_locale: str) -> dict[str, str]:
    # Translated once per locale (the argument is the cache's key), not at every page a template renders.
    return {code: str(ROLE_NAMES_EN.get(code, name)) for code, name in ROLE_NAMES_ZH.items()}


def inject_helpers():
    principal = current_principal()
    return {"principal": principal, "role_names": role_names(), "remaining_workdays": remaining_workdays,
            "text_max": DEFAULT_MAX_LENGTH,  # the server's bound on a text field whose schema sets none
            "html_row_layout": html_row_layout, "header_unread": header_unread, "event_kind_names": EVENT_KIND_NAMES,
            "calendar_missing_year": (missing_notice(WorkingCalendar.load(), clock().today())
                                      if principal and principal.has_role("admin") else None)}


def render_rows_changed(template: str, ctx: dict, schema):
    """The posted form again with a row more or less (a list's add/remove button without JavaScript),
    what was typed kept: nothing is validated, saved or lodged."""
    try:
        ctx["values"] = change_html_rows(schema or {}, request.form, request.form[ROWS_CONTROL])
    except FormInvalid as exc:  # a full list, or a button no page shows
        ctx["errors"] = exc.errors_in(is_zh())
        return render_template(template, **ctx), 422
    return render_template(template, **ctx)


def remaining_workdays(due_on):
    """Working days left until a due date (negative when overdue); None when unknown."""
    if due_on is None:
        return None
    try:
        return WorkingCalendar.load().workdays_between(clock().today(), due_on)
    except CalendarYearMissing:
        return None


def is_zh() -> bool:
    from .i18n import select_locale
    return select_locale() == "zh_CN"


def invalid_message(exc: FormInvalid) -> str:
    """A refused form's messages as one flash line, in the page's language: each field's English message where
    the engine gives one, else its Chinese one (the English UI then says the details are in Chinese)."""
    zh = is_zh()
    messages = list(dict.fromkeys(exc.errors_in(zh).values()))
    if zh:
        return "；".join(messages)
    line = "; ".join(messages)
    if any(field not in exc.errors_en for field in exc.errors):
        return _("The form was not accepted (details in Chinese): %(details)s", details=line)
    return line


def bound_view(view, **fixed):
    """``view`` with some arguments fixed, as a named function (CSRF exemption checks and url_for need the
    view's module and name): one rule per operation, so every operation has its own endpoint and URL."""
    def bound(**kwargs):
        return view(**fixed, **kwargs)
    bound.__module__, bound.__doc__ = view.__module__, view.__doc__
    bound.__name__ = bound.__qualname__ = "_".join([view.__name__, *(str(v).replace("-", "_") for v in fixed.values())])
    return bound


def save_list_filter(kind: str, keys: tuple[str, ...], parse, list_view, list_endpoint: str):
    """POST of a list's "save these filters" form (the list's query as hidden fields, a name, "shared"): the
    filter saved for oneself or shared, then the list with it; a wrong name re-shows the list with the
    message (422), nothing saved. ``parse`` reads the query (a wrong filter is the app's 422)."""
    query = {key: request.form.get(key, "") for key in keys}
    parse(query)
    try:
        with db().unit_of_work(write=True) as uow:
            save_filter(uow.session, current_principal(), clock().now(), request.form.get("name", ""), query,
                        request.form.get("shared") == "1", kind)
            uow.commit()
    except FormInvalid as exc:
        flash(" ".join(exc.errors_in(is_zh()).values()), "error")
        return list_view(), 422
    flash(_("Filter saved."), "ok")
    return redirect(url_for(list_endpoint, **parse(query).to_query()), 303)


def delete_list_filter(filter_id: int, list_endpoint: str):
    """POST deleting one of one's own saved filters (another's is 404), then the list."""
    with db().unit_of_work(write=True) as uow:
        delete_filter(uow.session, current_principal(), filter_id)
        uow.commit()
    flash(_("Filter deleted."), "ok")
    return redirect(url_for(list_endpoint), 303)
