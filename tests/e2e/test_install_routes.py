"""sfp installed the two ways a person would, under the real client.

`sfp install` writes the hooks into the user's settings.json; `sfp plugin DIR` writes a plugin folder
that `claude plugin validate` accepts and `claude --plugin-dir DIR` loads. Each route then runs one
session through every event (a Write, a second prompt, `/compact` on resume) in a temporary HOME with
a `.context/` folder without its `CLAUDE.md`, so the health check at SessionStart has something to tell
the model (no `.context/` at all is "TAGs not set up": healthy, silent).
"""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from e2e.client import HOOK_EVENTS, SESSION_EVENTS, Result, Sandbox, logged, sfp_log
from e2e.model_server import ModelServer, all_text, call, say

pytestmark = pytest.mark.e2e

# Generous: other test runs share this machine, and a PreCompact may retry once after a second.
RUN_TIMEOUT = 120.0
# How the client labels SessionStart's additionalContext in the request (2.1.197).
HOOK_CONTEXT_LABEL = "SessionStart hook additional context"
HEALTH_HEADER = "[sfp] Health check at session start"
LOG_KEYS = {"time", "level", "event", "session", "message", "duration_ms"}
EDIT_MATCHER = "Write|Edit|MultiEdit"
GUARD_MATCHER = "Write|Edit|MultiEdit|NotebookEdit"  # the secrets guard looks before every file-writing tool
MATCHERS = {"PostToolUse": EDIT_MATCHER, "PreToolUse": GUARD_MATCHER}
# Where 2.1.332's plugin-directory checks (README, LICENSE, icon…) start in `claude plugin validate`'s output.
DIRECTORY_CHECKS = "\nPlugin directory checks for "


@dataclass(frozen=True)
class Route:
    """One session run through every event with sfp installed one way."""

    sandbox: Sandbox
    model: ModelServer
    session_id: str
    written: Path
    setup: Result  # what `sfp install` / `sfp plugin` printed
    pyz: Path  # the sfp.pyz the hooks run


def run_every_event(sandbox: Sandbox, model: ModelServer, extra: Sequence[str] = ()) -> tuple[str, Path]:
    """A Write, a second prompt, then `/compact`: SessionStart, UserPromptSubmit, PostToolUse, Stop,
    SessionEnd on each run, PreCompact on the last."""
    written = sandbox.project / "src" / "app.py"
    model.push(call("Write", file_path=str(written), content="print('hello')\n"), say("Wrote it."),
               say("Second answer."))
    session = sandbox.run("write the app", extra=extra, timeout=RUN_TIMEOUT).session_id
    sandbox.run("and now?", resume=session, extra=extra, timeout=RUN_TIMEOUT)
    sandbox.run("/compact", resume=session, extra=extra, timeout=RUN_TIMEOUT)
    return session, written


def lose_context(sandbox: Sandbox) -> None:
    """A context folder whose CLAUDE.md is gone: sfp's health check is degraded and says so."""
    (sandbox.claude_dir / ".context").mkdir(parents=True, exist_ok=True)


def session_start_context(model: ModelServer) -> str:
    """The SessionStart context in the first request of the main loop (empty when there is none)."""
    first = all_text(model.main_requests()[0])
    at = first.find(HOOK_CONTEXT_LABEL)
    return "" if at < 0 else first[at:at + 2000]


def assert_every_event_logged(route: Route) -> None:
    assert route.written.read_text(encoding="utf-8") == "print('hello')\n", \
        "the scripted Write did not run, so PostToolUse proves nothing"
    records = sfp_log(route.sandbox.claude_dir)
    missing = [event for event in SESSION_EVENTS if not logged(records, event, route.session_id)]
    assert missing == [], (f"no sfp log line for {missing} in session {route.session_id}; logged: "
                           f"{[(r.get('event'), r.get('session')) for r in records]}")
    for record in records:
        assert LOG_KEYS <= record.keys(), record
    # A missing formatter (no ruff on this machine) is a warning of its own, not a failed hook.
    problems = [r for r in records if r.get("level") not in ("debug", "info", "warning")
                or (r.get("level") == "warning" and r.get("event") in HOOK_EVENTS)]
    assert problems == [], f"sfp logged problems: {problems}"


def assert_compacted(route: Route) -> None:
    assert len(route.model.compact_requests()) == 1, "the client sent no compaction request"
    transcript = route.sandbox.transcript(route.session_id)
    assert any(r.get("subtype") == "compact_boundary" for r in transcript), "the compaction did not happen"


# ---------------------------------------------------------------------------------------------
# Route 1: `sfp install` into the user's settings.json


@pytest.fixture(scope="module")
def installed(claude_bin: Path, sfp_pyz: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Route]:
    with ModelServer() as model:
        sandbox = Sandbox(claude_bin, tmp_path_factory.mktemp("sfp-install"), model.url)
        lose_context(sandbox)
        pyz = sandbox.install_pyz(sfp_pyz)
        setup = sandbox.sfp(pyz, "install")
        assert setup.code == 0, setup.describe()
        session, written = run_every_event(sandbox, model)
        yield Route(sandbox, model, session, written, setup, pyz)


def test_install_puts_one_hook_per_event_into_the_user_settings(installed: Route) -> None:
    path = installed.sandbox.claude_dir / "settings.json"
    settings = json.loads(path.read_text(encoding="utf-8"))
    commands = set()

    assert f"{path}: sfp hooks for {len(HOOK_EVENTS)} events" in installed.setup.stdout, installed.setup.describe()
    assert sorted(settings["hooks"]) == sorted(HOOK_EVENTS)
    for event, groups in settings["hooks"].items():
        [group] = groups
        [hook] = group["hooks"]
        # This Python, running this copy of sfp.pyz with `hook` (sfp may put a guard between: `-I -c GUARD`).
        words = shlex.split(hook["command"])
        assert hook["type"] == "command" and words[0] == sys.executable, (event, hook)
        assert words[-2:] == [str(installed.pyz), "hook"], (event, hook)
        commands.add(hook["command"])
        assert isinstance(hook["timeout"], int) and hook["timeout"] >= 1, (event, hook)
        assert group.get("matcher") == MATCHERS.get(event), (event, group)
    assert len(commands) == 1, f"the events run different commands: {commands}"
    assert path.stat().st_mode & 0o777 == 0o600


def test_installed_hooks_see_every_event_with_the_session_id(installed: Route) -> None:
    assert_every_event_logged(installed)
    assert_compacted(installed)


def test_installed_hooks_tell_the_model_the_health_check_failed(installed: Route) -> None:
    context = session_start_context(installed.model)

    assert HEALTH_HEADER in context, f"no sfp health context in the first request: {context[:500]!r}"
    assert "context_integrity" in context and ".context/CLAUDE.md" in context, context[:500]


def test_uninstall_leaves_a_session_without_sfp(sandbox: Sandbox, model: ModelServer, sfp_pyz: Path) -> None:
    pyz = sandbox.install_pyz(sfp_pyz)
    for command in ("install", "uninstall"):
        done = sandbox.sfp(pyz, command)
        assert done.code == 0, done.describe()
    model.push(say("Hello."))

    session = sandbox.run("hi", timeout=RUN_TIMEOUT).session_id

    # install created the settings file, so uninstall removed it with the hooks: nothing of sfp is left there.
    assert not (sandbox.claude_dir / "settings.json").exists()
    log = sandbox.claude_dir / "logs" / "sfp.log"
    assert not log.exists() or session not in log.read_text(encoding="utf-8"), "an uninstalled sfp still ran"
    assert "[sfp]" not in all_text(model.main_requests()[0])


# ---------------------------------------------------------------------------------------------
# Route 2: `sfp plugin DIR`, then `claude --plugin-dir DIR`


@dataclass(frozen=True)
class PluginRoute(Route):
    folder: Path
    validation: Result


@pytest.fixture(scope="module")
def plugged(claude_bin: Path, sfp_pyz: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PluginRoute]:
    with ModelServer() as model:
        root = tmp_path_factory.mktemp("sfp-plugin")
        sandbox = Sandbox(claude_bin, root, model.url)
        lose_context(sandbox)
        folder = root / "sfp-plugin"
        setup = sandbox.sfp(sfp_pyz, "plugin", str(folder))
        assert setup.code == 0, setup.describe()
        validation = sandbox.client("plugin", "validate", str(folder))
        # No settings, no trust, no `plugin enable`: in -p mode --plugin-dir alone loads the hooks.
        session, written = run_every_event(sandbox, model, extra=("--plugin-dir", str(folder)))
        yield PluginRoute(sandbox, model, session, written, setup, folder / "sfp.pyz", folder, validation)


def test_sfp_plugin_writes_a_manifest_hooks_and_itself(plugged: PluginRoute) -> None:
    manifest = json.loads((plugged.folder / ".claude-plugin" / "plugin.json").read_text(encoding="utf-8"))
    hooks = json.loads((plugged.folder / "hooks" / "hooks.json").read_text(encoding="utf-8"))["hooks"]

    assert {"name", "version", "description", "author"} <= manifest.keys(), manifest
    assert sorted(hooks) == sorted(HOOK_EVENTS)
    assert all('"${CLAUDE_PLUGIN_ROOT}/sfp.pyz" hook' in g["hooks"][0]["command"] for gs in hooks.values() for g in gs)
    assert plugged.pyz.stat().st_mode & 0o111, "the plugin's sfp.pyz is not executable"


def test_claude_plugin_validate_finds_no_error_and_no_warning(plugged: PluginRoute) -> None:
    done = plugged.validation
    manifest = plugged.folder / ".claude-plugin" / "plugin.json"

    # Both versions exit 0 on warnings too ("✔ Validation passed with warnings"), so the text decides:
    # the verdict is the last line. 2.1.197 prints nothing else; 2.1.332 prints sections before it (what the
    # plugin provides, network hosts, the plugin directory's own checks, which "do not change the result").
    lines = done.stdout.strip().splitlines()
    assert done.code == 0, done.describe()
    assert lines[0] == f"Validating plugin manifest: {manifest}" and lines[-1] == "✔ Validation passed", done.describe()
    assert done.stderr == "", done.describe()
    # The manifest's and hooks' own checks: no problem found ("Validating hooks:" appears only with one).
    own = done.stdout.split(DIRECTORY_CHECKS, 1)[0]
    assert not any(line.startswith(("✘", "⚠", "Validating hooks:")) for line in own.splitlines()), done.describe()
    provided = [line.split()[2] for line in own.splitlines() if line.startswith("  ❯ hooks: ")]
    if "\nProvides:\n" in own:  # 2.1.332 lists what the plugin provides: sfp's seven hooks, nothing else
        assert provided == list(HOOK_EVENTS), f"the validator saw these hooks: {provided}\n{done.describe()}"


def test_plugin_hooks_see_every_event_with_the_session_id(plugged: PluginRoute) -> None:
    assert not (plugged.sandbox.claude_dir / "settings.json").exists(), "the hooks must come from the plugin alone"
    assert_every_event_logged(plugged)
    assert_compacted(plugged)


def test_plugin_session_start_context_reaches_the_model(plugged: PluginRoute) -> None:
    context = session_start_context(plugged.model)

    assert HEALTH_HEADER in context, f"no sfp health context in the first request: {context[:500]!r}"
    assert "context_integrity" in context, context[:500]
