"""Backups of a whole installation: the store and the attachments folder in one tar archive, and back.

SQLite is copied with its online backup API (consistent while the app runs); PostgreSQL with pg_dump's
custom format and pg_restore, when those programs are installed. The archive's manifest records how many
cases, tasks, documents and attachments it holds; a restore checks the restored store against it.
"""
from __future__ import annotations

import io
import json
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from engine.store.database import Database
from engine.store.models import Attachment, Case, Document, HumanTask

FORMAT = 1
COUNTED = {"case": Case, "human_task": HumanTask, "document": Document, "attachment": Attachment}
SQLITE_MEMBER, PG_MEMBER, MANIFEST = "database.sqlite3", "database.pgdump", "manifest.json"


class BackupFailed(RuntimeError):
    """The backup or restore could not be done; ``message_zh`` says why and what to do."""

    def __init__(self, message: str, message_zh: str) -> None:
        super().__init__(message)
        self.message_zh = message_zh


def counts(database: Database) -> dict[str, int]:
    """Rows of the tables a backup must carry whole (the manifest's and the check's figures)."""
    with database.unit_of_work() as uow:
        return {name: uow.session.execute(select(func.count()).select_from(model)).scalar_one()
                for name, model in COUNTED.items()}


def _pg_program(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupFailed(f"{name} is not installed: install the PostgreSQL client programs",
                           f"未找到 {name}：请安装 PostgreSQL 客户端程序（如 apt-get install postgresql-client）")
    return path


def _libpq_url(database: Database) -> str:
    return make_url(database.engine.url).set(drivername="postgresql").render_as_string(hide_password=False)


def _sqlite_path(database: Database) -> Path:
    path = database.engine.url.database
    if not path or path == ":memory:":
        raise BackupFailed("an in-memory SQLite store cannot be backed up", "内存中的 SQLite 数据库无法备份")
    return Path(path)


def _run(args: list[str]) -> None:
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupFailed(f"{Path(args[0]).name} failed: {done.stderr.strip()[:500]}",
                           f"{Path(args[0]).name} 执行失败：{done.stderr.strip()[:500]}")


def backup(database: Database, attachments_dir: Path, archive: Path, now: datetime) -> dict:
    """Write the store and the attachments folder to ``archive`` (a .tar.gz); returns the manifest."""
    manifest = {"format": FORMAT, "store": "postgresql" if database.is_postgres else "sqlite",
                "created_at": now.isoformat(), "counts": counts(database)}
    with tempfile.TemporaryDirectory() as work:
        dump = Path(work) / (PG_MEMBER if database.is_postgres else SQLITE_MEMBER)
        if database.is_postgres:
            _run([_pg_program("pg_dump"), "--format=custom", "--no-owner", f"--file={dump}", _libpq_url(database)])
        else:
            source, target = sqlite3.connect(_sqlite_path(database)), sqlite3.connect(dump)
            try:
                source.backup(target)  # page by page, consistent while other connections write
            finally:
                source.close()
                target.close()
        files = sorted(p for p in Path(attachments_dir).rglob("*") if p.is_file()) if attachments_dir.exists() else []
        manifest["attachment_files"] = len(files)
        archive.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(archive, "w:gz") as tar:
            body = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
            tar.add(dump, arcname=dump.name)
            for path in files:
                tar.add(path, arcname=f"attachments/{path.relative_to(attachments_dir).as_posix()}")
    return manifest


def restore(database: Database, attachments_dir: Path, archive: Path) -> dict:
    """Replace the store's content with the archive's and put its attachments back; the restored store
    is checked against the manifest's counts. Returns the manifest."""
    with tempfile.TemporaryDirectory() as work:
        try:
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(work, filter="data")  # no absolute paths, no links out of the folder
            manifest = json.loads((Path(work) / MANIFEST).read_text())
        except (OSError, tarfile.TarError, ValueError) as exc:
            raise BackupFailed(f"not a Jiuzhu backup: {exc}", "不是可识别的备份文件，未作任何改动") from exc
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise BackupFailed("not a Jiuzhu backup of a known format", "不是可识别的备份文件，未作任何改动")
        store = "postgresql" if database.is_postgres else "sqlite"
        if manifest["store"] != store:
            raise BackupFailed(f"a {manifest['store']} backup cannot be restored into {store}",
                               f"{manifest['store']} 的备份不能恢复到 {store} 数据库")
        if database.is_postgres:
            database.engine.dispose()
            _run([_pg_program("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
                  f"--dbname={_libpq_url(database)}", str(Path(work) / PG_MEMBER)])
        else:
            database.engine.dispose()
            source, target = sqlite3.connect(Path(work) / SQLITE_MEMBER), sqlite3.connect(_sqlite_path(database))
            try:
                # A WAL store cannot take pages of another size (a backup of a 16 KB-page store into a 4 KB
                # one, or the reverse): copy in rollback-journal mode, then back to WAL.
                target.execute("PRAGMA journal_mode=DELETE")
                source.backup(target)
                target.execute("PRAGMA journal_mode=WAL")
            finally:
                source.close()
                target.close()
        saved = Path(work) / "attachments"
        if saved.exists():
            shutil.copytree(saved, attachments_dir, dirs_exist_ok=True)  # content-addressed: merging is safe
    restored = counts(database)
    if restored != manifest["counts"]:
        raise BackupFailed(f"restored store differs from the backup: {restored} != {manifest['counts']}",
                           "恢复后的数据与备份不一致，请检查备份文件")
    return manifest
