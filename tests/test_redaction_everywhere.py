"""Every kind of secret is masked everywhere sfp stores, logs, shows or sends text.

One synthetic sample of each kind of the secrets table (`redact.examples()`) is
planted in a real Claude Code transcript, in the client's hook payloads, in a
context file, in a formatter's and a gate's output; then the paths that keep
text run: the PreCompact hook (handoff + backup), PostCompact, the task events,
SessionEnd, `sfp handoff`, UserPromptSubmit and `sfp tags`, the PreToolUse guard
and PostToolUse's formatter (the log), the Stop gates and `sfp gates`.
Every file sfp wrote under the claude dir, and everything sfp printed, must hold
no sample's value - and the files must exist, so the test can fail.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import SfpRunner
from helpers import clean_env
from sfp.infra.redact import examples, find_secrets

SESSION = "5e55a9e1-0000-4000-8000-000000000014"
STARTED = time.time() - 600


def sample_values() -> dict[str, list[str]]:
    """kind -> the strings that must never be stored: the secret's value, and for a key block its body lines
    (a store that keeps text line by line would keep those)."""
    found: dict[str, list[str]] = {}
    for kind, text in examples().items():
        values = [text[m.start:m.end].strip("'\"") for m in find_secrets(text) if m.kind == kind]
        probes = []
        for value in values:
            lines = [line.strip() for line in value.splitlines()]
            probes += [line for line in lines if len(line) >= 16 and "-----" not in line] if len(lines) > 1 else [value]
        found[kind] = probes
    return found


VALUES = sample_values()


def one_line(text: str) -> str:
    return " ".join(text.split())


def test_every_kind_has_a_sample_whose_value_can_be_looked_for() -> None:
    from sfp.infra.redact import patterns

    assert set(VALUES) == {p.kind for p in patterns()}
    assert all(probes and all(len(p) >= 6 for p in probes) for probes in VALUES.values()), VALUES


# --- a session, as Claude Code leaves it ---------------------------------------------------------------


def record(kind: str, content: Any, offset: float, **extra: Any) -> dict[str, Any]:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(STARTED + offset))
    return {"type": kind, "timestamp": stamp, "sessionId": SESSION, "isSidechain": False, "cwd": "",
            "message": {"role": kind, "content": content}, **extra}


def tool_call(call_id: str, name: str, args: dict[str, Any], result: str, offset: float, *,
              error: bool = False, details: Any = None) -> list[dict[str, Any]]:
    use = record("assistant", [{"type": "tool_use", "id": call_id, "name": name, "input": args}], offset)
    answer = record("user", [{"type": "tool_result", "tool_use_id": call_id, "content": result, "is_error": error}],
                    offset + 0.5, **({"toolUseResult": details} if details is not None else {}))
    return [use, answer]


def session_records(project: Path) -> list[dict[str, Any]]:
    """Every place a transcript carries text into a handoff: requests, tasks, commands and their failures,
    refusals, commits, a subagent, the last answer."""
    everything = "\n".join(examples().values())
    records = [record("user", f"Wire up the deploy with these:\n{everything}", 0)]
    for n, (kind, text) in enumerate(examples().items()):
        line = one_line(text)
        records += tool_call(f"task{n}", "TaskCreate", {"subject": f"rotate {line}", "description": text},
                             f"Task #{n + 1} created successfully", 10 + n, details={"task": {"id": str(n + 1)}})
        records += tool_call(f"bash{n}", "Bash", {"command": f"{line} && pytest -q"},
                             f"Exit code 1\nerror: {line}", 40 + n, error=True)
        records += tool_call(f"no{n}", "Bash", {"command": f"deploy {line}"},
                             "The user doesn't want to proceed with this tool use", 70 + n, error=True)
    records += tool_call("commit", "Bash", {"command": "git commit -m 'config'"},
                         f"[main 1a2b3c4] add {one_line(examples()['github-token'])}\n 1 file changed", 100)
    records += tool_call("agent", "Task", {"prompt": everything, "description": f"check {everything}",
                                           "subagent_type": "general-purpose"}, f"found {everything}", 110)
    records.append(record("user", f"Now also use:\n{everything}", 120))
    records.append(record("assistant", [{"type": "text", "text": f"Done; I used\n{everything}"}], 130))
    for r in records:
        r["cwd"] = str(project)
    return records


class Planted:
    """The person's own files sfp reads (the transcript, context and config files): they may hold the samples."""

    def __init__(self, claude_dir: Path, project: Path) -> None:
        self.claude_dir = claude_dir
        self.project = project
        self.transcript = claude_dir / "projects" / "-tmp-project" / f"{SESSION}.jsonl"
        self.files: list[Path] = []

    def write(self, path: Path, text: str) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        self.files.append(path)
        return path

    def session(self) -> None:
        subprocess.run(["git", "init", "-q", str(self.project)], check=True)
        self.write(self.project / "app.py", "x = 1\n")
        self.write(self.transcript, "".join(json.dumps(r) + "\n" for r in session_records(self.project)))

    def context(self, *, blocks: bool = False) -> None:
        """A context file with each sample as a bullet on one line; with `blocks`, as written (a key block
        over several lines) in a section of its own."""
        items = "\n".join(f"- {one_line(text)}" for text in examples().values())
        self.write(self.claude_dir / ".context" / "CLAUDE.md", f"# Me\n\n## Identity\n{items}\n")
        if blocks:
            self.write(self.claude_dir / ".context" / "constraints.md",
                       "## Constraints\n" + "\n\n".join(examples().values()) + "\n")

    def event(self, name: str, **extra: Any) -> str:
        return json.dumps({"hook_event_name": name, "session_id": SESSION, "cwd": str(self.project),
                           "transcript_path": str(self.transcript), **extra})


@pytest.fixture
def planted(claude_dir: Path, project: Path) -> Planted:
    return Planted(claude_dir, project)


# --- looking for the samples ----------------------------------------------------------------------------


def stored_files(planted: Planted) -> Iterator[Path]:
    """Every file under the claude dir but the person's own, and the backups' copies of them (a backup keeps
    a file as it is, or restoring it would lose what it held)."""
    own = {p.read_bytes() for p in planted.files}
    for path in sorted(planted.claude_dir.rglob("*")):
        if not path.is_file() or path in planted.files:
            continue
        if "files" in path.relative_to(planted.claude_dir).parts and path.read_bytes() in own:
            continue
        yield path


def leaks_in(text: str) -> list[str]:
    """The kinds whose sample value is in `text`, as it is or escaped in JSON."""
    leaked = []
    for kind, probes in VALUES.items():
        forms = {form for probe in probes for form in (probe, json.dumps(probe)[1:-1])}
        if any(form in text for form in forms):
            leaked.append(kind)
    return leaked


def assert_nothing_leaked(planted: Planted, shown: list[str], *, expect: tuple[str, ...],
                          masked_in: tuple[str, ...] = ()) -> None:
    """No sample value in a stored file or in `shown`; a file under each of `expect`; the mask in a file
    under each of `masked_in` (the samples reached that store, masked)."""
    files = list(stored_files(planted))
    names = [str(p.relative_to(planted.claude_dir)) for p in files]
    for wanted in expect:  # the stores this path writes: without them there would be nothing to look in
        assert any(name.startswith(wanted) for name in names), f"nothing stored under {wanted}: {names}"
    for wanted in masked_in:
        assert any(name.startswith(wanted) and b"***" in path.read_bytes() for path, name in zip(files, names)), \
            f"no masked value under {wanted}"
    leaks = {name: kinds for path, name in zip(files, names)
             if (kinds := leaks_in(path.read_bytes().decode("utf-8", "replace")))}
    assert leaks == {}, f"sample values stored: {leaks}"
    printed = {n: kinds for n, text in enumerate(shown) if (kinds := leaks_in(text))}
    assert printed == {}, f"sample values printed: {printed}"


def outputs(*runs: Any) -> list[str]:
    return [text for run in runs for text in (run.out, run.err)]


# --- the paths that keep text -------------------------------------------------------------------------------


def test_compaction_hooks_keep_no_secret(sfp: SfpRunner, planted: Planted) -> None:
    planted.session()
    planted.context()
    everything = "\n".join(examples().values())
    runs = [sfp("hook", input=planted.event("PreCompact", trigger="manual", custom_instructions=everything)),
            sfp("hook", input=planted.event("PostCompact", trigger="manual", compact_summary=everything)),
            sfp("hook", input=planted.event("SessionStart", source="compact")),
            sfp("hook", input=planted.event("SessionEnd", reason="other"))]
    assert all(run.code == 0 for run in runs), [run.err for run in runs]
    assert_nothing_leaked(planted, outputs(*runs), expect=("handoffs/", "backups/", "logs/"), masked_in=("handoffs/",))


def test_the_task_events_keep_no_secret(sfp: SfpRunner, planted: Planted) -> None:
    planted.session()
    runs = [sfp("hook", input=planted.event(name, task_id=f"c{n}", task_subject=one_line(text)))
            for n, text in enumerate(examples().values()) for name in ("TaskCreated", "TaskCompleted")]
    runs.append(sfp("hook", input=planted.event("SessionEnd", reason="other")))
    assert all(run.code == 0 for run in runs), [run.err for run in runs]
    assert_nothing_leaked(planted, outputs(*runs), expect=("handoffs/", "sfp/state/"))


def test_the_handoff_command_keeps_and_shows_no_secret(sfp: SfpRunner, planted: Planted) -> None:
    planted.session()
    planted.context()
    made = sfp("handoff", "--project", str(planted.project), "--transcript", str(planted.transcript))
    assert made.code == 0, made.err
    shown = sfp("handoff", "show", "latest")
    listed = sfp("handoff", "list", "--json")
    assert shown.code == 0 and "Wire up the deploy" in shown.out, shown.err
    assert_nothing_leaked(planted, outputs(made, shown, listed), expect=("handoffs/", "backups/"), masked_in=("handoffs/",))


def tags_and_prompt(sfp: SfpRunner, planted: Planted) -> list[str]:
    tags = sfp("tags", "--project", str(planted.project))
    tags_json = sfp("tags", "--json", "--project", str(planted.project))
    prompt = sfp("hook", input=planted.event("UserPromptSubmit", prompt="\n".join(examples().values())))
    assert tags.code == 0 and "[K:identity]" in tags.out and "***" in tags.out, tags.err
    assert prompt.code == 0 and "[K:identity]" in prompt.out and "***" in prompt.out, prompt.err
    return outputs(tags, tags_json, prompt)


def test_tags_and_the_prompt_hook_keep_and_send_no_secret(sfp: SfpRunner, planted: Planted) -> None:
    planted.session()
    planted.context()
    assert_nothing_leaked(planted, tags_and_prompt(sfp, planted), expect=("logs/", "sfp/state/"))


def test_a_key_block_in_a_context_file_becomes_no_tag(sfp: SfpRunner, planted: Planted) -> None:
    planted.session()
    planted.context(blocks=True)
    assert_nothing_leaked(planted, tags_and_prompt(sfp, planted), expect=("logs/",))


def leaky_gates(planted: Planted) -> None:
    planted.write(planted.project / "secrets.txt", "\n".join(examples().values()) + "\n")
    planted.write(planted.claude_dir / "sfp" / "gates.yaml", """\
tiers:
  fast:
    gates:
      - name: leaky
        command: "cat secrets.txt; cat secrets.txt >&2; false"
        critical: true
        file_patterns: ["*.py"]
""")


def test_gate_output_is_stored_and_sent_without_secrets(sfp: SfpRunner, planted: Planted) -> None:
    planted.session()
    leaky_gates(planted)
    # the session wrote app.py: Stop runs the fast tier on it
    transcript = planted.transcript
    transcript.write_text(transcript.read_text() + json.dumps(tool_call(
        "w", "Write", {"file_path": str(planted.project / "app.py"), "content": "x = 1\n"}, "ok", 140)[0]) + "\n")
    stop = sfp("hook", input=planted.event("Stop", stop_hook_active=False))
    gates = sfp("gates", "--project", str(planted.project), "--files", "app.py")
    gates_json = sfp("gates", "--project", str(planted.project), "--files", "app.py", "--json")
    assert stop.code == 0 and "leaky" in stop.out and "***" in stop.out, stop.err
    assert gates.code == 1 and "leaky" in gates.out, gates.err
    assert "***" in json.loads(gates_json.out)["gates"][0]["output"]
    assert_nothing_leaked(planted, outputs(stop, gates, gates_json), expect=("logs/", "kpis/"))


def leaky_formatter(planted: Planted) -> dict[str, str]:
    """A formatter for .py files that prints the samples and fails: the hook logs its first line."""
    tool = planted.write(planted.project.parent / "bin" / "leakyfmt",
                         "#!/bin/sh\ncat <<'EOF'\n" + " ; ".join(one_line(t) for t in examples().values()) + "\nEOF\nexit 1\n")
    tool.chmod(0o755)
    planted.write(planted.claude_dir / "sfp" / "auto_fix.yaml", "formatters:\n  python:\n    command: leakyfmt\n")
    return clean_env(planted.claude_dir, PATH=f"{tool.parent}:/usr/bin:/bin")


def test_hooks_that_log_keep_no_secret_in_the_log(sfp: SfpRunner, planted: Planted) -> None:
    planted.session()
    env = leaky_formatter(planted)
    everything = "\n".join(examples().values())
    write = {"file_path": str(planted.project / "app.py"), "content": everything}
    guard = sfp("hook", env=env, input=planted.event("PreToolUse", tool_name="Write", tool_input=write))
    formatted = sfp("hook", env=env, input=planted.event("PostToolUse", tool_name="Write", tool_input=write,
                                                         tool_response={"filePath": write["file_path"]}))
    logs = sfp("logs", "-n", "50", env=env)
    logs_json = sfp("logs", "-n", "50", "--json", env=env)
    assert guard.code == 0 and "deny" in guard.out, guard.err
    assert formatted.code == 0, formatted.err
    assert "leakyfmt on app.py" in logs.out
    assert_nothing_leaked(planted, outputs(guard, formatted, logs, logs_json), expect=("logs/", "kpis/"),
                          masked_in=("logs/",))


def test_a_secret_cut_by_a_clip_leaves_no_head_behind(sfp: SfpRunner, planted: Planted) -> None:
    token = examples()["github-token"].split("'")[1]
    command = "echo " + "x" * 100 + " " + token
    records = [record("user", "deploy", 0), *tool_call("b", "Bash", {"command": command},
                                                       "The user doesn't want to proceed with this tool use", 1,
                                                       error=True)]
    planted.write(planted.transcript, "".join(json.dumps(r) + "\n" for r in records))
    assert sfp("hook", input=planted.event("PreCompact", trigger="manual")).code == 0
    [handoff] = (planted.claude_dir / "handoffs").glob("*.json")
    refused = json.loads(handoff.read_text())["refused"]
    assert refused and refused[0].startswith("Bash echo xxx")
    assert token[:12] not in handoff.read_text(), refused
