"""`sfp prune`: the runbook's weekly clean-up of backups and handoffs."""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import SfpRunner
from helpers import Run, clean_env
from sfp.backup.create import create_backup
from sfp.backup.model import BackupSettings
from sfp.backup.store import list_backups
from sfp.claude import settings as cc
from sfp.commands.prune import prune
from sfp.errors import UsageError


def handoffs(claude_dir: Path, count: int) -> None:
    folder = claude_dir / "handoffs"
    folder.mkdir()
    for n in range(count):
        for suffix in (".md", ".json"):
            (folder / f"handoff-{n:02}{suffix}").write_text("x")
            os.utime(folder / f"handoff-{n:02}{suffix}", (1000 + n, 1000 + n))


def backups(claude_dir: Path, count: int) -> list[str]:
    return [create_backup(claude_dir, None, BackupSettings(), reason="manual", clock=lambda: 1770721192.0 + n).backup_id
            for n in range(count)]


def call(claude_dir: Path, **kwargs: object) -> str:
    out = io.StringIO()
    # Never this machine's ~/.shiv: prune removes sfp extractions it finds there.
    environ = {"HOME": str(claude_dir / "home"), "SHIV_ROOT": str(claude_dir / "shiv")}
    assert prune(claude_dir, None, out=out, environ=environ, **kwargs) == 0  # type: ignore[arg-type]
    return out.getvalue()


def test_prune_uses_the_configured_numbers(claude_dir: Path) -> None:
    handoffs(claude_dir, 4)
    ids = backups(claude_dir, 3)
    out = call(claude_dir, keep_backups=None, keep_handoffs=None, dry_run=False,
               settings=BackupSettings(keep=2, keep_handoffs=3))
    assert f"removed backup {ids[0]}" in out and f"removed {claude_dir / 'handoffs' / 'handoff-00.md'}" in out
    assert [b.backup_id for b in list_backups(claude_dir)] == ids[1:]
    assert sorted(os.listdir(claude_dir / "handoffs"))[0] == "handoff-01.json"


def test_options_override_and_dry_run_removes_nothing(claude_dir: Path) -> None:
    handoffs(claude_dir, 3)
    ids = backups(claude_dir, 3)
    out = call(claude_dir, keep_backups=1, keep_handoffs=1, dry_run=True, settings=BackupSettings())
    assert out.count("would remove backup") == 2 and out.count("would remove /") == 4 and "dry run" in out
    assert len(list_backups(claude_dir)) == 3 and len(os.listdir(claude_dir / "handoffs")) == 6
    call(claude_dir, keep_backups=1, keep_handoffs=1, dry_run=False, settings=BackupSettings())
    assert [b.backup_id for b in list_backups(claude_dir)] == ids[-1:]
    assert sorted(os.listdir(claude_dir / "handoffs")) == ["handoff-02.json", "handoff-02.md"]


def test_nothing_to_prune_says_so(claude_dir: Path) -> None:
    out = call(claude_dir, keep_backups=5, keep_handoffs=5, dry_run=False, settings=BackupSettings())
    assert out == ("no backups to remove\nno handoffs to remove\n"
                   "no settings backups, kept builds or shiv extractions to remove\n")


def test_keep_below_one_is_a_usage_error(claude_dir: Path) -> None:
    with pytest.raises(UsageError, match="--keep-handoffs must be at least 1"):
        call(claude_dir, keep_backups=3, keep_handoffs=0, dry_run=False, settings=BackupSettings())


def test_cli_prune_and_backup_verify(sfp: SfpRunner, claude_dir: Path, tmp_path: Path) -> None:
    sfp = isolated(sfp, claude_dir, tmp_path)
    handoffs(claude_dir, 3)
    backups(claude_dir, 2)
    run = sfp("prune", "--keep-backups", "1", "--keep-handoffs", "2", "--dry-run")
    assert run.code == 0 and run.out.count("would remove") == 3, run.err
    assert sfp("prune", "--keep-backups", "1", "--keep-handoffs", "2").code == 0
    assert len(list_backups(claude_dir)) == 1 and len(os.listdir(claude_dir / "handoffs")) == 4
    assert sfp("backup", "verify").code == 0
    [left] = list_backups(claude_dir)
    left.stored_path(left.files[0]).write_text("rot")
    failed = sfp("backup", "verify")
    assert failed.code == 1 and "does not match its checksum" in failed.out
    assert sfp("prune", "--keep-backups", "0").code == 2


# --- sfp's own leftovers ------------------------------------------------------------------------------------


def isolated(sfp: SfpRunner, claude_dir: Path, tmp_path: Path) -> SfpRunner:
    """`sfp` with HOME and SHIV_ROOT in tmp_path: a prune must never reach this machine's ~/.shiv."""
    env = clean_env(claude_dir, home=tmp_path / "home", SHIV_ROOT=str(tmp_path / "shiv"))

    def run(*args: str, **kwargs: object) -> Run:
        return sfp(*args, env=env, **kwargs)

    return run


def settings_backups(folder: Path, count: int) -> list[Path]:
    made = [folder / f"settings.json.sfp-backup-202601{n + 1:02}-120000" for n in range(count)]
    for path in made:
        path.write_text("{}")
    return made


def test_settings_backups_beyond_the_configured_count_go(sfp: SfpRunner, claude_dir: Path, tmp_path: Path) -> None:
    sfp = isolated(sfp, claude_dir, tmp_path)
    made = settings_backups(claude_dir, 7)
    (claude_dir / "settings.json.sfp-backup-notes").write_text("mine")  # not a name sfp gives
    run = sfp("prune")  # prune.keep_settings_backups: 5
    assert run.code == 0, run.err
    assert [p.exists() for p in made] == [False, False] + [True] * 5
    assert f"removed settings backup {made[0]}" in run.out
    (claude_dir / "sfp").mkdir()
    (claude_dir / "sfp" / "sfp.yaml").write_text("prune:\n  keep_settings_backups: 3\n")
    assert sfp("prune", "--dry-run").out.count("would remove settings backup") == 2
    assert sfp("prune", "--keep-settings-backups", "1").code == 0
    assert [p.exists() for p in made] == [False] * 6 + [True] and (claude_dir / "settings.json.sfp-backup-notes").exists()
    assert sfp("prune", "--keep-builds", "0").code == 2
    (claude_dir / "sfp" / "sfp.yaml").write_text("prune:\n  keep_builds: 0\n")
    assert "keep_builds" in sfp("prune").err


def kept_builds(claude_dir: Path, count: int) -> list[Path]:
    folder = claude_dir / "sfp" / "versions"
    folder.mkdir(parents=True)
    made = []
    for n in range(count):
        path = folder / f"sfp-0.1.{n}-{hashlib.sha256(str(n).encode()).hexdigest()[:12]}.pyz"
        path.write_bytes(str(n).encode())
        os.utime(path, (1000 + n, 1000 + n))
        made.append(path)
    return made


def hooked(claude_dir: Path, pyz: Path) -> None:
    command = cc.hook_command(sys.executable, str(pyz))
    (claude_dir / "settings.json").write_text(json.dumps(cc.with_sfp_hooks({}, cc.hook_entries(command, {}))))


def test_kept_builds_beyond_the_count_go_never_one_a_hook_runs(sfp: SfpRunner, claude_dir: Path, tmp_path: Path) -> None:
    sfp = isolated(sfp, claude_dir, tmp_path)
    builds = kept_builds(claude_dir, 5)
    hooked(claude_dir, builds[0])  # rolled back to the oldest: the hooks run the kept copy itself
    run = sfp("prune", "--keep-builds", "2")
    assert run.code == 0, run.err
    assert [p.exists() for p in builds] == [True, False, False, True, True]
    # A hook running another file with the same content keeps that content's copy too.
    elsewhere = tmp_path / "bin" / "sfp.pyz"
    elsewhere.parent.mkdir()
    elsewhere.write_bytes(builds[3].read_bytes())
    hooked(claude_dir, elsewhere)
    assert sfp("prune", "--keep-builds", "1").code == 0
    assert [p.exists() for p in builds] == [False, False, False, True, True]


def test_shiv_extractions_no_hook_runs_go(sfp: SfpRunner, claude_dir: Path, tmp_path: Path) -> None:
    sfp = isolated(sfp, claude_dir, tmp_path)
    used, old = "a" * 64, "b" * 64
    pyz = tmp_path / "bin" / "sfp.pyz"
    pyz.parent.mkdir()
    with zipfile.ZipFile(pyz, "w") as archive:
        archive.writestr("environment.json", json.dumps({"build_id": used}))
    hooked(claude_dir, pyz)
    root = tmp_path / "shiv"
    for name in (f"sfp.pyz_{used}", f"sfp.pyz_{old}", f"sfp.pyz_{old}.tmp", f"other.pyz_{old}"):
        (root / name / "site-packages").mkdir(parents=True)
    for name in (f".sfp.pyz_{used}_lock", f".sfp.pyz_{old}_lock"):
        (root / name).write_text("")
    recent = root / f"sfp.pyz_{'c' * 64}"  # no hook here runs it, but a process imported from it lately
    (recent / "site-packages" / "sfp" / "__pycache__").mkdir(parents=True)
    (recent / "site-packages" / "sfp" / "__pycache__" / "__init__.cpython-311.pyc").write_text("")
    for folder in [root / f"sfp.pyz_{old}", root / f"sfp.pyz_{used}", recent]:
        os.utime(folder, (1000, 1000))  # unpacked long ago
    looked = sfp("prune", "--dry-run", "--json")
    assert looked.code == 0, looked.err
    document = json.loads(looked.out)
    assert document["schema"] == "sfp.prune/1" and document["dry_run"] is True
    assert sorted(Path(i["path"]).name for i in document["leftovers"] if i["kind"] == "shiv") == \
        sorted([f"sfp.pyz_{old}", f"sfp.pyz_{old}.tmp", f".sfp.pyz_{old}_lock"])
    assert sfp("prune").code == 0
    assert sorted(p.name for p in root.iterdir()) == sorted([f"sfp.pyz_{used}", f".sfp.pyz_{used}_lock",
                                                            f"other.pyz_{old}", recent.name])


def test_the_builds_the_install_record_names_stay(sfp: SfpRunner, claude_dir: Path, tmp_path: Path) -> None:
    sfp = isolated(sfp, claude_dir, tmp_path)
    builds = kept_builds(claude_dir, 4)
    record = {"current": {"version": "0.1.1", "sha256": "x", "copy": str(builds[1])},
              "previous": {"version": "0.1.0", "sha256": "y", "copy": str(builds[0])}}
    (claude_dir / "sfp" / "versions" / "installed.json").write_text(json.dumps(record))
    # No hook in this folder's scopes runs them (another project's may): the record keeps them.
    run = sfp("prune", "--keep-builds", "1")
    assert run.code == 0, run.err
    assert [p.exists() for p in builds] == [True, True, False, True]


def test_a_settings_file_that_cant_be_read_keeps_every_build(sfp: SfpRunner, claude_dir: Path, tmp_path: Path) -> None:
    sfp = isolated(sfp, claude_dir, tmp_path)
    builds = kept_builds(claude_dir, 3)
    hooked(claude_dir, builds[0])
    with open(claude_dir / "settings.json", "a") as file:
        file.write(",")  # its hooks can no longer be read
    (tmp_path / "shiv" / f"sfp.pyz_{'b' * 64}").mkdir(parents=True)
    os.utime(tmp_path / "shiv" / f"sfp.pyz_{'b' * 64}", (1000, 1000))
    run = sfp("prune", "--keep-builds", "1")
    assert run.code == 0, run.err
    assert all(p.exists() for p in builds) and (tmp_path / "shiv" / f"sfp.pyz_{'b' * 64}").exists()
    [line] = [line for line in run.out.splitlines() if line.startswith("kept every build")]
    assert "not valid JSON" in line and str(claude_dir / "settings.json") in line


def test_a_folder_that_cant_be_listed_fails_the_prune(claude_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kept_builds(claude_dir, 2)
    real = os.scandir

    def scandir(path: object) -> object:
        if str(path) == str(claude_dir / "sfp" / "versions"):
            raise PermissionError(13, "Permission denied")
        return real(path)  # type: ignore[call-overload]

    monkeypatch.setattr(os, "scandir", scandir)
    out = io.StringIO()
    environ = {"HOME": str(claude_dir / "home"), "SHIV_ROOT": str(claude_dir / "shiv")}
    assert prune(claude_dir, None, keep_backups=5, keep_handoffs=5, dry_run=False, out=out, environ=environ,
                 settings=BackupSettings()) == 1
    assert f"cannot list {claude_dir / 'sfp' / 'versions'}: Permission denied\n" in out.getvalue()
