"""`jiuzhu backup` / `jiuzhu restore`: a store and its attachments round-trip whole into an empty store."""
from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from engine.backup import BackupFailed, backup, counts, restore
from engine import BlobStore, store_attachment
from engine.store.database import Database
from engine.store.models import Attachment, Case, Document, HumanTask
from tests.conftest import _create_pg_database
from tests.factories import sample_scan, start


def contents(database: Database) -> dict:
    """What must come back: every case, task, document and attachment, by what identifies it."""
    with database.unit_of_work() as uow:
        s = uow.session
        return {"cases": sorted(s.execute(select(Case.number, Case.status, Case.revision)).all()),
                "tasks": sorted(s.execute(select(HumanTask.id, HumanTask.status)).all()),
                "documents": sorted(s.execute(select(Document.number, Document.title)).all()),
                "attachments": sorted(s.execute(select(Attachment.sha256, Attachment.filename)).all())}


@pytest.fixture
def empty_store(db, tmp_path):
    """An empty database of the same kind as the test's store (restored into, then dropped)."""
    if db.is_postgres:
        if shutil.which("pg_dump") is None:
            pytest.skip("pg_dump is not installed")
        url, drop = _create_pg_database()
    else:
        url, drop = f"sqlite:///{tmp_path / 'restored.sqlite3'}", (lambda: None)
    target = Database(url)
    yield target
    target.dispose()
    drop()


def test_a_store_and_its_attachments_round_trip(db, clock, who, unit_id, tmp_path, empty_store):
    blobs = BlobStore(tmp_path / "attachments")
    approved, waiting = start(db, clock, who, unit_id), start(db, clock, who, unit_id)
    approved.drive_to("confirmation")
    approved.do("confirmation")
    scans = [sample_scan("png", seed=1), sample_scan("pdf")]
    with db.unit_of_work(write=True) as uow:
        for content, name in zip(scans, ("户口簿.png", "收入证明.pdf")):
            store_attachment(uow.session, who("village_sy"), clock, blobs, case_id=waiting.case_id,
                             material="household_register", filename=name, content=content)
        uow.commit()
    before = contents(db)
    assert all(before.values()), before  # cases, tasks, documents and attachments to carry

    archive = tmp_path / "backup" / "jiuzhu.tar.gz"
    manifest = backup(db, blobs.root, archive, clock.now())
    assert manifest["counts"] == counts(db) and manifest["attachment_files"] == 2
    restored_blobs = BlobStore(tmp_path / "restored-attachments")
    restore(empty_store, restored_blobs.root, archive)
    assert contents(empty_store) == before
    for sha256, _name in before["attachments"]:
        assert restored_blobs.path_of(sha256).read_bytes() == blobs.path_of(sha256).read_bytes()


def test_restore_refuses_what_is_not_a_backup_and_the_cli_says_why(db, tmp_path, db_url, monkeypatch):
    bogus = tmp_path / "not-a-backup.tar.gz"
    bogus.write_bytes(b"hello")
    from webapp.cli import main
    monkeypatch.setenv("DATABASE_URL", db_url)
    result = CliRunner().invoke(main, ["restore", str(bogus), "--attachments", str(tmp_path / "a"), "--yes"])
    assert result.exit_code == 1 and "不是可识别的备份文件" in result.output + (result.stderr if result.stderr_bytes else "")
    with pytest.raises(BackupFailed):
        restore(db, tmp_path / "a", bogus)


@pytest.mark.parametrize("old_page_size", [4096, 65536])
def test_a_backup_restores_into_a_sqlite_store_of_another_page_size(db, clock, who, unit_id, tmp_path,
                                                                    old_page_size):
    if db.is_postgres:
        pytest.skip("page sizes are SQLite's")
    import sqlite3
    start(db, clock, who, unit_id).drive_to("confirmation")
    before = contents(db)
    archive = tmp_path / "backup" / "jiuzhu.tar.gz"
    backup(db, tmp_path / "attachments", archive, clock.now())
    path = tmp_path / "older.sqlite3"
    older = sqlite3.connect(path)  # a store made before 16 KB pages (or with larger ones), in WAL mode
    older.execute(f"PRAGMA page_size={old_page_size}")
    older.execute("PRAGMA journal_mode=WAL")
    older.execute("CREATE TABLE t (x)")
    older.close()
    target = Database(f"sqlite:///{path}")
    try:
        restore(target, tmp_path / "restored-attachments", archive)
        assert contents(target) == before
        with target.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA page_size").scalar_one() == 16384
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
    finally:
        target.dispose()
