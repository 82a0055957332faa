"""`sfp uninstall`: exactly sfp's hooks out, no `{}` of sfp's making left, and what sfp left behind said;
`--purge`: every file and folder sfp made, asking first, and never anything else."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import SfpRunner
from helpers import ROOT, Run, clean_env, unlistable

from sfp.cleanup.unhook import Unhook


@pytest.fixture
def env(tmp_path: Path, claude_dir: Path) -> dict[str, str]:
    """Never the machine's own HOME or ~/.shiv: a purge deletes what it finds there."""
    return clean_env(claude_dir, home=tmp_path / "home", SHIV_ROOT=str(tmp_path / "shiv"))


@pytest.fixture
def pyz(built: dict[str, Path], env: dict[str, str], tmp_path: Path):  # type: ignore[no-untyped-def]
    """The shiv build, as a person runs it (it unpacks itself into SHIV_ROOT)."""

    def run(*args: str, input: str = "") -> Run:
        done = subprocess.run([sys.executable, str(built["shiv"]), *args], capture_output=True, text=True,
                              env=env, cwd=tmp_path, input=input, timeout=120)
        return Run(done.returncode, done.stdout, done.stderr)

    return run


@pytest.fixture
def source(env: dict[str, str], tmp_path: Path):  # type: ignore[no-untyped-def]
    """sfp from this checkout (so the extraction in SHIV_ROOT is not the one running)."""

    def run(*args: str, input: str = "") -> Run:
        done = subprocess.run([sys.executable, "-m", "sfp", *args], capture_output=True, text=True, input=input,
                              env={**env, "PYTHONPATH": str(ROOT)}, cwd=tmp_path, timeout=120)
        return Run(done.returncode, done.stdout, done.stderr)

    return run


def lived_in(pyz, claude_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """Installed twice (so a settings backup exists), a backup, a handoff, the log, the shiv extraction."""
    assert pyz("install").code == 0
    (claude_dir / "settings.json").write_text(json.dumps({"model": "opus", **json.loads(
        (claude_dir / "settings.json").read_text())}))
    assert pyz("install").code == 0
    (claude_dir / ".context").mkdir()
    (claude_dir / ".context" / "CLAUDE.md").write_text("# me\n")
    assert pyz("backup", "create").code == 0
    event = json.dumps({"hook_event_name": "SessionEnd", "session_id": "s1", "cwd": str(claude_dir), "reason": "x"})
    assert pyz("hook", input=event).code == 0


def test_a_settings_file_sfp_created_is_removed_not_left_as_braces(pyz, source, claude_dir: Path) -> None:  # type: ignore[no-untyped-def]
    assert pyz("install").code == 0
    run = source("uninstall")
    assert run.code == 0, run.err
    assert not (claude_dir / "settings.json").exists()
    assert "held only sfp's hooks, in a file sfp created: removed it" in run.out


def test_a_file_that_was_there_keeps_everything_else_and_no_empty_hooks(pyz, source, claude_dir: Path) -> None:  # type: ignore[no-untyped-def]
    path = claude_dir / "settings.json"
    path.write_text('{"model": "opus"}')
    assert pyz("install").code == 0 and source("uninstall").code == 0
    assert json.loads(path.read_text()) == {"model": "opus"}
    path.write_text("{}")  # the person's own empty file: it stays theirs
    assert pyz("install").code == 0 and source("uninstall").code == 0
    assert json.loads(path.read_text()) == {}


def test_uninstall_says_what_sfp_left_behind_where_and_how_big(pyz, source, claude_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lived_in(pyz, claude_dir)
    run = source("uninstall")
    assert run.code == 0, run.err
    lines = {line.split()[0] + " " + line.split()[1]: line for line in run.out.splitlines() if line.startswith("  ")}
    assert str(claude_dir / "sfp" / "versions") in lines["kept builds"]
    assert str(tmp_path / "shiv") in lines["shiv extractions"] and " MB " in lines["shiv extractions"]
    assert str(claude_dir) in lines["settings backups"]
    for kind in ("backups", "handoffs", "logs"):
        assert kind.split()[0] in " ".join(lines), kind
    assert "sfp uninstall --purge" in run.out
    as_json = json.loads(source("uninstall", "--json").out)
    assert as_json["schema"] == "sfp.uninstall/1" and as_json["purge_command"] == "sfp uninstall --purge"
    kinds = {item["kind"] for item in as_json["left_behind"]}
    assert {"kept-build", "shiv", "settings-backup", "backup", "handoff", "log"} <= kinds
    assert all(item["size_bytes"] >= 0 and Path(item["path"]).is_absolute() for item in as_json["left_behind"])


def test_purge_removes_all_sfp_made_and_nothing_else(pyz, source, claude_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lived_in(pyz, claude_dir)
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    theirs = [claude_dir / ".context" / "CLAUDE.md", claude_dir / "CLAUDE.md", claude_dir / "handoffs" / "notes.txt",
              claude_dir / "projects" / "p" / "s.jsonl", tmp_path / "shiv" / "other.pyz_abc" / "x"]
    for path in theirs:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("theirs")
    (claude_dir / "logs" / "sfp.log.2").symlink_to(outside)  # sfp's name, but a link: never sfp's
    run = source("uninstall", "--purge", "--yes")
    assert run.code == 0, run.err
    assert json.loads((claude_dir / "settings.json").read_text()) == {"model": "opus"}
    for gone in ("sfp", "backups", "kpis"):
        assert not (claude_dir / gone).exists(), gone
    assert sorted(p.name for p in (claude_dir / "handoffs").iterdir()) == ["notes.txt"]
    assert not list(claude_dir.glob("settings.json.sfp-backup-*"))
    assert [p.name for p in (tmp_path / "shiv").iterdir()] == ["other.pyz_abc"]
    assert all(path.read_text() == "theirs" for path in theirs)
    assert (claude_dir / "logs" / "sfp.log.2").is_symlink() and outside.read_text() == "keep me"
    assert f"left alone, not made by sfp: {claude_dir / 'handoffs' / 'notes.txt'}" in run.out
    assert f"left alone, not made by sfp: {claude_dir / 'logs' / 'sfp.log.2'}" in run.out


def test_purge_asks_first_and_without_a_terminal_needs_yes(pyz, source, claude_dir: Path) -> None:  # type: ignore[no-untyped-def]
    lived_in(pyz, claude_dir)
    before = sorted(str(p) for p in claude_dir.rglob("*"))
    looked = source("uninstall", "--purge", "--dry-run")
    assert looked.code == 0 and "dry run: nothing removed" in looked.out and "kept builds" in looked.out
    refused = source("uninstall", "--purge")
    assert refused.code == 2 and "--yes" in refused.err and refused.err.count("\n") == 1
    assert sorted(str(p) for p in claude_dir.rglob("*")) == before
    assert source("uninstall", "--yes").code == 2  # --yes belongs to --purge


def test_purge_json_lists_what_went(pyz, source, claude_dir: Path) -> None:  # type: ignore[no-untyped-def]
    lived_in(pyz, claude_dir)
    planned = json.loads(source("uninstall", "--purge", "--dry-run", "--json").out)
    assert planned["dry_run"] is True and planned["purge"] is True and planned["removed"]
    assert source("uninstall", "--purge", "--json").code == 2  # no asking in JSON: --yes is needed
    done = source("uninstall", "--purge", "--yes", "--json")
    document = json.loads(done.out)
    assert done.code == 0 and document["schema"] == "sfp.uninstall/1" and document["dry_run"] is False
    assert {item["path"] for item in document["removed"]} >= {item["path"] for item in planned["removed"]}
    assert [s["path"] for s in document["settings"]] == [str(claude_dir / "settings.json")]
    assert all(not Path(item["path"]).exists() for item in document["removed"])
    nothing = json.loads(source("uninstall", "--purge", "--yes", "--json").out)
    assert nothing["removed"] == [] and nothing["settings"] == []


def test_purge_never_enters_a_linked_folder_and_leaves_the_persons_files(source, claude_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "dot" / "sfp"
    (target / "versions").mkdir(parents=True)
    keep = [target / "versions" / "installed.json", target / "versions" / "sfp-my-0123456789ab.pyz"]
    for path in keep:
        path.write_text("keep")
    (claude_dir / "sfp").symlink_to(target)
    mine = [claude_dir / "backups" / "20260101-120000" / "mine.txt", claude_dir / "handoffs" / "handoff-my-notes.md"]
    for path in mine:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("mine")
    run = source("uninstall", "--purge", "--yes")
    assert all(path.read_text() == "keep" for path in keep) and (target / "versions").is_dir()
    assert all(path.read_text() == "mine" for path in mine)
    for path in [claude_dir / "sfp", claude_dir / "handoffs" / "handoff-my-notes.md", mine[0].parent]:
        assert f"left alone, not made by sfp: {path}\n" in run.out, run.out


def in_process(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, claude_dir: Path, project: Path) -> Callable[[], tuple[int, str]]:
    """`sfp uninstall --purge --yes` in this process, with HOME and SHIV_ROOT private."""
    from sfp.commands.uninstall import purge

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SHIV_ROOT", str(tmp_path / "shiv"))

    def run() -> tuple[int, str]:
        out = io.StringIO()
        code = purge(claude_dir, project, settings_file=None, dry_run=False, yes=True, out=out, stdin=io.StringIO())
        return code, out.getvalue()

    return run


def hook_into(path: Path) -> None:
    from sfp.claude import settings as cc

    path.parent.mkdir(parents=True, exist_ok=True)
    command = cc.hook_command(sys.executable, "/opt/sfp.pyz")
    path.write_text(json.dumps({"model": "opus", **cc.with_sfp_hooks({}, cc.hook_entries(command, {}))}))


def test_purge_says_what_it_did_when_a_settings_file_cannot_be_unhooked(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, claude_dir: Path, project: Path) -> None:
    from sfp.cleanup import purge as purging
    from sfp.errors import StorageError

    user, shared = claude_dir / "settings.json", project / ".claude" / "settings.json"
    hook_into(user)
    hook_into(shared)
    kept = claude_dir / "sfp" / "versions" / "sfp-0.1.0-0123456789ab.pyz"
    kept.parent.mkdir(parents=True)
    kept.write_text("x")
    from sfp.cleanup.unhook import apply_unhook as real

    def apply_unhook(claude: Path, plan: Unhook) -> Path | None:
        if plan.path == shared:
            raise StorageError(f"cannot write {shared}: Is a directory")
        return real(claude, plan)

    monkeypatch.setattr(purging, "apply_unhook", apply_unhook)
    code, out = in_process(monkeypatch, tmp_path, claude_dir, project)()
    assert code == 1
    assert f"removed sfp's hooks from {user}\n" in out
    assert f"could not remove sfp's hooks from {shared}: cannot write {shared}: Is a directory\n" in out
    assert kept.exists() and "removed no file or folder of sfp's" in out  # the hooks left still run it


def test_purge_names_a_folder_it_cannot_list_and_fails(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, claude_dir: Path, project: Path) -> None:
    (claude_dir / "logs").mkdir()
    (claude_dir / "logs" / "sfp.log").write_text("x")
    unlistable(monkeypatch, claude_dir / "logs")
    code, out = in_process(monkeypatch, tmp_path, claude_dir, project)()
    assert code == 1 and f"cannot list {claude_dir / 'logs'}: Permission denied\n" in out
    assert (claude_dir / "logs" / "sfp.log").exists()


@pytest.mark.parametrize("state", ["nothing of sfp's", "a log"])
def test_purge_dry_run_json_has_every_field_of_its_schema(sfp: SfpRunner, claude_dir: Path, state: str) -> None:
    if state == "a log":
        (claude_dir / "logs").mkdir()
        (claude_dir / "logs" / "sfp.log").write_text("{}\n")
    run = sfp("uninstall", "--purge", "--dry-run", "--json")
    document = json.loads(run.out)
    assert run.code == 0, run.err
    assert {"hooks_remaining", "unlisted_folders", "removed", "left_behind", "settings"} <= set(document)
