"""TAGs from the context files under the real client: once per session, again when a file changed or
after a compaction, with sfp installed by `sfp install`.

One session, five runs: a first prompt, a second (`--resume`), a third after a context file changed,
`/compact`, and a prompt after the compaction. Each prompt run makes exactly one main request.

Where UserPromptSubmit's `additionalContext` lands in 2.1.197 (seen here): in a `role: "system"`
message with string content `"UserPromptSubmit hook additional context: <text>"`. With the first
prompt of a session that text is appended (after a blank line) to the system message that also holds
the agent-types and skills listings, right after the prompt's user message; with a later prompt it is
a `system` message of its own after that prompt. Requests carry the history, so a tag block sent once
stays in every later request of the session until a compaction drops it. 2.1.332 does the same, but
appends `\n\nToday's date is YYYY-MM-DD.` to the first prompt's context (`injections` takes it off).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from e2e.client import Sandbox, logged, sfp_log
from e2e.model_server import ModelServer, Request, all_text, say, texts_of
from e2e.reached import hook_contexts

pytestmark = pytest.mark.e2e

RUN_TIMEOUT = 120.0
LABEL = "UserPromptSubmit hook additional context: "
TAGS_HEADER = "[sfp] Context from your context files (~/.claude/.context)"
CHANGED_NOTE = ", updated since earlier in this session"
CONTINUED = "This session is being continued from a previous conversation"
IDENTITY_MD = "Name: Ada Zebrafish-E2E\nRole: keeper of the e2e lighthouse\n"
CLAUDE_MD = "# Rules\n\n- Answer in {form}\n\n# Constraints\n\n- Never touch the prod-db-7 database\n"
TAG_IDENTITY = "[K:identity] Name: Ada Zebrafish-E2E"
TAG_ROLE = "[K:identity] Role: keeper of the e2e lighthouse"
TAG_CONSTRAINT = "[C:constraints] Never touch the prod-db-7 database"
FIRST_RULE = "[U:rules] Answer in haiku"
# Longer than the first, so the file's size changes as well as its mtime.
SECOND_RULE = "[U:rules] Answer in limericks only"


def tags_block(rule: str, changed: bool = False) -> str:
    """sfp's whole block, as `sfp inject` prints it for these files: CLAUDE.md is read before identity.md
    (the order of `tags.files` in sfp.yaml)."""
    header = TAGS_HEADER + (CHANGED_NOTE if changed else "") + ":"
    return "\n".join([header, rule, TAG_CONSTRAINT, TAG_IDENTITY, TAG_ROLE])


def install_sfp(sandbox: Sandbox, sfp_pyz: Path) -> Path:
    pyz = sandbox.install_sfp(sfp_pyz, context=CLAUDE_MD.format(form="haiku"))
    (sandbox.claude_dir / ".context" / "identity.md").write_text(IDENTITY_MD, encoding="utf-8")
    return pyz


def injections(request: Request) -> list[str]:
    """Each UserPromptSubmit context in the request, from its label to the end of its message (without
    the date line 2.1.332 appends to the first prompt's context)."""
    return hook_contexts(request, LABEL)


def injecting_messages(request: Request) -> list[tuple[int, str]]:
    """(index, role) of each message that carries a UserPromptSubmit context."""
    messages = (request.body or {}).get("messages") or []
    return [(i, m.get("role", "")) for i, m in enumerate(messages) if LABEL in "".join(texts_of(m.get("content")))]


def last_prompt_index(request: Request, prompt: str) -> int:
    messages = (request.body or {}).get("messages") or []
    hits = [i for i, m in enumerate(messages) if m.get("role") == "user" and prompt in list(texts_of(m.get("content")))]
    assert hits, f"the prompt {prompt!r} is not in the request"
    return hits[-1]


def tags_state(claude_dir: Path, session: str) -> dict[str, Any]:
    path = claude_dir / "sfp" / "state" / "sessions" / f"{session}.json"
    state = json.loads(path.read_text(encoding="utf-8"))
    tags = state.get("tags")
    assert isinstance(tags, dict), state
    return tags


@dataclass(frozen=True)
class Prompted:
    """One prompt run: its main request, and what sfp's state said after it."""

    prompt: str
    request: Request
    reason: str
    added_at: float


@dataclass(frozen=True)
class Tagged:
    sandbox: Sandbox
    model: ModelServer
    session_id: str
    runs: dict[str, Prompted]


@pytest.fixture(scope="module")
def tagged(claude_bin: Path, sfp_pyz: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tagged]:
    with ModelServer() as model:
        sandbox = Sandbox(claude_bin, tmp_path_factory.mktemp("sfp-tags"), model.url)
        install_sfp(sandbox, sfp_pyz)
        runs: dict[str, Prompted] = {}
        session: str | None = None

        def prompt(text: str) -> None:
            nonlocal session
            before = len(model.main_requests())
            model.push(say(f"answer to {text}"))
            result = sandbox.run(text, resume=session, timeout=RUN_TIMEOUT)
            session = result.session_id
            made = model.main_requests()[before:]
            assert len(made) == 1, f"{text!r} made {len(made)} main requests"
            state = tags_state(sandbox.claude_dir, session)
            runs[text] = Prompted(text, made[0], str(state.get("reason")), float(state.get("added_at", 0)))

        prompt("first")
        prompt("second")
        context_file = sandbox.claude_dir / ".context" / "CLAUDE.md"
        time.sleep(0.01)  # a distinct mtime, should the file system's clock be coarse
        context_file.write_text(CLAUDE_MD.format(form="limericks only"), encoding="utf-8")
        prompt("third")
        sandbox.run("/compact", resume=session, timeout=RUN_TIMEOUT)
        prompt("fourth")
        assert session is not None
        yield Tagged(sandbox, model, session, runs)


def test_the_first_request_carries_the_tags_once(tagged: Tagged) -> None:
    first = tagged.runs["first"].request

    assert injections(first) == [tags_block(FIRST_RULE)], all_text(first)[-3000:]
    [(index, role)] = injecting_messages(first)
    assert role == "system" and index == last_prompt_index(first, "first") + 1, injecting_messages(first)
    assert tagged.runs["first"].reason == "first prompt of the session"


def test_the_second_prompt_adds_no_tags(tagged: Tagged) -> None:
    first, second = tagged.runs["first"], tagged.runs["second"]

    # The block of the first prompt is still there (history), and nothing new came with the second.
    assert injections(second.request) == [tags_block(FIRST_RULE)]
    assert all_text(second.request).count(TAG_IDENTITY) == 1
    after_prompt = (second.request.body or {})["messages"][last_prompt_index(second.request, "second"):]
    assert not any(LABEL in "".join(texts_of(m.get("content"))) for m in after_prompt)
    # sfp's state was not rewritten: the record is still the first prompt's.
    assert (second.reason, second.added_at) == (first.reason, first.added_at)


def test_a_changed_context_file_sends_the_tags_again(tagged: Tagged) -> None:
    third = tagged.runs["third"]

    assert injections(third.request) == [tags_block(FIRST_RULE), tags_block(SECOND_RULE, changed=True)]
    new = injecting_messages(third.request)[-1]
    assert new == (last_prompt_index(third.request, "third") + 1, "system"), injecting_messages(third.request)
    assert third.reason == "a context file changed"


def test_after_a_compaction_the_tags_come_back(tagged: Tagged) -> None:
    fourth = tagged.runs["fourth"]
    text = all_text(fourth.request)

    assert CONTINUED in text, "the fourth prompt's request does not follow the compaction"
    # The summary dropped both earlier blocks; the one the fourth prompt brought is the current one.
    assert injections(fourth.request) == [tags_block(SECOND_RULE)], text[-3000:]
    assert FIRST_RULE not in text
    assert text.index(CONTINUED) < text.index(TAG_IDENTITY)
    assert fourth.reason == "the session was compacted"


def test_sfp_logs_context_only_when_it_adds_tags(tagged: Tagged) -> None:
    prompts = logged(sfp_log(tagged.sandbox.claude_dir), "UserPromptSubmit", tagged.session_id)

    assert [r["message"].startswith("handled: context") for r in prompts] == [True, False, True, True], prompts
    assert all(r["level"] == "info" for r in prompts), prompts
