"""Jiuzhu's engine: the use cases and read models the entry points (the web app, the CLI, the scheduler
process) may call, and nothing else. Each takes a session of a unit of work the caller owns
(``with Database(url).unit_of_work(write=True) as uow: … uow.commit()``), the acting principal where a
person acts, and the clock. The packages behind it are the engine's own business; import-linter
(`.importlinter`, run by `make test`) keeps the entry points on this page.
"""
from engine.cases.attachments import store_attachment
from engine.cases.batch import (MAX_BATCH, OPERATIONS as BATCH_OPERATIONS, Query as BatchQuery, hand_over, held_by,
                                holders, open_steps as batch_steps, run_batch, select_tasks)
from engine.cases.cosigning import add_cosigner, remove_cosigner, sign_off
from engine.cases.delegation import (cancel_proxy, covered_tasks, delegate_task, proxies, recall_delegation,
                                     return_delegation, returned_delegation, set_proxy)
from engine.cases.due_dates import recompute as recompute_due_dates
from engine.cases.lifecycle import (FLAG_NOTE_MAX, case_for_request_token, complete_task, decide_flag, extend_deadline,
                                    record_route_incident, start_application, start_case)
from engine.cases.migration import MAX_BATCH as MAX_MIGRATION_BATCH, migrate_cases, migration_preview
from engine.cases.operations import (REASON_MAX, claim_task, colleagues, reassign_task, release_task,
                                     request_correction, resume_case, send_back, suspend_case, terminate_case,
                                     urge_task, withdraw, withdrawable)
from engine.cases.simulation import Draft as SimulatedDraft, simulate, simulation_start
from engine.cases.panel import agenda as panel_agenda, hold_meeting as hold_panel_meeting, meetings as panel_meetings
from engine.calendar_notices import calendar_status, calendar_years, load_notice
from engine.catalogue.datafiles import DataFile
from engine.catalogue.deployment import FORMS_DIR, PROCESSES_DIR, deploy
from engine.catalogue.drafts import (MAX_BPMN_BYTES, MAX_NOTE_CHARS, deploy_draft, discard_draft, form_problems,
                                     installed_form, route_history, save_draft, validate_draft, version_bpmn,
                                     workbench_source)
from engine.catalogue.workbench_choices import workbench_choices
from engine.catalogue.draft_decisions import decision_source, installed_decisions, route_decision_ids, save_decision
from engine.catalogue.forms import (DEFAULT_MAX_LENGTH, change_html_rows, choice_titles, coerce_html_form,
                                   errors_for_html_form, html_row_layout, mask_id_number)
from engine.catalogue.rules import assistance_types, benefit_types, model_name, process_for, type_name_of
from engine.catalogue.versions import get_version, latest_version_id
from engine.clock import CHINA_TZ, Clock, FrozenClock, to_local_date
from engine.households.overlaps import raise_flags as refresh_case_flags
from engine.households.attachments import (MAX_ATTACHMENT_BYTES, BlobStore, attachment_panel, attachments_for,
                                           checklist as materials_checklist, fetch_attachment, missing_materials)
from engine.households.register import review_progress
from engine.installation import DEMO_DIR, demo_password, demo_walk, load_cases, load_directory, prepare_store
from engine.jobs import REVIEW_BATCH, dashboard_sweep, record_run, run_forever, sampling_sweep, sweep
from engine.oversight.health import health, queue_sizes
from engine.catalogue.names_en import english_name
from engine.oversight.dashboard import DashboardFilters, OUTLIER_Z, dashboard, province_counties, version_heat
from engine.oversight.queries import (COUNT_CAP, PAGE_SIZE, SupervisorFilters, case_form, case_view, deployed_versions,
                                      document_for, supervisor_cases, task_for, task_schema)
from engine.oversight.inbox import (WITHIN_MAX as INBOX_WITHIN_MAX, InboxFilters, inbox as inbox_tasks, inbox_counts,
                                    inbox_rows, parse_inbox_filters, without as inbox_without)
from engine.oversight.archive import household_archive
from engine.oversight.timeline import (EVENT_KINDS, LogFilters, filter_timeline, operation_log,
                                      parse_log_filters, timeline_choices)
from engine.oversight.saved_filters import (EXPORT_MAX, case_list_report, delete_filter, parse_filters, save_filter,
                                           saved_filters)
from engine.oversight.county_rules import SOURCE as COUNTY_RULES_SOURCE, county_rules
from engine.oversight.county_reviews import COMPLAINT_KINDS, VERDICTS, case_supervision, supervision_month
from engine.cases.county_review import register_complaint
from engine.cases.deaths import DeathRecorded
from engine.deaths import record_death
from engine.cases.self_care import REPORTERS as SELF_CARE_REPORTERS, report_self_care_change
from engine.rule_changes import (APPEAL_FIELDS, APPEAL_REQUIRED, MAX_NOTE_CHARS as MAX_RULE_NOTE_CHARS, add_appeal_entry, add_rule_entry,
                                 appeal_edit_form, counties_without_rules, field_name as rule_field_name,
                                 set_up_county,
                                 retire_rule_entry, rule_edit_form, value_fields as rule_value_fields)
from engine.oversight.task_page import next_task_for, sent_back_note, task_operations
from engine.oversight.files import (age_on, application_defaults, case_file, earlier_entries, household_file,
                                    render_fields)
from engine.oversight.search import STATUSES as CASE_STATUSES, SearchRefused, my_cases, search
from engine.oversight.reports import (ALL_TYPES as ALL_REPORT_TYPES, Report, monthly_report, payment_roll,
                                      payment_roll_with_id_numbers, to_csv, to_xlsx, csv_chunks, xlsx_chunks,
                                      township_roll)
from engine.oversight.bank_file import bank_chunks
from engine.oversight.supervision import (mark_notifications_read, notification_centre, notification_kinds, notifications_for, open_incidents, overdue_by_township,
                                          retry_incident, supervision_items, unread_notifications)
from engine.people.accounts import NAME_MAX, ROLE_NAMES_ZH, Principal, authenticate, principal_of
from engine.people.directory import CODE_DIGITS, load_places, load_users, read_places, read_users
from engine.people.place_admin import (add_place, load_places_file, move_county, place_path, places_under, provinces_for,
                                       rename_place)
from engine.people.user_list import USERS_PAGE_SIZE, list_users, user_detail
from engine.people.places import place_of_village, villages_for
from engine.people.reveals import PAGE_SIZE as REVEALS_PAGE_SIZE, reveals_for_supervisor
from engine.people.scope import supervised_counties
from engine.people.security_events import recent_events
from engine.people.sessions import SessionPolicy, load_session, open_session, revoke_session, touch_session
from engine.people.throttle import (SCOPES as THROTTLE_SCOPES, Refusal, check_login_allowed, record_login_failure,
                                    record_login_success, throttled_logins, unlock)
from engine.people.users import (ASSIGNABLE_ROLES, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, ROLE_LEVELS, add_role,
                                 change_password, change_roles, create_user, deactivate_user, generate_password,
                                 reactivate_user, remove_role)
from engine.redaction import install_log_redaction
from engine.logs import REQUEST_ID, configure_logging
from engine.store.database import Database
from engine.store.migrations import upgrade
from engine.window.charities import charities as charity_lists, charity_referrals, projects_for as charity_projects, record_charity_feedback, refer_to_charity
from engine.window.demo import load_window_demo
from engine.window.items import window_rules
from engine.window.ledger import household_registrations, ledger as window_ledger, ledger_report, overview as window_overview, registration_view
from engine.window.referrals import ANSWERS as REFERRAL_ANSWERS, answer_referral, referral_for, referrals_inbox
from engine.window.joint_review import (DECISIONS_ZH as JOINT_REVIEW_DECISIONS, OPINIONS_ZH as JOINT_REVIEW_OPINIONS,
                                        STATUS_ZH as JOINT_REVIEW_STATUS, agenda as joint_review_agenda,
                                        approved_projects, hold_joint_review, initial_review as review_project,
                                        meeting_report as joint_review_meeting, meetings as joint_review_meetings,
                                        office_members as joint_review_members, projects as joint_review_projects,
                                        submit_project, submitting_places as project_submitters)
from engine.window.registration import (ITEM_FIELD_SEPARATOR as WINDOW_ITEM_SEPARATOR, OUTCOMES as WINDOW_OUTCOMES,
                                        STATUS_ZH as WINDOW_STATUS_ZH, Applicant, RequestedItem, item_forms as window_item_forms, register)
from engine.workdays import CalendarYearMissing, WorkingCalendar, install_notice, missing_notice

from types import ModuleType as _Module  # noqa: E402

# The names above; the subpackages that importing them binds here are not part of the API.
__all__ = sorted(name for name, value in dict(globals()).items()
                 if not name.startswith("_") and not isinstance(value, _Module))
