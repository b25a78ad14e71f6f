"""The ``jiuzhu`` command: run, scheduler, deploy, demo, migrate, calendar."""
from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click
from flask import Flask

from engine.clock import Clock
from engine.db import Database


def _database() -> Database:
    return Database(os.environ.get("DATABASE_URL"))


@click.group()
def main() -> None:
    """Jiuzhu (救助): social-assistance approval routes on SpiffWorkflow."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


@main.command()
def migrate() -> None:
    """Create or migrate the database schema (Alembic)."""
    from engine.migrate import upgrade
    database = _database()
    upgrade(database.engine)
    click.echo(f"schema up to date: {database.engine.url.render_as_string(hide_password=True)}")


@main.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--forms", "forms_dir", type=click.Path(path_type=Path), default=None, help="forms directory")
def deploy(path: Path | None, forms_dir: Path | None) -> None:
    """Validate the processes under PATH (default processes/) and deploy changed ones."""
    from engine.deployment import FORMS_DIR, PROCESSES_DIR, deploy as do_deploy
    from engine.errors import DeployRefused
    database = _database()
    with database.unit_of_work(write=True) as s:
        try:
            report = do_deploy(s, Clock().now(), path or PROCESSES_DIR, forms_dir or FORMS_DIR)
        except DeployRefused as exc:
            click.echo("部署被拒绝，未部署任何版本 / deploy refused, nothing deployed:", err=True)
            for problem in exc.problems:
                click.echo(f"  {problem}  ({problem.message_zh})", err=True)
            sys.exit(1)
    for process_id, digest in report.deployed:
        click.echo(f"deployed  {process_id}  {digest[:12]}")
    for process_id, digest in report.unchanged:
        click.echo(f"unchanged {process_id}  {digest[:12]}")


@main.command()
def demo() -> None:
    """Load the demo county (响水县), its users and sample cases."""
    from engine.demo import DEMO_PASSWORD, USERS, load_places_and_users, load_sample_cases
    database = _database()
    clock = Clock()
    with database.unit_of_work(write=True) as s:
        created = load_places_and_users(s, clock.now())
    with database.unit_of_work(write=True) as s:
        cases = load_sample_cases(s, clock)
    click.echo(f"demo county {'created' if created else 'already present'}; {cases} sample cases started")
    click.echo(f"demo logins (password for all: {DEMO_PASSWORD}):")
    for username, display, role, _unit in USERS:
        click.echo(f"  {username:<14} {role:<18} {display}")


@main.group()
def calendar() -> None:
    """The working-day calendar: State Council holiday notices (国务院办公厅节假日安排) and due dates."""


@calendar.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def calendar_load(file: Path) -> None:
    """Load a notice data file (cn-YYYY.toml) and recompute every open due date that depends on it."""
    from engine.workdays import install_notice
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
    from engine.due_dates import recompute
    with _database().unit_of_work(write=True) as s:
        result = recompute(s, Clock())
        s.commit()
    click.echo(f"recomputed due dates: {result.tasks} tasks and {result.cases} cases changed; "
               f"{result.still_provisional} still provisional (暂定)")


@main.command()
@click.option("--interval", default=5.0, help="seconds between sweeps")
@click.option("--batch-size", default=200, help="cases per transaction")
def scheduler(interval: float, batch_size: int) -> None:
    """Run the scheduler process: fires due BPMN timers (公示期满 …), reminders and 督办 items."""
    from engine.scheduler import run_forever
    click.echo(f"scheduler started, sweeping every {interval}s")
    run_forever(_database(), Clock(), interval, batch_size)


@main.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
def run(host: str, port: int) -> None:
    """Serve the web app (single process; use gunicorn 'webapp.wsgi:app' in production)."""
    from webapp import create_app
    create_app().run(host=host, port=port)


def register(app: Flask) -> None:
    """Expose the commands under ``flask`` too."""
    app.cli.add_command(main, "jiuzhu")
if __name__ == "__main__":
    main()
