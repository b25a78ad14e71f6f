"""The ``jiuzhu`` command: run, scheduler, deploy, demo, migrate, user, calendar, load-places, load-users."""
from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click
from flask import Flask

from engine import Clock
from engine import Database
from engine import REVIEW_BATCH


def _database() -> Database:
    return Database(os.environ.get("DATABASE_URL"))


@click.group()
def main() -> None:
    """Jiuzhu (救助): social-assistance approval routes on SpiffWorkflow."""
    from engine import configure_logging
    configure_logging()  # text, or JSON with JIUZHU_LOG_FORMAT=json; ID numbers masked; SpiffWorkflow quiet


@main.command()
def migrate() -> None:
    """Create or migrate the database schema (Alembic)."""
    from engine import upgrade
    database = _database()
    upgrade(database.engine)
    click.echo(f"schema up to date: {database.engine.url.render_as_string(hide_password=True)}")


@main.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--forms", "forms_dir", type=click.Path(path_type=Path), default=None, help="forms directory")
def deploy(path: Path | None, forms_dir: Path | None) -> None:
    """Validate the processes under PATH (default processes/) and deploy changed ones."""
    from engine import FORMS_DIR, PROCESSES_DIR, deploy as do_deploy
    from engine.errors import DeployRefused
    database = _database()
    with database.unit_of_work(write=True) as uow:
        try:
            report = do_deploy(uow.session, Clock().now(), path or PROCESSES_DIR, forms_dir or FORMS_DIR)
        except DeployRefused as exc:
            click.echo("部署被拒绝，未部署任何版本 / deploy refused, nothing deployed:", err=True)
            for problem in exc.problems:
                click.echo(f"  {problem}  ({problem.message_zh})", err=True)
            sys.exit(1)
        uow.commit()
    for process_id, digest in report.deployed:
        click.echo(f"deployed  {process_id}  {digest[:12]}")
    for process_id, digest in report.unchanged:
        click.echo(f"unchanged {process_id}  {digest[:12]}")


def _refused(problems) -> None:
    click.echo("数据文件有误，未载入任何内容 / data file refused, nothing loaded:", err=True)
    for problem in problems:
        click.echo(f"  {problem}  ({problem.message_zh})", err=True)
    sys.exit(1)


def _report(kind: str, report) -> None:
    click.echo(f"{kind}: {len(report.created)} created, {len(report.updated)} updated, {report.unchanged} unchanged")
    for username, password in sorted(report.generated_passwords.items()):
        click.echo(f"  initial password of {username}: {password}  (shown once; ask them to change it)")


def _load_file(kind: str, load) -> None:
    """Run ``load(session)`` in one unit of work: a refused file loads nothing and exits with status 1."""
    from engine.errors import DataFileInvalid
    with _database().unit_of_work(write=True) as uow:
        try:
            report = load(uow.session)
        except DataFileInvalid as exc:
            _refused(exc.problems)
        uow.commit()
    _report(kind, report)


@main.command("load-places")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def load_places_command(path: Path) -> None:
    """Create or update counties, townships and villages from a places file (idempotent)."""
    from engine import load_places_file, read_places
    # Audited as the command line's change (an admin's upload of the same file is audited as theirs).
    _load_file("places", lambda session: load_places_file(session, None, Clock().now(), read_places(path), path.name))


@main.command("load-users")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def load_users_command(path: Path) -> None:
    """Create or update users and their roles from a users file (idempotent; passwords never reset)."""
    from engine import load_users, read_users
    _load_file("users", lambda session: load_users(session, read_users(path, session), Clock().now()))


@main.command()
def demo() -> None:
    """Load the demo places, users and sample cases (demo/*.toml)."""
    from engine.errors import DataFileInvalid
    from engine import DEMO_DIR, demo_password, load_cases, load_directory, load_window_demo
    clock = Clock()
    with _database().unit_of_work(write=True) as uow:
        s = uow.session
        try:
            places, users = load_directory(s, clock.now(), DEMO_DIR / "places.toml", DEMO_DIR / "users.toml")
            cases = load_cases(s, clock, DEMO_DIR / "cases.toml")
            registrations = load_window_demo(s, clock, DEMO_DIR / "window.toml")
        except DataFileInvalid as exc:
            _refused(exc.problems)
        uow.commit()
    _report("demo places", places)
    _report("demo users", users)
    click.echo(f"{cases} sample cases started")
    click.echo(f"{registrations} sample window registrations")
    click.echo(f"demo logins (password for all: {demo_password()}):")
    from engine import DataFile
    for user in DataFile(DEMO_DIR / "users.toml").data["user"]:
        roles = ", ".join(r["role"] for r in user["roles"])
        click.echo(f"  {user['username']:<14} {roles:<22} {user['display_name']}")


@main.group()
def calendar() -> None:
    """The working-day calendar: State Council holiday notices (国务院办公厅节假日安排) and due dates."""


@calendar.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def calendar_load(file: Path) -> None:
    """Load a notice data file (cn-YYYY.toml) and recompute every open due date that depends on it."""
    from engine import install_notice
    try:
        year = install_notice(file)
    except ValueError as exc:
        click.echo(f"节假日安排文件有误，未载入 / notice file refused: {exc}", err=True)
        sys.exit(1)
    click.echo(f"loaded the {year} holiday notice from {file.name}")
    _recompute_due_dates()


@calendar.command("reload")
def calendar_reload() -> None:
    """Recompute every open due date under the notice files present now (after adding one by hand)."""
    _recompute_due_dates()


def _recompute_due_dates() -> None:
    from engine import recompute_due_dates as recompute
    with _database().unit_of_work(write=True) as uow:
        result = recompute(uow.session, Clock())
        uow.commit()
    click.echo(f"recomputed due dates: {result.tasks} tasks and {result.cases} cases changed; "
               f"{result.still_provisional} still provisional (暂定)")


@main.command()
@click.option("--interval", default=5.0, help="seconds between sweeps")
@click.option("--batch-size", default=200, help="cases whose timers fire per transaction")
@click.option("--review-batch-size", default=REVIEW_BATCH, help="periodic reviews started per transaction")
def scheduler(interval: float, batch_size: int, review_batch_size: int) -> None:
    """Run the scheduler process: due BPMN timers (公示期满 …), reminders and 督办 items, periodic
    reviews (复核) and monthly cut-offs."""
    from engine import run_forever
    click.echo(f"scheduler started, sweeping every {interval}s")
    run_forever(_database(), Clock(), interval, batch_size, review_batch_size)


def _attachments_dir(given: Path | None) -> Path:
    """The attachments folder the web app uses (``--attachments``, $JIUZHU_ATTACHMENTS_DIR, instance/attachments)."""
    from .attachments import DIRECTORY_ENV
    return given or Path(os.environ.get(DIRECTORY_ENV) or Path(__file__).resolve().parent.parent / "instance" / "attachments")


@main.command()
@click.argument("archive", type=click.Path(path_type=Path))
@click.option("--attachments", "attachments", type=click.Path(path_type=Path), default=None,
              help="attachments folder (default: as the web app)")
def backup(archive: Path, attachments: Path | None) -> None:
    """Write the store and the attachments folder to ARCHIVE (.tar.gz), consistent while the app runs."""
    from engine.backup import BackupFailed, backup as do_backup
    try:
        manifest = do_backup(_database(), _attachments_dir(attachments), archive, Clock().now())
    except BackupFailed as exc:
        click.echo(f"备份失败 / backup failed: {exc.message_zh} ({exc})", err=True)
        sys.exit(1)
    click.echo(f"backup written: {archive} {manifest['counts']}, {manifest['attachment_files']} attachment files")


@main.command()
@click.argument("archive", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--attachments", "attachments", type=click.Path(path_type=Path), default=None,
              help="attachments folder (default: as the web app)")
@click.option("--yes", is_flag=True, help="replace the store's content without asking")
def restore(archive: Path, attachments: Path | None, yes: bool) -> None:
    """Replace the store's content with ARCHIVE's and put its attachments back; checked against its counts."""
    from engine.backup import BackupFailed, restore as do_restore
    if not yes:
        click.confirm("恢复将替换数据库中的全部内容 / this replaces everything in the store. Continue?", abort=True)
    try:
        manifest = do_restore(_database(), _attachments_dir(attachments), archive)
    except BackupFailed as exc:
        click.echo(f"恢复失败 / restore failed: {exc.message_zh} ({exc})", err=True)
        sys.exit(1)
    click.echo(f"restored from {archive} (made {manifest['created_at']}): {manifest['counts']}")


@main.command()
@click.option("--month", default=None, help="the month whose approvals are sampled (YYYY-MM; default: last month)")
def sample(month: str | None) -> None:
    """Draw the counties' monthly 抽查 of the approvals their townships decided (the scheduler does it at the
    start of each month); a county already drawn for the month is skipped."""
    from datetime import date
    from engine import sampling_sweep
    try:
        chosen = date.fromisoformat(f"{month}-01") if month else None
    except ValueError:
        click.echo(f"月份应为「年-月」/ month must be YYYY-MM: {month}", err=True)
        sys.exit(2)
    for drawn in sampling_sweep(_database(), Clock(), chosen):
        click.echo(f"{drawn.county_code} {drawn.month}: {len(drawn.selected)} of {drawn.population} drawn "
                   f"{', '.join(drawn.selected)}")


@main.command("dashboard-refresh")
def dashboard_refresh() -> None:
    """Rewrite the supervisor's dashboard tables now (the scheduler does it every few minutes)."""
    from engine import dashboard_sweep
    written = dashboard_sweep(_database(), Clock())
    click.echo("dashboard refreshed: " + ", ".join(f"{table} {n}" for table, n in written.items()))


@main.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
def run(host: str, port: int) -> None:
    """Serve the web app (single process; use gunicorn 'webapp.wsgi:app' in production).

    This is the plain-HTTP demo server, so the session cookie is not marked Secure unless
    JIUZHU_COOKIE_SECURE says so; every other way of serving the app marks it Secure by default."""
    from webapp import create_app
    overrides = {} if os.environ.get("JIUZHU_COOKIE_SECURE") else {"SESSION_COOKIE_SECURE": False}
    create_app(overrides).run(host=host, port=port)


@main.group()
def user() -> None:
    """Administer users: create, deactivate, set a password, set roles, unlock log-in."""


def _administer(action, *args):
    """Run one user-administration use case as the operator (audited as the command line) and commit."""
    from engine.errors import FormInvalid, NotFound
    with _database().unit_of_work(write=True) as uow:
        s = uow.session
        try:
            result = action(s, None, Clock().now(), *args)
        except FormInvalid as exc:
            for where, message in exc.errors.items():
                click.echo(f"  {where}: {message}", err=True)
            sys.exit(2)
        except NotFound as exc:
            click.echo(exc.message_zh, err=True)
            sys.exit(2)
        uow.commit()
    return result


def _role_pairs(roles: tuple[str, ...]) -> list[tuple[str, str]]:
    pairs = []
    for text in roles:
        role, sep, unit_code = text.partition(":")
        if not sep or not role or not unit_code:
            raise click.BadParameter(f"{text!r}: write ROLE:UNIT_CODE, e.g. township:320921100", param_hint="ROLES")
        pairs.append((role, unit_code))
    return pairs


@user.command("create")
@click.argument("username")
@click.argument("roles", nargs=-1)
@click.option("--name", "display_name", default="", help="display name (default: the username)")
@click.password_option(help="the new user's password (asked for when not given)")
def user_create(username: str, roles: tuple[str, ...], display_name: str, password: str) -> None:
    """Create USERNAME with ROLES written ROLE:UNIT_CODE (e.g. township:320921100)."""
    from engine import create_user
    _administer(create_user, username, display_name, password, _role_pairs(roles))
    click.echo(f"created {username}")


@user.command("deactivate")
@click.argument("username")
def user_deactivate(username: str) -> None:
    """Stop USERNAME from logging in and end their sessions now."""
    from engine import deactivate_user
    ended = _administer(deactivate_user, username)
    click.echo(f"deactivated {username}; {ended} session(s) ended")


@user.command("set-password")
@click.argument("username")
@click.password_option(help="the new password (asked for when not given)")
def user_set_password(username: str, password: str) -> None:
    """Set USERNAME's password and end their sessions now."""
    from engine import change_password
    ended = _administer(change_password, username, password)
    click.echo(f"password of {username} changed; {ended} session(s) ended")


@user.command("set-roles")
@click.argument("username")
@click.argument("roles", nargs=-1)
def user_set_roles(username: str, roles: tuple[str, ...]) -> None:
    """Replace USERNAME's roles with ROLES written ROLE:UNIT_CODE, and end their sessions now."""
    from engine import change_roles
    ended = _administer(change_roles, username, _role_pairs(roles))
    click.echo(f"roles of {username} set; {ended} session(s) ended")


@user.command("unlock")
@click.argument("key")
@click.option("--address", "is_address", is_flag=True, help="KEY is a client address, not an account name")
def user_unlock(key: str, is_address: bool) -> None:
    """Clear failed log-ins and any lock of an account name (or, with --address, a client address)."""
    from engine import unlock
    done = _administer(unlock, "address" if is_address else "account", key)
    click.echo(f"unlocked {key}" if done else f"{key} was not locked")


def register(app: Flask) -> None:
    """Expose the commands under ``flask`` too."""
    app.cli.add_command(main, "jiuzhu")
if __name__ == "__main__":
    main()
