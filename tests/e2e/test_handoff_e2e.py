"""The handoff loop at compaction under the real client, with sfp installed by `sfp install`.

A session reads a file, edits another, writes a third, creates two tasks and completes one, runs a
check that fails until the third file exists (so it ends fixed); a second prompt runs a unittest file that
fails and is never fixed, then gives a final answer. `/compact` runs sfp's PreCompact: a handoff naming
those files, tasks and failures, and a backup of the context files. The first model request after the
compaction must carry the handoff back in sfp's SessionStart context (the open task, the unresolved
failure with the runner's test name, the final answer; the fixed one only as fixed), and
`sfp restore --latest` must put a changed context file back. A PreCompact whose backup can't be
written must block the compaction instead.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from e2e.client import TASK_TOOLS_ENV, Result, Sandbox, logged, sfp_log
from e2e.model_server import SUMMARY_TEXT, ModelServer, Request, all_text, call, say, texts_of
from e2e.reached import hook_contexts, offered_tools

pytestmark = pytest.mark.e2e

RUN_TIMEOUT = 120.0
CONTEXT_TEXT = "# Context\n\nThe e2e project: emails must be validated.\n"
DONE_TASK = "Add email validation"
OPEN_TASK = "Write tests for validation"
# A run that fails before src/validate.py is written and passes after: a failure later fixed. (Not
# `test -f`: the client reports a `test` that exits 1 as a plain result, not as an error.)
CHECK = "python3 src/validate.py"
# A test run that fails and is never fixed: the runner (unittest) names the failing test.
TEST_RUN = "python3 -m unittest tests/test_email.py"
FAILING_TEST = "test_rejects_a_name_without_at"
TEST_FILE = (
    "import unittest\n\n\n"
    "class EmailTest(unittest.TestCase):\n"
    f"    def {FAILING_TEST}(self):\n"
    "        self.assertIn('@', 'alice')\n\n\n"
    "if __name__ == '__main__':\n"
    "    unittest.main()\n"
)
FINAL_STATE = "FINAL-STATE-E2E: validation is in; test_rejects_a_name_without_at still fails, the tests are left."
BACKUP_ID = re.compile(r"\d{8}-\d{6}(-\d+)?")
# sfp's framing of a handoff put back after a compaction, up to the id of the handoff it comes from.
COMPACT_RECORD = re.compile(r"\[sfp\] Record of earlier work in this project, saved before the context was "
                            r"compacted \([^,)]*, (handoff-[\w-]+)\)")
RECORD_END = "he full handoff: "  # "[sfp] The full handoff: …" or "[sfp] Left out …; the full handoff: …"
SESSION_START = "SessionStart hook additional context: "
COMPACT_RECORD_START = "[sfp] Record of earlier work in this project, saved before the context was compacted ("
BLOCKED = "Compaction blocked by PreCompact hook:"
CONTINUED = "This session is being continued from a previous conversation"


@dataclass(frozen=True)
class Work:
    """The files the scripted session touched."""

    read: Path
    edited: Path
    written: Path


def prepare(sandbox: Sandbox, sfp_pyz: Path) -> Path:
    """sfp installed from a copy of the zipapp, a context file, and a project with two files."""
    pyz = sandbox.install_sfp(sfp_pyz, context=CONTEXT_TEXT)
    return pyz


def script_the_work(sandbox: Sandbox, model: ModelServer) -> Work:
    """Turns as 2.1.197's model sends them (inputs copied from a real transcript); Edit needs a Read of
    the same file first, so the edited file is read too and the handoff lists it as changed only."""
    project = sandbox.project
    work = Work(project / "docs" / "notes.md", project / "src" / "app.py", project / "src" / "validate.py")
    work.read.parent.mkdir(parents=True)
    work.read.write_text("Emails: reject anything without an @.\n", encoding="utf-8")
    work.edited.parent.mkdir(parents=True)
    work.edited.write_text("def create_user(email):\n    return email\n", encoding="utf-8")
    tests = project / "tests" / "test_email.py"
    tests.parent.mkdir(parents=True)
    tests.write_text(TEST_FILE, encoding="utf-8")
    model.push(
        call("TaskCreate", subject=DONE_TASK, description="Reject malformed emails in create_user",
             activeForm="Adding email validation"),
        call("TaskCreate", subject=OPEN_TASK, description="Cover valid and invalid emails", activeForm="Writing tests"),
        call("Read", file_path=str(work.read)),
        call("Read", file_path=str(work.edited)),
        call("Edit", file_path=str(work.edited), old_string="    return email",
             new_string="    assert valid(email)\n    return email"),
        call("Bash", command=CHECK, description="Run validate.py"),
        call("Write", file_path=str(work.written), content="def valid(email):\n    return '@' in email\n"),
        call("Bash", command=CHECK, description="Run validate.py"),
        call("TaskUpdate", taskId="1", status="completed"),
        say("Validation is in; the tests are next."),
        # The second prompt: a test run that fails and stays failing, then the final state.
        call("Bash", command=TEST_RUN, description="Run the email tests"),
        say(FINAL_STATE),
    )
    return work


def handoff_records(claude_dir: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Every handoff's markdown path with its parsed JSON."""
    found = []
    for markdown in sorted((claude_dir / "handoffs").glob("handoff-*.md")):
        found.append((markdown, json.loads(markdown.with_suffix(".json").read_text(encoding="utf-8"))))
    return found


def backups_by_reason(claude_dir: Path, reason: str) -> list[tuple[Path, dict[str, Any]]]:
    found = []
    for folder in sorted((claude_dir / "backups").iterdir()):
        metadata = folder / "metadata.json"
        if folder.is_dir() and metadata.exists():
            meta = json.loads(metadata.read_text(encoding="utf-8"))
            if meta.get("reason") == reason:
                found.append((folder, meta))
    return found


def stored_copy(folder: Path, meta: dict[str, Any], relative: str) -> bytes:
    [entry] = [e for e in meta["files_backed_up"] if e["root"] == "claude" and e["relative_path"] == relative]
    return (folder / "files" / str(entry["root"]) / str(entry["relative_path"])).read_bytes()


def tool_result_texts(request: Request) -> list[str]:
    """The text of each tool result in the request's last message."""
    last = ((request.body or {}).get("messages") or [{}])[-1]
    blocks = last.get("content") if isinstance(last.get("content"), list) else []
    return ["".join(texts_of(b.get("content"))) for b in blocks if isinstance(b, dict) and b.get("type") == "tool_result"]


def first_main_after_compaction(model: ModelServer) -> Request:
    requests = model.requests
    compact_at = next(i for i, r in enumerate(requests) if r.kind == "compact")
    return next(r for r in requests[compact_at + 1:] if r.kind == "main")


def section(text: str, title: str) -> list[str]:
    """The `- item` lines under `title:` in sfp's record."""
    lines = text.splitlines()
    try:
        start = lines.index(f"{title}:") + 1
    except ValueError:
        return []
    items = []
    for line in lines[start:]:
        if not line.startswith("- "):
            break
        items.append(line[2:])
    return items


# ---------------------------------------------------------------------------------------------
# The loop: work, compaction, the handoff back, restore


@dataclass(frozen=True)
class Compacted:
    sandbox: Sandbox
    model: ModelServer
    pyz: Path
    session_id: str
    work: Work
    compact: Result


@pytest.fixture(scope="module")
def compacted(claude_bin: Path, sfp_pyz: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Compacted]:
    with ModelServer() as model:
        # 2.1.332 offers its default model no task tools unless told to (by name only, as deferred tools).
        sandbox = Sandbox(claude_bin, tmp_path_factory.mktemp("sfp-handoff"), model.url,
                          extra_env=dict(TASK_TOOLS_ENV))
        pyz = prepare(sandbox, sfp_pyz)
        work = script_the_work(sandbox, model)
        # Bash is allowed by name (`-p` asks no one): its failures are the commands' own, not refusals.
        bash = ["--allowedTools=Bash"]
        session = sandbox.run("add email validation", extra=bash, timeout=RUN_TIMEOUT).session_id
        offered = offered_tools(model.main_requests()[0])
        assert {"TaskCreate", "TaskUpdate"} <= offered, f"the client offered no task tools: {sorted(offered)}"
        sandbox.run("what is left?", resume=session, extra=bash, timeout=RUN_TIMEOUT)
        compact = sandbox.run("/compact", resume=session, timeout=RUN_TIMEOUT)
        model.push(say("Carrying on with the tests."))
        sandbox.run("go on", resume=session, timeout=RUN_TIMEOUT)
        yield Compacted(sandbox, model, pyz, session, work, compact)


def pre_compact_handoff(run: Compacted) -> tuple[Path, dict[str, Any]]:
    made = [(md, h) for md, h in handoff_records(run.sandbox.claude_dir)
            if h.get("trigger") == "manual" and h.get("session_id") == run.session_id]
    assert len(made) == 1, f"expected one handoff from PreCompact (trigger manual), found {made}"
    return made[0]


def test_the_scripted_work_really_happened(compacted: Compacted) -> None:
    work = compacted.work
    assert "assert valid(email)" in work.edited.read_text(encoding="utf-8")
    assert work.written.exists()
    assert compacted.model.remaining == 0, "the client stopped before the script's end"
    created = [t for r in compacted.model.main_requests()[:3] for t in tool_result_texts(r)]
    assert f"Task #1 created successfully: {DONE_TASK}" in created, created
    assert f"Task #2 created successfully: {OPEN_TASK}" in created, created
    assert any(r.get("subtype") == "compact_boundary" for r in compacted.sandbox.transcript(compacted.session_id))
    [pre_compact] = logged(sfp_log(compacted.sandbox.claude_dir), "PreCompact", compacted.session_id)
    assert pre_compact["level"] == "info", pre_compact


def test_pre_compact_writes_a_handoff_naming_the_files_and_tasks(compacted: Compacted) -> None:
    markdown, handoff = pre_compact_handoff(compacted)
    work = compacted.work

    assert handoff["open_tasks"] == [{"id": "2", "subject": OPEN_TASK, "status": "pending"}]
    assert handoff["completed_tasks"] == [{"id": "1", "subject": DONE_TASK, "status": "completed"}]
    assert sorted(c["path"] for c in handoff["files_changed"]) == sorted([str(work.edited), str(work.written)])
    assert handoff["files_read"] == [str(work.read)]
    assert handoff["prompts"][-1] == "what is left?"
    text = markdown.read_text(encoding="utf-8")
    open_part = text[text.index("## Open tasks"):text.index("## Completed tasks")]
    assert f"#2 {OPEN_TASK}" in open_part and DONE_TASK not in open_part, text
    for path in (work.read, work.edited, work.written):
        assert str(path) in text, f"{path} not in the handoff:\n{text}"
    for path in (markdown, markdown.with_suffix(".json")):
        assert path.stat().st_mode & 0o777 == 0o600, path


def test_pre_compact_backs_up_the_context_files(compacted: Compacted) -> None:
    claude_dir = compacted.sandbox.claude_dir
    markdown, _ = pre_compact_handoff(compacted)

    [(folder, meta)] = backups_by_reason(claude_dir, "pre-compact (manual)")
    assert BACKUP_ID.fullmatch(folder.name) and meta["backup_id"] == folder.name, folder
    assert folder.stat().st_mode & 0o777 == 0o700
    saved = stored_copy(folder, meta, ".context/CLAUDE.md")
    assert saved == CONTEXT_TEXT.encode()
    [entry] = [e for e in meta["files_backed_up"] if e["relative_path"] == ".context/CLAUDE.md"]
    assert entry["sha256"] == hashlib.sha256(saved).hexdigest()
    # The backup holds the handoff as PreCompact wrote it; PostCompact has since added the client's summary.
    backed_up = stored_copy(folder, meta, f"handoffs/{markdown.name}")
    assert backed_up and markdown.read_bytes().startswith(backed_up)
    assert b"## The client's own summary (PostCompact)" in markdown.read_bytes()


def test_the_first_request_after_compaction_carries_the_handoff(compacted: Compacted) -> None:
    markdown, _ = pre_compact_handoff(compacted)
    text = all_text(first_main_after_compaction(compacted.model))
    work = compacted.work

    assert CONTINUED in text and SUMMARY_TEXT in text, "this is not the request after the compaction"
    records = {m.group(1): text[m.start():text.index(RECORD_END, m.end())] for m in COMPACT_RECORD.finditer(text)}
    assert markdown.stem in records, (f"the PreCompact handoff {markdown.stem} did not reach the model; sfp records "
                                      f"after compaction: {sorted(records)}")
    record = records[markdown.stem]
    assert section(record, "Open tasks (next steps, if they still apply)") == [f"[pending] #2 {OPEN_TASK}"], record
    assert section(record, "Completed tasks") == [f"#1 {DONE_TASK}"], record
    assert sorted(section(record, "Files changed")) == sorted([str(work.edited), str(work.written)]), record
    assert section(record, "Files read") == [str(work.read)], record


def test_the_handoff_after_compaction_carries_the_unfinished_work_and_the_final_state(compacted: Compacted) -> None:
    markdown, handoff = pre_compact_handoff(compacted)
    request = first_main_after_compaction(compacted.model)
    # sfp's SessionStart `compact` context, as it reached the model (2.1.332's date line taken off):
    # the final answer is also kept verbatim after the client's summary, so only sfp's record tells.
    [record] = [c for c in hook_contexts(request, SESSION_START) if c.startswith(COMPACT_RECORD_START)
                and f"{markdown.stem})" in c.split("\n", 1)[0]]

    assert section(record, "Open tasks (next steps, if they still apply)") == [f"[pending] #2 {OPEN_TASK}"], record
    [failing] = section(record, "Still failing at the end (the latest run of each failed)")
    assert TEST_RUN in failing and FAILING_TEST in failing, record
    assert CHECK not in failing, record
    [fixed] = section(record, "Failed, then fixed")
    assert fixed == CHECK, record
    assert f"Final state (the last assistant message): {FINAL_STATE}" in record.splitlines(), record
    assert handoff["last_assistant_message"] == FINAL_STATE, handoff


def test_restore_latest_puts_the_context_file_back(compacted: Compacted) -> None:
    sandbox, pyz = compacted.sandbox, compacted.pyz
    if "restore" not in sandbox.sfp(pyz, "--help").stdout:
        pytest.skip("this sfp has no `restore` command yet (`sfp --help`)")
    context = sandbox.claude_dir / ".context" / "CLAUDE.md"
    context.write_text("# Context\n\nclobbered\n", encoding="utf-8")

    done = sandbox.sfp(pyz, "restore", "--latest", "--yes")

    assert done.code == 0, done.describe()
    assert context.read_text(encoding="utf-8") == CONTEXT_TEXT
    # The clobbered file was kept first, so the restore itself can be undone.
    [(folder, meta)] = backups_by_reason(sandbox.claude_dir, "pre-restore")
    assert stored_copy(folder, meta, ".context/CLAUDE.md") == b"# Context\n\nclobbered\n"


# ---------------------------------------------------------------------------------------------
# A backup that can't be written blocks the compaction


@dataclass(frozen=True)
class Blocked:
    sandbox: Sandbox
    model: ModelServer
    session_id: str
    compact: Result
    in_the_way: Path


IN_THE_WAY = b"a file where sfp's backups folder should be\n"


@pytest.fixture(scope="module")
def blocked(claude_bin: Path, sfp_pyz: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Blocked]:
    with ModelServer() as model:
        sandbox = Sandbox(claude_bin, tmp_path_factory.mktemp("sfp-blocked"), model.url)
        prepare(sandbox, sfp_pyz)
        model.push(call("Write", file_path=str(sandbox.project / "app.py"), content="x = 1\n"), say("Wrote it."),
                   say("Second answer."))
        session = sandbox.run("write the app", timeout=RUN_TIMEOUT).session_id
        sandbox.run("and now?", resume=session, timeout=RUN_TIMEOUT)
        backups = sandbox.claude_dir / "backups"
        # The client keeps its own .claude.json backups in there too; none is needed here.
        shutil.rmtree(backups, ignore_errors=True)
        backups.write_bytes(IN_THE_WAY)
        backups.chmod(0o644)
        compact = sandbox.run("/compact", resume=session, timeout=RUN_TIMEOUT, check=False)
        model.push(say("Still here."))
        sandbox.run("go on", resume=session, timeout=RUN_TIMEOUT)
        yield Blocked(sandbox, model, session, compact, backups)


def test_the_client_reports_the_compaction_blocked(blocked: Blocked) -> None:
    result = blocked.compact.output["result"]

    # 2.1.197 says so only in the result text: exit 0, is_error false, nothing on stderr.
    assert blocked.compact.code == 0 and blocked.compact.output["is_error"] is False, blocked.compact.describe()
    assert result.startswith(BLOCKED), blocked.compact.describe()
    assert f"cannot use {blocked.in_the_way} as a folder: a file of that name is in the way" in result, result
    said = [r for r in blocked.sandbox.transcript(blocked.session_id)
            if r.get("type") == "system" and r.get("subtype") == "local_command" and BLOCKED in str(r.get("content"))]
    assert len(said) == 1, "the transcript does not record the blocked compaction"


def test_a_blocked_compaction_leaves_the_history_whole(blocked: Blocked) -> None:
    transcript = blocked.sandbox.transcript(blocked.session_id)

    assert blocked.model.compact_requests() == [], "the client asked for a summary although PreCompact blocked"
    assert not any(r.get("subtype") == "compact_boundary" for r in transcript)
    assert not any(r.get("isCompactSummary") for r in transcript)
    after = all_text(blocked.model.main_requests()[-1])
    assert CONTINUED not in after and SUMMARY_TEXT not in after
    assert "write the app" in after and "Wrote it." in after, "the history before /compact is gone"


def test_sfp_logs_why_it_blocked(blocked: Blocked) -> None:
    [record] = logged(sfp_log(blocked.sandbox.claude_dir), "PreCompact", blocked.session_id)

    assert record["level"] == "warning", record
    assert "a file of that name is in the way" in record["message"] and "critical" in record["message"], record


def test_a_blocked_backup_leaves_the_file_in_its_way_as_it_was(blocked: Blocked) -> None:
    assert blocked.in_the_way.is_file()
    assert blocked.in_the_way.read_bytes() == IN_THE_WAY
    mode = blocked.in_the_way.stat().st_mode & 0o777
    assert mode == 0o644, f"sfp changed the mode of the file in its way to {mode:o} (it was 644)"
