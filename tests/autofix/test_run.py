"""sfp.autofix.run: a formatter run safely on one file (formatted, unchanged, hung, failed, off), with its KPI event."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from autofix.fakes import COMPAT, calls, fake_npx, put, python_formatter, shim, user_config
from sfp.autofix.formatters import FAILED, FORMATTED, KILL_GRACE_S, SKIPPED, TIMEOUT, UNCHANGED
from sfp.autofix.run import auto_fix
from sfp.autofix.report import hook_message
from sfp.errors import ConfigError
from sfp.kpi.store import read_events


# --- a formatter that is there ----------------------------------------------------------------------


def test_a_present_formatter_formats_the_file_says_so_and_records_a_kpi_event(
        claude_dir: Path, project: Path, bin_dir: Path, env: dict[str, str]) -> None:
    shim(bin_dir, "fmt", "upper")
    python_formatter(claude_dir, "fmt --quiet")
    target = put(project / "src" / "app.py", "x = 1\n")
    result = auto_fix(target, project, claude_dir, session="s1", environ=env)
    assert (result.status, result.changed, result.formatter, result.file_type) == (FORMATTED, True, "fmt --quiet", "python")
    assert target.read_text() == "# formatted\nX = 1\n"
    assert hook_message(result, project) == "🧹 sfp: formatted src/app.py with fmt"  # the tool, not its flags
    [call] = calls(env)
    assert call["argv"][1:] == ["upper", "--quiet", str(target)]  # type: ignore[index]
    assert call["cwd"] == str(project)
    [event] = read_events(claude_dir, kind="auto_fix")
    assert event["session"] == "s1"
    assert {k: event[k] for k in ("extension", "file_type", "formatter", "status", "changed")} == {
        "extension": ".py", "file_type": "python", "formatter": "fmt --quiet", "status": "formatted", "changed": True}
    assert isinstance(event["duration_ms"], float) and event["duration_ms"] > 0


def test_an_already_formatted_file_is_unchanged_and_says_nothing(
        claude_dir: Path, project: Path, bin_dir: Path, env: dict[str, str]) -> None:
    shim(bin_dir, "fmt", "noop")
    python_formatter(claude_dir, "fmt")
    target = put(project / "app.py")
    result = auto_fix(target, project, claude_dir, session="s1", environ=env)
    assert (result.status, result.changed) == (UNCHANGED, False)
    assert hook_message(result, project) is None
    assert [e["status"] for e in read_events(claude_dir)] == ["unchanged"]



# --- a formatter that hangs -------------------------------------------------------------------------


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False
    return state in ("Z", "X")  # a zombie is dead; only its parent (init, here maybe not reaping) is late


def wait_gone(*pids: int, within: float = 0.5) -> bool:
    """SIGKILL is delivered asynchronously: allow the kernel a moment to finish the processes off."""
    deadline = time.monotonic() + within
    while not all(_gone(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_a_formatter_that_hangs_is_killed_with_its_whole_group(
        claude_dir: Path, project: Path, bin_dir: Path, env: dict[str, str]) -> None:
    shim(bin_dir, "fmt", "stubborn")  # ignores SIGTERM, and so does the grandchild it starts
    user_config(claude_dir, "timeout: 0.8\nformatters:\n  python:\n    command: fmt\n")
    target = put(project / "app.py")
    started = time.monotonic()
    result = auto_fix(target, project, claude_dir, session="s1", environ=env)
    assert result.status == TIMEOUT and "0.8 s" in (result.reason or "")
    leader, grandchild = map(int, Path(f"{target}.pids").read_text().split())
    assert wait_gone(leader, grandchild)
    assert time.monotonic() - started < 0.8 + KILL_GRACE_S + 0.7
    assert [e["status"] for e in read_events(claude_dir)] == ["timeout"]
    assert any("timeout" in note.message for note in result.notes)


def test_the_hook_budget_caps_the_formatter_timeout(claude_dir: Path, project: Path, bin_dir: Path, env: dict[str, str]) -> None:
    shim(bin_dir, "fmt", "hang")
    python_formatter(claude_dir, "fmt")  # timeout 5 s in the config
    target = put(project / "app.py")
    started = time.monotonic()
    result = auto_fix(target, project, claude_dir, session=None, environ=env, time_limit_s=KILL_GRACE_S + 0.4)
    assert result.status == TIMEOUT
    assert time.monotonic() - started < KILL_GRACE_S + 1.2
    too_late = auto_fix(target, project, claude_dir, session=None, environ=env, time_limit_s=KILL_GRACE_S)
    assert (too_late.status, too_late.reason) == (SKIPPED, "no time left in the hook's budget")



# --- a formatter that fails -------------------------------------------------------------------------


def test_a_failing_formatter_is_reported_redacted_and_is_no_hook_failure(
        claude_dir: Path, project: Path, bin_dir: Path, env: dict[str, str]) -> None:
    shim(bin_dir, "fmt", "fail")
    python_formatter(claude_dir, "fmt")
    target = put(project / "app.py")
    result = auto_fix(target, project, claude_dir, session="s1", environ=env)
    assert (result.status, result.reason, result.changed) == (FAILED, "exited 1", False)
    assert result.output == "error: cannot parse app.py: token=***"
    assert hook_message(result, project) is None  # options.verbose is off
    [warning] = [note for note in result.notes if note.level == "warning"]
    assert "cannot parse app.py" in warning.message and "ghp_" not in warning.message
    assert [e["status"] for e in read_events(claude_dir)] == ["failed"]



# --- a formatter that is off, or none for the file --------------------------------------------------


def test_auto_fix_and_a_formatter_can_be_switched_off(claude_dir: Path, project: Path, bin_dir: Path, env: dict[str, str]) -> None:
    shim(bin_dir, "fmt", "upper")
    target = put(project / "app.py")
    user_config(claude_dir, "enabled: false\nformatters:\n  python:\n    command: fmt\n")
    assert "auto-fix is off" in (auto_fix(target, project, claude_dir, session=None, environ=env).reason or "")
    user_config(claude_dir, "formatters:\n  python:\n    command: fmt\n    enabled: false\n")
    assert auto_fix(target, project, claude_dir, session=None, environ=env).reason == "formatter python is off in auto_fix.yaml"
    assert target.read_text() == "x = 1\n" and list(read_events(claude_dir)) == []


def test_a_file_type_without_a_formatter_is_skipped_without_reading_the_config(
        claude_dir: Path, project: Path, env: dict[str, str]) -> None:
    user_config(claude_dir, "formatters: [unclosed\n")  # parsing this would raise
    target = put(project / "notes.txt")
    result = auto_fix(target, project, claude_dir, session="s1", environ=env)
    assert (result.status, result.reason) == (SKIPPED, "no formatter for .txt files")
    assert list(read_events(claude_dir)) == []
    with pytest.raises(ConfigError):  # the same config is read, and refused, once a formatter may exist
        auto_fix(put(project / "app.py"), project, claude_dir, session="s1", environ=env)



# --- the compat config, unedited --------------------------------------------------------------------


def test_the_compat_auto_fix_yaml_loads_and_works(
        claude_dir: Path, project: Path, tmp_path: Path, bin_dir: Path, env: dict[str, str]) -> None:
    (claude_dir / "sfp").mkdir()
    shutil.copy(COMPAT, claude_dir / "sfp" / "auto_fix.yaml")
    shim(bin_dir, "ruff", "upper")
    npx_calls = tmp_path / "npx-calls"
    fake_npx(bin_dir, npx_calls)
    web = project / "web"
    shim(web / "node_modules" / ".bin", "prettier", "upper")
    py, ts, md = put(project / "src" / "app.py"), put(web / "src" / "a.ts", "let a = 1\n"), put(project / "README.md", "# hi\n")
    vendored, lock = put(project / "node_modules" / "x" / "i.js"), put(web / "package-lock.json", "{}\n")

    def fix(path: Path) -> str:
        result = auto_fix(path, project, claude_dir, session="s1", environ=env)
        return f"{result.status}: {result.formatter}: {result.reason}"

    assert fix(py) == "formatted: ruff format: None"
    assert fix(ts) == "formatted: npx prettier --write: None"
    assert fix(md).startswith("skipped: npx prettier --write: prettier is not installed: npx would download it")
    assert fix(vendored) == "skipped: npx prettier --write: in excluded folder node_modules (exclude_dirs: node_modules)"
    assert fix(lock) == "skipped: npx prettier --write: excluded by pattern package-lock.json"
    assert py.read_text().startswith("# formatted") and ts.read_text() == "# formatted\nLET A = 1\n"
    assert md.read_text() == "# hi\n"
    ruff_call, prettier_call = calls(env)
    assert ruff_call["argv"][1:] == ["upper", "format", str(py)]  # type: ignore[index]
    assert prettier_call["argv"][1:] == ["upper", "--write", str(ts)]  # type: ignore[index]
    assert prettier_call["cwd"] == str(web) and prettier_call["npm_config_yes"] == "false"
    assert npx_calls.read_text().splitlines() == [f"prettier --write {ts}"]  # never for README.md

