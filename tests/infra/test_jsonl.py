"""infra.jsonl: whole lines from concurrent writers, bounded rotation, no link followed, no torn line left."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from helpers import ROOT
from sfp.errors import StorageError
from sfp.infra.jsonl import JsonLines


def numbered(n: int, pad: str = "x" * 80) -> str:
    return json.dumps({"n": n, "pad": pad})


def test_rotation_keeps_n_files_and_the_newest_lines(tmp_path: Path) -> None:
    store = JsonLines(tmp_path / "store" / "events.jsonl", keep=2, max_bytes=1000)
    for n in range(100):
        store.append(numbered(n))
    names = sorted(p.name for p in store.path.parent.iterdir() if not p.name.startswith("."))
    assert names == ["events.jsonl", "events.jsonl.1", "events.jsonl.2"]
    assert all(0 < p.stat().st_size <= 1000 for p in store.files())
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in store.files())
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
    numbers = [json.loads(line)["n"] for line in store.lines()]
    assert numbers == list(range(numbers[0], 100))  # oldest first, contiguous across the three files
    assert 20 < len(numbers) < 100  # bounded, yet three files' worth is kept


def test_rotation_rechecks_the_size_so_racing_writers_rotate_once(tmp_path: Path) -> None:
    store = JsonLines(tmp_path / "a.jsonl", keep=3, max_bytes=100)
    store.path.write_text("x" * 50 + "\n")
    store.rotate(incoming=40)  # still room: another writer rotated while this one waited for the lock
    assert not store.rotated(1).exists() and store.path.stat().st_size == 51
    store.rotate(incoming=60)
    assert store.rotated(1).read_text() == "x" * 50 + "\n" and not store.path.exists()


def test_a_line_longer_than_max_bytes_is_written_without_rotating_an_empty_file(tmp_path: Path) -> None:
    store = JsonLines(tmp_path / "a.jsonl", keep=1, max_bytes=10)
    store.append(numbered(1))
    store.append(numbered(2))
    assert [json.loads(line)["n"] for line in store.lines()] == [1, 2]
    assert store.rotated(1).read_text() == numbered(1) + "\n"


def test_no_file_yet_reads_as_no_lines(tmp_path: Path) -> None:
    assert list(JsonLines(tmp_path / "none" / "a.jsonl", keep=3, max_bytes=100).lines()) == []


def test_lines_split_on_newlines_only(tmp_path: Path) -> None:
    store = JsonLines(tmp_path / "a.jsonl", keep=1, max_bytes=1000)
    store.append(json.dumps({"text": "one\u2028still one\x0bstill one"}, ensure_ascii=False))
    assert [json.loads(line)["text"] for line in store.lines()] == ["one\u2028still one\x0bstill one"]


def test_a_lone_surrogate_is_escaped_not_lost(tmp_path: Path) -> None:
    store = JsonLines(tmp_path / "a.jsonl", keep=1, max_bytes=1000)
    store.append(json.dumps({"text": "odd \udc80"}, ensure_ascii=False))
    assert [json.loads(line)["text"] for line in store.lines()] == ["odd \udc80"]


def test_a_line_holding_a_newline_is_refused(tmp_path: Path) -> None:
    store = JsonLines(tmp_path / "a.jsonl", keep=1, max_bytes=1000)
    with pytest.raises(ValueError, match="newline"):
        store.append('{"a": 1}\n{"b": 2}')
    assert not store.path.exists()


def test_an_existing_loose_file_is_made_private(tmp_path: Path) -> None:
    store = JsonLines(tmp_path / "a.jsonl", keep=1, max_bytes=1000)
    store.path.write_text("")
    store.path.chmod(0o644)
    store.append(numbered(1))
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


def test_a_symlink_at_the_path_is_not_written_through(tmp_path: Path) -> None:
    target = tmp_path / "someone-elses.txt"
    target.write_text("theirs\n")
    store = JsonLines(tmp_path / "a.jsonl", keep=1, max_bytes=1000)
    store.path.symlink_to(target)
    with pytest.raises(StorageError, match="cannot append"):
        store.append(numbered(1))
    assert target.read_text() == "theirs\n" and store.path.is_symlink()


def test_a_fifo_at_the_path_is_refused_without_hanging(tmp_path: Path) -> None:
    store = JsonLines(tmp_path / "a.jsonl", keep=1, max_bytes=1000)
    os.mkfifo(store.path)
    with pytest.raises(StorageError):
        store.append(numbered(1))


SHORT_WRITE = """
import json, resource, signal, sys
from pathlib import Path
from sfp.errors import StorageError
from sfp.infra.jsonl import JsonLines

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # past the limit: EFBIG, not a killed process
store = JsonLines(Path(sys.argv[1]), keep=1, max_bytes=10**6)
store.append(json.dumps({"n": 0, "pad": "x" * 100}))
limit = store.path.stat().st_size + 40  # room for part of the next line, not all of it
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
try:
    store.append(json.dumps({"n": 1, "pad": "y" * 100}))
except StorageError as exc:
    print("refused:", exc)
"""


def test_a_short_write_leaves_no_partial_line(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    done = subprocess.run([sys.executable, "-c", SHORT_WRITE, str(path)], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("refused:") and "bytes could be written" in done.stdout
    assert path.read_text() == json.dumps({"n": 0, "pad": "x" * 100}) + "\n"


WRITER = """
import json, sys
from pathlib import Path
from sfp.infra.jsonl import JsonLines
path, writer, count, max_bytes = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
store = JsonLines(path, keep=3, max_bytes=max_bytes)
for n in range(count):
    store.append(json.dumps({"writer": writer, "n": n, "pad": writer * 20000}))
"""


def run_writers(path: Path, writers: int, each: int, max_bytes: int) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    processes = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), chr(ord("a") + w), str(each), str(max_bytes)],
                                  env=env) for w in range(writers)]
    assert [p.wait(timeout=120) for p in processes] == [0] * writers


def whole_records(store: JsonLines) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in store.lines()]  # a torn or interleaved line would not parse
    assert all(r["pad"] == str(r["writer"]) * 20000 for r in records)
    return records


def test_concurrent_writers_from_several_processes_write_every_line_whole(tmp_path: Path) -> None:
    store = JsonLines(tmp_path / "a.jsonl", keep=3, max_bytes=10**9)
    run_writers(store.path, writers=6, each=60, max_bytes=store.max_bytes)
    records = whole_records(store)
    for w in range(6):
        assert [r["n"] for r in records if r["writer"] == chr(ord("a") + w)] == list(range(60))


def test_concurrent_writers_rotating_together_leave_only_whole_lines_in_order(tmp_path: Path) -> None:
    store = JsonLines(tmp_path / "a.jsonl", keep=3, max_bytes=400_000)
    run_writers(store.path, writers=6, each=60, max_bytes=store.max_bytes)
    assert store.rotated(3).exists() and not store.rotated(4).exists()
    records = whole_records(store)
    assert 0 < len(records) < 6 * 60  # rotation dropped the oldest
    for w in range(6):
        mine = [r["n"] for r in records if r["writer"] == chr(ord("a") + w)]
        assert mine == sorted(set(mine))  # each writer's lines stay in its order, none twice
