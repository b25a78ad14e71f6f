"""What an attacker tries, over every rule of the url_map (not a list of URLs: a new endpoint is covered).

Each rule is filled with real ids of objects of 响水县 (the ``site`` fixture of test_bad_input: a case, its task,
household, document, scan, flag, saved filter, window registration and referral, joint-review project and
meeting), then sent by someone who must get nothing: no session, another county's or township's staff, a forged
or missing CSRF token, an id spelled with other digits. Each answer is a 4xx that names nothing of the case, and
the store is unchanged.
"""
from __future__ import annotations

import pytest

from tests.webapp.test_bad_input import _methods, _send, site, snapshot_all  # noqa: F401 (site: a fixture)
from webapp.auth import PUBLIC_ENDPOINTS

# URL arguments that name an object with a place (a case, its task, household, scan ... of 响水镇双园村), as opposed
# to the installation's own things (a process, a version, a form, a place, a user, a rule entry, a report kind).
PLACED_ARGS = {"case_id", "task_id", "household_id", "attachment_id", "document_id", "flag_id", "filter_id",
               "registration_id", "item_id", "charity_referral_id", "project_id", "meeting_id", "proxy_id",
               "recipient_id"}
# Another county (四平铁西, 淮北相山) at every level, and, inside 响水县, another township and another village.
OUTSIDERS = ["district_tx", "supervisor_tx", "street_rx", "community_rx", "district_xsq", "panel_stk",
             "township_cjg", "village_cg", "liaison_hrss_tx"]


def _personal_text(db) -> set[str]:
    """Every name and whole ID number of the site's people and applicants (what no outsider may read)."""
    from sqlalchemy import select
    from engine.store.models import Person, WindowRegistration
    with db.unit_of_work() as uow:
        s = uow.session
        people = s.execute(select(Person.name, Person.id_number)).all()
        applicants = s.execute(select(WindowRegistration.applicant_name, WindowRegistration.applicant_id_number)).all()
    return {text for row in [*people, *applicants] for text in row if text}


def test_every_rule_sends_an_anonymous_request_to_log_in(site, app, db):
    """Without a session: a page is a redirect to the log-in page, an API call 401, a write 400 (no CSRF token
    without a session) or one of those; only the public endpoints answer, and none with personal data."""
    secrets = _personal_text(db)
    before = snapshot_all(db)
    anonymous = app.test_client()
    for rule, url in site:
        for method in _methods(rule):
            response = anonymous.open(url, method=method, data={"name": "x"} if method != "GET" else None)
            assert response.status_code < 500, (method, url)
            assert not any(text in response.text for text in secrets), (method, url)
            if rule.endpoint in PUBLIC_ENDPOINTS:
                continue
            if url.startswith("/api/"):
                assert response.status_code in (400, 401), (method, url, response.status_code)
            elif method == "GET":
                assert response.status_code == 302 and "/login" in response.location, (method, url)
            else:
                assert response.status_code == 400 or (response.status_code == 302 and "/login" in response.location), \
                    (method, url, response.status_code)
    assert snapshot_all(db) == before


@pytest.mark.parametrize("username", OUTSIDERS)
def test_every_object_of_another_place_is_not_found_or_forbidden(site, login, db, username):
    """Every rule that names an object of 双园村 (响水镇, 响水县), by every method, with a valid CSRF token, as
    staff of another county, township or village: 404 or 403, never the object (nor its people's names or ID
    numbers), and nothing changed. The task operations' API (/api/v1/tasks/<id>/operations) answered 200 with
    every operation false for a task of another county (or none): it is 404 now, as the task page is."""
    secrets = _personal_text(db)
    user = login(username)
    before = snapshot_all(db)
    for rule, url in site:
        if not set(rule.arguments) & PLACED_ARGS:
            continue
        for method in _methods(rule):
            # An empty form or JSON object: a complete, well-formed request changes nothing either (the place is
            # checked in the SQL), but a body the schema refuses would be answered 422 before any id is read.
            response = _send(user, method, url, **({} if method == "GET" else
                                                   {"json": {}} if url.startswith("/api/") else
                                                   {"data": {"csrf_token": user.csrf}}))
            assert response.status_code in (403, 404, 422, 400), (username, method, url, response.status_code)
            if method == "GET":
                assert response.status_code in (403, 404), (username, url, response.status_code)
            leaked = [text for text in secrets if text in response.text]
            assert not leaked, (username, method, url, leaked)
    assert snapshot_all(db) == before


def test_every_write_refuses_a_missing_wrong_or_borrowed_csrf_token(site, app, login, db):
    """Every non-GET rule, as a user who may use it (the township clerk and the county), without a token, with a
    made-up one and with another session's valid one: 400, and nothing changed."""
    clerk, other = login("township_xs"), login("county_mz")
    before = snapshot_all(db)
    for rule, url in site:
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        for method in _methods(rule):
            if method == "GET":
                continue
            for token in (None, "IjAwMDAi.Zz.forged", other.csrf):
                form = {"name": "x", "reason": "x", **({"csrf_token": token} if token else {})}
                headers = {"X-CSRFToken": token} if token else {}
                for body in ({"data": form}, {"json": form}):
                    response = clerk.client.open(url, method=method, headers=headers, **body)
                    assert response.status_code == 400, (method, url, token, response.status_code)
    assert snapshot_all(db) == before


def test_an_id_in_other_digits_is_not_a_second_url_of_the_object(site, login):
    """Werkzeug's <int:> matches any Unicode digit (Arabic-Indic ٣, full-width ３) and int() reads them: an id so
    spelled reached the same object under another URL (an admin deactivated user 3 at /admin/users/٣/deactivate).
    Only ASCII digits match; any other spelling is 404 by every method."""
    county = login("county_mz")
    admin = login("admin")
    spell = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
    wide = str.maketrans("0123456789", "０１２３４５６７８９")
    for rule, url in site:
        if "<int:" not in rule.rule:
            continue
        for table in (spell, wide):
            other = "/".join(part.translate(table) if part.isdigit() else part for part in url.split("/"))
            for method in _methods(rule):
                for user in (county, admin):
                    assert _send(user, method, other).status_code == 404, (method, other)


def test_the_task_operations_api_is_404_outside_the_place_as_the_task_page_is(site, login):
    task_url = next(url for rule, url in site if rule.endpoint == "api.operations")
    assert login("township_xs").get(task_url).status_code == 200
    for username in ("township_cjg", "district_tx", "village_cg"):
        response = login(username).get(task_url)
        assert response.status_code == 404 and response.json["error"] == "not_found"
    assert login("township_xs").get("/api/v1/tasks/no-such-task/operations").status_code == 404


def test_no_list_shows_another_countys_people_for_its_place_ids_in_the_query(site, login, db, unit_id):
    """Every GET rule without a path argument (lists, dashboards, reports, exports, the ledger), as 四平铁西's
    staff, with 响水县's county, township and village ids in the query: a refusal, or the user's own place only
    (none of 响水县's people)."""
    secrets = _personal_text(db)
    queries = [f"county={unit_id('320921')}", f"township={unit_id('320921100')}", f"village={unit_id('320921100201')}",
               f"county={unit_id('320921')}&township={unit_id('320921100')}&format=csv",
               f"township={unit_id('320921100')}&format=xlsx", f"township={unit_id('320921100')}&full=1"]
    for username in ("district_tx", "supervisor_tx", "street_rx"):
        user = login(username)
        for rule, url in site:
            if rule.arguments or "GET" not in rule.methods or rule.endpoint in PUBLIC_ENDPOINTS:
                continue
            for query in queries:
                response = user.get(f"{url}?{query}")
                assert response.status_code < 500, (username, url, query)
                if response.status_code == 200:
                    body = response.get_data()
                    if response.mimetype.endswith("sheet"):
                        from io import BytesIO
                        from openpyxl import load_workbook
                        body = "\n".join(str(c) for ws in load_workbook(BytesIO(body)) for row in ws.iter_rows(values_only=True)
                                         for c in row if c is not None).encode()
                    text = body.decode("utf-8", "replace")
                    assert not [s for s in secrets if s in text], (username, url, query)


@pytest.mark.parametrize("kind", ["monthly", "payment-roll"])
def test_a_report_of_another_countys_township_is_refused_as_another_county_is(login, unit_id, kind):
    """County staff and supervisors asking for a township of another county got an empty roll (200) where the
    county itself is refused: now both are 403, and the bank's copy of it too."""
    township = unit_id("320921100")  # 响水镇
    for username in ("district_tx", "supervisor_tx"):
        user = login(username)
        assert user.get(f"/reports/{kind}?county={unit_id('320921')}").status_code == 403
        assert user.get(f"/reports/{kind}?township={township}").status_code == 403
        assert user.get(f"/reports/{kind}?township={unit_id('320921100201')}").status_code == 403  # a village id
    assert login("district_tx").get(f"/reports/payment-roll?township={township}&full=1").status_code == 403
    assert login("county_mz").get(f"/reports/{kind}?township={township}").status_code == 200
    assert login("district_tx").get(f"/reports/{kind}?township={unit_id('220302001')}").status_code == 200
