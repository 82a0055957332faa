"""Auto-fix: which files a formatter may touch, running it safely, and what is kept and said."""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
import time
from pathlib import Path

import pytest

from helpers import DATA
from sfp.autofix.formatters import AutoFixSettings, FAILED, FORMATTED, Formatter, KILL_GRACE_S, SKIPPED, TIMEOUT, UNCHANGED, formatter_for, has_word, load_settings, may_have_formatter, settings_from
from sfp.autofix.run import auto_fix
from sfp.autofix.invocation import exclusion, npx_package
from sfp.autofix.report import first_time_missing, hook_message
from sfp.infra.session_state import read_section
from sfp.config.layers import default_text
from sfp.errors import ConfigError
from sfp.kpi.store import read_events

FAKE = DATA / "autofix" / "fake_formatter.py"
COMPAT = DATA / "compat" / "auto_fix.yaml"


def shim(folder: Path, name: str, mode: str) -> Path:
    """An executable `name` in `folder` that runs the fake formatter in `mode`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE}" {mode} "$@"\n')
    path.chmod(0o755)
    return path


def fake_npx(folder: Path, called: Path) -> None:
    """An `npx` that runs ./node_modules/.bin/<program> from its cwd, noting that it was called."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "npx"
    path.write_text(f'#!/bin/sh\necho "$@" >> "{called}"\nprogram=$1; shift\nexec "./node_modules/.bin/$program" "$@"\n')
    path.chmod(0o755)


def user_config(claude_dir: Path, text: str) -> None:
    folder = claude_dir / "sfp"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "auto_fix.yaml").write_text(text)


def put(path: Path, text: str = "x = 1\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    return folder


@pytest.fixture
def env(bin_dir: Path, tmp_path: Path) -> dict[str, str]:
    return {"PATH": f"{bin_dir}:/usr/bin:/bin", "FAKE_FORMATTER_LOG": str(tmp_path / "calls.jsonl")}


def calls(env: dict[str, str]) -> list[dict[str, object]]:
    log = Path(env["FAKE_FORMATTER_LOG"])
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def python_formatter(claude_dir: Path, command: str, extra: str = "") -> None:
    user_config(claude_dir, f"timeout: 5\nformatters:\n  python:\n    command: '{command}'\n{extra}")


def log_records(claude_dir: Path) -> list[dict[str, object]]:
    path = claude_dir / "logs" / "sfp.log"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


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


def test_the_file_is_found_by_a_relative_path_too(claude_dir: Path, project: Path, bin_dir: Path, env: dict[str, str]) -> None:
    shim(bin_dir, "fmt", "upper")
    python_formatter(claude_dir, "fmt")
    put(project / "pkg" / "m.py", "y = 2\n")
    assert auto_fix("pkg/m.py", project, claude_dir, session=None, environ=env).status == FORMATTED


# --- a formatter that is missing --------------------------------------------------------------------


def test_a_missing_formatter_skips_the_file_and_is_noted_once_per_session(
        claude_dir: Path, project: Path, env: dict[str, str]) -> None:
    python_formatter(claude_dir, "no-such-formatter-sfp --write")
    target = put(project / "app.py")
    results = [auto_fix(target, project, claude_dir, session=s, environ=env) for s in ("s1", "s1", "s1", "s2")]
    assert {r.status for r in results} == {SKIPPED}
    assert "no-such-formatter-sfp is not installed" in (results[0].reason or "")
    assert target.read_text() == "x = 1\n"
    noted = [[n for n in r.notes if "no-such-formatter-sfp" in n.message] for r in results]
    assert [len(n) for n in noted] == [1, 0, 0, 1]  # the first time in s1, and again in s2
    assert "enabled: false" in noted[0][0].message  # says how to quiet it
    assert read_section(claude_dir, "s1", "autofix") == {"missing": ["no-such-formatter-sfp"]}
    assert log_records(claude_dir) == []  # a feature returns notes; only hooks and commands write the log
    assert [e["status"] for e in read_events(claude_dir)] == ["skipped"] * 4


def test_the_missing_tool_memory_lives_in_the_session_state(claude_dir: Path) -> None:
    assert first_time_missing(claude_dir, "../../evil/x", "ruff") is True
    assert first_time_missing(claude_dir, "../../evil/x", "ruff") is False
    assert first_time_missing(claude_dir, "../../evil/x", "black") is True
    state = claude_dir / "sfp" / "state"
    assert [p.name for p in state.iterdir()] == ["sessions"]  # no marker files beside it
    [file] = [p for p in (state / "sessions").iterdir() if p.suffix == ".json"]
    assert file.name.startswith("h-") and stat.S_IMODE(file.stat().st_mode) == 0o600  # a hashed, private name


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


def test_verbose_shows_a_failure_to_the_person(claude_dir: Path, project: Path, bin_dir: Path, env: dict[str, str]) -> None:
    shim(bin_dir, "fmt", "fail")
    python_formatter(claude_dir, "fmt", "options:\n  verbose: true\n")
    result = auto_fix(put(project / "app.py"), project, claude_dir, session="s1", environ=env)
    assert hook_message(result, project) == "⚠️ sfp: fmt on app.py exited 1: error: cannot parse app.py: token=***"


# --- files that are never touched -------------------------------------------------------------------


@pytest.mark.parametrize("relative", ["build/gen.py", "src/pkg.egg-info/x.py", "a/node_modules/b/c.py", ".venv/lib/x.py"])
def test_files_in_excluded_folders_are_left_alone(
        relative: str, claude_dir: Path, project: Path, bin_dir: Path, env: dict[str, str]) -> None:
    shim(bin_dir, "fmt", "upper")
    python_formatter(claude_dir, "fmt", "exclude_dirs: [build, '*.egg-info', node_modules, .venv]\n")
    target = put(project / relative)
    result = auto_fix(target, project, claude_dir, session="s1", environ=env)
    assert result.status == SKIPPED and "excluded folder" in (result.reason or "")
    assert target.read_text() == "x = 1\n" and calls(env) == []


def test_only_folders_inside_the_project_count_for_exclusion(
        claude_dir: Path, tmp_path: Path, bin_dir: Path, env: dict[str, str]) -> None:
    project = tmp_path / "build" / "proj"  # "build" above the project is not an excluded folder of it
    shim(bin_dir, "fmt", "upper")
    python_formatter(claude_dir, "fmt", "exclude_dirs: [build]\n")
    assert auto_fix(put(project / "app.py"), project, claude_dir, session=None, environ=env).status == FORMATTED


@pytest.mark.parametrize("name", ["app.min.py", "generated_pb2.py", "snap/deep/x.py"])
def test_files_matching_an_excluded_pattern_are_left_alone(
        name: str, claude_dir: Path, project: Path, bin_dir: Path, env: dict[str, str]) -> None:
    shim(bin_dir, "fmt", "upper")
    python_formatter(claude_dir, "fmt", "exclude_patterns: ['*.min.py', '*_pb2.py', 'snap/*']\n")
    target = put(project / name)
    result = auto_fix(target, project, claude_dir, session=None, environ=env)
    assert result.status == SKIPPED and "excluded by pattern" in (result.reason or "")
    assert target.read_text() == "x = 1\n"


def test_a_file_outside_the_project_is_never_touched(
        claude_dir: Path, project: Path, tmp_path: Path, bin_dir: Path, env: dict[str, str]) -> None:
    shim(bin_dir, "fmt", "upper")
    python_formatter(claude_dir, "fmt")
    outside = put(tmp_path / "elsewhere" / "app.py")
    (project / "link.py").symlink_to(outside)  # inside by name, outside once resolved
    (project / "linked_dir").symlink_to(outside.parent, target_is_directory=True)
    sibling = put(tmp_path / "project-evil" / "app.py")  # shares the project's name as a prefix
    for given in (outside, project / "link.py", project / "linked_dir" / "app.py", project / ".." / "elsewhere" / "app.py", sibling):
        result = auto_fix(given, project, claude_dir, session="s1", environ=env)
        assert result.status == SKIPPED and (result.reason or "").startswith("outside the project"), given
    assert outside.read_text() == "x = 1\n" and sibling.read_text() == "x = 1\n" and calls(env) == []
    assert list(read_events(claude_dir)) == []


def test_a_symlink_inside_the_project_formats_its_real_file(
        claude_dir: Path, project: Path, bin_dir: Path, env: dict[str, str]) -> None:
    shim(bin_dir, "fmt", "upper")
    python_formatter(claude_dir, "fmt")
    real = put(project / "real.py")
    (project / "alias.py").symlink_to(real)
    result = auto_fix(project / "alias.py", project, claude_dir, session=None, environ=env)
    assert result.status == FORMATTED and result.path == real.resolve()
    assert (project / "alias.py").is_symlink()


def test_missing_files_and_folders_are_skipped(claude_dir: Path, project: Path, bin_dir: Path, env: dict[str, str]) -> None:
    shim(bin_dir, "fmt", "upper")
    python_formatter(claude_dir, "fmt")
    (project / "pkg.py").mkdir()
    assert auto_fix(project / "gone.py", project, claude_dir, session=None, environ=env).reason == "no such file"
    assert auto_fix(project / "pkg.py", project, claude_dir, session=None, environ=env).reason == "not a regular file"
    assert calls(env) == []


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


# --- pure parts -------------------------------------------------------------------------------------


def test_settings_from_a_config_with_nothing_set(claude_dir: Path) -> None:
    assert settings_from({}) == AutoFixSettings()
    user_config(claude_dir, "formatters:\n  go:\n    command: gofmt -w\n    extensions: [GO, .Go]\n")
    settings = load_settings(claude_dir, None)
    assert settings.timeout_s == 15.0 and Formatter("go", "gofmt -w", (".go", ".go")) in settings.formatters


@pytest.mark.parametrize("bad", ["timeout: 0", "timeout: -1", "timeout: .inf", "timeout: 1000"])
def test_a_timeout_out_of_bounds_is_an_error_with_its_line(claude_dir: Path, bad: str) -> None:
    user_config(claude_dir, f"{bad}\n")
    with pytest.raises(ConfigError, match=r"auto_fix\.yaml:1:\d+: `timeout` is .*; it must be"):
        load_settings(claude_dir, None)


def test_the_longest_matching_extension_wins_and_disabled_formatters_are_named() -> None:
    settings = AutoFixSettings(formatters=(
        Formatter("ts", "prettier", (".ts",)), Formatter("dts", "dts-fmt", (".d.ts",)),
        Formatter("py", "ruff format", (".py",), enabled=False), Formatter("mine", "my-ts", (".tsx", ".ts")),
    ))
    assert formatter_for("api.d.ts", settings)[0] == settings.formatters[1]
    assert formatter_for("x.tsx", settings)[0] == settings.formatters[3]
    assert formatter_for("API.TS", settings)[0] == settings.formatters[3]  # a tie: the later one, added by a layer
    assert formatter_for("x.py", settings) == (None, settings.formatters[2])
    assert formatter_for(".ts", settings) == (None, None)  # a dotfile named like the extension
    assert formatter_for("Makefile", settings) == (None, None)


@pytest.mark.parametrize(("name", "texts", "expected"), [
    ("notes.txt", [default_text("auto_fix")], False),
    ("main.rs", [default_text("auto_fix")], False),  # "rs" inside "formatters" is not the word rs
    ("Makefile", [default_text("auto_fix")], False),
    ("app.py", [default_text("auto_fix")], True),
    ("App.PY", [default_text("auto_fix")], True),
    ("types.d.ts", [default_text("auto_fix")], True),
    ("main.rs", [default_text("auto_fix"), "formatters:\n  rust: {command: rustfmt, extensions: [rs]}\n"], True),
    ("x.tar.gz", ["extensions: ['.tar.gz']"], True),
    ("main.rs", ['extensions: ["\\x2Ers"]'], True),  # an escape could spell anything: look properly
])
def test_the_cheap_check_only_says_no_when_no_layer_can_match(name: str, texts: list[str], expected: bool) -> None:
    assert may_have_formatter(name, texts) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("rs", True), ("[rs]", True), ("'.rs'", True), ("formatters", False), ("rs_x", False), ("rs2", False),
    ("formatters: [rs]", True), ("rsrs, rs", True), ("", False),
])
def test_has_word(text: str, expected: bool) -> None:
    assert has_word(text, "rs") is expected


def test_exclusion_matches_folders_and_names_inside_the_project() -> None:
    settings = AutoFixSettings(exclude_dirs=("dist", "*.egg-info"), exclude_patterns=("*.min.js", "gen/*.py"))
    assert exclusion(Path("dist/a.js"), settings) == "in excluded folder dist (exclude_dirs: dist)"
    assert exclusion(Path("x/y.egg-info/a.py"), settings) is not None
    assert exclusion(Path("src/dist.js"), settings) is None  # a file named like a folder is not in it
    assert exclusion(Path("web/app.min.js"), settings) == "excluded by pattern *.min.js"
    assert exclusion(Path("gen/a.py"), settings) == "excluded by pattern gen/*.py"
    assert exclusion(Path("src/gen/a.py"), settings) is None


@pytest.mark.parametrize(("args", "package"), [
    (["prettier", "--write"], "prettier"), (["--yes", "prettier@3.2.1", "--write"], "prettier"),
    (["-p", "prettier", "prettier-cli"], "prettier-cli"), (["@scope/fmt@1"], "@scope/fmt"), (["--write"], None),
])
def test_npx_package(args: list[str], package: str | None) -> None:
    assert npx_package(args) == package


@pytest.mark.parametrize("command, shown", [
    ("ruff format", "ruff format"), ("npx prettier --write", "npx prettier"), ("black -q", "black"),
    ("python3 -c \"import sys\"", "python3"), ("gofmt", "gofmt"),
])
def test_messages_name_the_tool_not_the_whole_command(command: str, shown: str) -> None:
    from sfp.autofix.report import short_name

    assert short_name(command) == shown
