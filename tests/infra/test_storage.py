"""Atomic, private writes and appends that concurrent hooks can't interleave."""

from __future__ import annotations

import multiprocessing
import os
import stat
from pathlib import Path

import pytest

from sfp.errors import StorageError
from sfp.infra.storage import append_line, ensure_private_dir, file_lock, write_atomic


def test_write_atomic_replaces_whole_and_is_private(tmp_path: Path) -> None:
    target = tmp_path / "f.json"
    target.write_text("old")
    os.chmod(target, 0o644)
    write_atomic(target, "new")
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]  # no temp file left


def test_write_atomic_failure_keeps_the_old_file_and_says_why(tmp_path: Path) -> None:
    target = tmp_path / "gone" / "f"
    with pytest.raises(StorageError, match="cannot write"):
        write_atomic(target, "x")


def test_ensure_private_dir_tightens_an_open_folder(tmp_path: Path) -> None:
    folder = tmp_path / "a" / "b"
    folder.mkdir(parents=True, mode=0o755)
    os.chmod(folder, 0o755)
    ensure_private_dir(folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_ensure_private_dir_makes_missing_parents_private_too(tmp_path: Path) -> None:
    ensure_private_dir(tmp_path / "claude" / "sfp" / "state")
    for folder in ("claude", "claude/sfp", "claude/sfp/state"):
        assert stat.S_IMODE((tmp_path / folder).stat().st_mode) == 0o700


def test_a_file_where_the_folder_should_be_is_reported_and_left_alone(tmp_path: Path) -> None:
    in_the_way = tmp_path / "backups"
    in_the_way.write_text("mine")
    in_the_way.chmod(0o644)
    with pytest.raises(StorageError, match="a file of that name is in the way"):
        ensure_private_dir(in_the_way)
    assert stat.S_IMODE(in_the_way.stat().st_mode) == 0o644 and in_the_way.read_text() == "mine"


def test_ensure_private_dir_over_a_file_is_a_storage_error(tmp_path: Path) -> None:
    (tmp_path / "x").write_text("")
    with pytest.raises(StorageError, match="cannot create folder"):
        ensure_private_dir(tmp_path / "x" / "y")


def _append_many(path: str, tag: str) -> None:
    for i in range(200):
        append_line(Path(path), f"{tag}-{i}-" + "y" * 5000)


def test_concurrent_appends_never_interleave(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    procs = [multiprocessing.Process(target=_append_many, args=(str(path), f"p{n}")) for n in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    lines = path.read_text().splitlines()
    assert len(lines) == 800
    assert all(line.endswith("y" * 5000) and line.count("-") == 2 for line in lines)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_file_lock_times_out_while_another_holds_it(tmp_path: Path) -> None:
    lock = tmp_path / "l.lock"
    with file_lock(lock):
        ready = multiprocessing.Event()
        result = multiprocessing.Queue()  # type: ignore[var-annotated]

        def contend() -> None:
            try:
                with file_lock(lock, timeout=0.2):
                    result.put("got it")
            except StorageError as exc:
                result.put(str(exc))
            ready.set()

        proc = multiprocessing.Process(target=contend)
        proc.start()
        proc.join(5)
        assert "timed out" in result.get(timeout=1)


def test_a_link_planted_at_a_lock_is_not_followed(tmp_path: Path) -> None:
    from sfp.errors import StorageError
    from sfp.infra.storage import file_lock

    victim = tmp_path / "victim"
    lock = tmp_path / ".lock"
    lock.symlink_to(victim)
    with pytest.raises(StorageError, match="cannot open lock"):
        with file_lock(lock, timeout=0.1):
            pass
    assert not victim.exists()
