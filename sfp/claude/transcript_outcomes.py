"""What became of a tool call that failed or that changed the repository: how a command is known when it runs
again (so that a later pass settles an earlier failure), which tests a runner named as failing, and the
commits and pushes that `git` reported."""

from __future__ import annotations

import functools
import re
from typing import Final

from sfp.claude.transcript_summary import MAX_SUBJECT_CHARS, Commit, FailedTool, Summary, clip

_GIT_SCAN_CHARS: Final = 4096
CANCELLED: Final = ("Sibling tool call errored", "No such tool available", "[Request interrupted by user")
REJECTED: Final = ("The user doesn't want to proceed with this tool use", "The user doesn't want to take this action")
# The client's words when a permission was never given (plain substrings: a regex over 4 KB per error costs).
NOT_PERMITTED: Final = ("but you haven't granted it", "This command requires approval", "Permission to use ")
GIT_COMMIT_OR_PUSH: Final = re.compile(r"\bgit\s+(?:-\S+\s+)*(?:commit|push)\b")
_GIT_VERB: Final = (r"^git\s+(?:-[cC]\s+\S+\s+|-\S+\s+)*([a-z][a-z-]*)")
_PYTHON: Final = (r"(?<![\w/.-])python3(?:\.\d+)?(?=\s)")  # `python x.py` failing, `python3 x.py` passing
NOTHING_TO_COMMIT: Final = "nothing to commit, working tree clean"
_CHAIN: Final = (r"\s*(?:&&|;)\s*")
_COMMIT_LINE: Final = r"(?m)^\[([^\]\n]{1,200}?) ([0-9a-f]{7,40})\] (.+)$"
_PUSH_REMOTE: Final = r"(?m)^To (\S+)"
_PUSH_REF: Final = (
    r"(?m)^\s*[+*]?\s*(?:[0-9a-f]{7,40}\.{2,3}[0-9a-f]{7,40}|\[new branch\]|\[new tag\])\s+(\S+)\s+->\s+(\S+)"
)
_CD_PREFIX: Final = (r"^(?:cd\s+\S+\s*(?:&&|;)\s*)+")
_PLUMBING: Final = (r"\s*(?:[12]?>&[12]|[12&]?>>?\s*/dev/null)")
_PIPE_TAIL: Final = (r"\s*\|\s*(?:tail|head|grep|tee|less|more|cat|sort|uniq|wc)\b[^|]*$")
_ARGS: Final = r"(?P<args>[^;&|]*)"
# Compiled on first use (`_test_runners`): a hook that reads a transcript with no failure never needs them.
_TEST_RUNNER_PATTERNS: Final = (
    ("pytest", r"(?:^|[\s/])(?:python[\d.]*\s+-m\s+)?py\.?test\b"),
    ("unittest", r"(?:^|[\s/])python[\d.]*\s+-m\s+unittest\b"),
    ("cargo", r"\bcargo\s+(?:\+\S+\s+)?(?:test|nextest\s+run)\b"),
    ("go", r"\bgo\s+test\b"),
    ("vitest", r"\bvitest\b(?:\s+run\b)?"),
    ("jest", r"\bjest\b"),
    ("node", r"\bnode\s+--test\b"),
    ("mix", r"\bmix\s+test\b"),
    ("npm", r"\b(?:npm|pnpm|yarn|bun)\s+(?:run\s+)?test\b"),
    # checkers: a passing run of the same checker on the same (or more) files settles its failure too
    ("credo", r"\bmix\s+credo\b"),
    ("mix-compile", r"\bmix\s+compile\b"),
    ("ruff", r"\bruff\s+check\b"),
    ("ruff-format", r"\bruff\s+format\b"),
    ("mypy", r"\bmypy\b"),
    ("eslint", r"\beslint\b"),
    ("tsc", r"\btsc\b"),
    ("clippy", r"\bcargo\s+clippy\b"),
    ("cargo-build", r"\bcargo\s+(?:build|check)\b"),
    ("go-vet", r"\bgo\s+(?:vet|build)\b"),
)
_ANY_RUNNER: Final = (r"py\.?test|unittest|cargo|go|vitest|jest|node|mix|npm|yarn|bun|ruff|mypy|eslint|tsc")
_NOT_TARGETS: Final = frozenset({"discover", "run", "test", "--"})
# The lines test runners print for one failing test (pytest, unittest, TAP/node, jest, vitest, cargo, go).
_FAILING_TEST_PATTERN: Final = (
    r"(?:(?:FAILED|ERROR) \S+\.py(?:::\S+)?"  # pytest's short summary
    r"|(?:FAIL|ERROR): \w+(?: \([\w.]+\))?"  # unittest
    r"|not ok \d+ - .+"  # TAP (node --test, prove)
    r"|● .+ › .+"  # jest
    r"|(?:FAIL|×|✗)\s+\S+\.(?:test|spec)\.[cm]?[jt]sx? > .+"  # vitest
    r"|test \S+ \.\.\. FAILED"  # cargo test
    r"|--- FAIL: \S+(?: \([\d.]+s\))?)"  # go test
)
# What each of those lines holds: only lines with one are matched against the pattern.
_FAILING_TEST_MARKERS: Final = ("FAIL", "ERROR", "not ok ", "● ", "×", "✗")
_MAX_CANDIDATE_LINES: Final = 200
_PYTEST_ID: Final = (r"(?:FAILED|ERROR) (\S+)")
_MAX_NAMES: Final = 3
_NAME_SCAN_CHARS: Final = 16 * 1024  # of the head and of the tail of a test run's output


@functools.lru_cache(maxsize=512)  # a session runs the same few commands again and again
def command_keys(command: str) -> tuple[str, ...]:
    """How a command is recognised when it runs again: its own key first (what a failure of it is filed
    under), then the key of each step of an `a && b` chain (a success of the chain is a success of each).

    A key leaves out a leading `cd`, output plumbing (`2>&1`, `| tail`) and spacing; a test runner or
    checker is `run:<tool>:<targets>`, any `git commit` is "git commit" (every commit retries the last).
    """
    text = " ".join(command.split())
    steps = [_step_key(step) for step in re.split(_CHAIN, text)]
    steps = [step for step in steps if step and not step.startswith("cd ")]
    primary = next((step for step in reversed(steps) if step.startswith(("run:", "git "))), None)
    if primary is None:
        primary = _step_key(re.sub(_CD_PREFIX, "", text)) or text
    return (primary, *[step for step in steps if step != primary])


def _step_key(step: str) -> str:
    git = re.search(_GIT_VERB, step)
    if git:
        return "git " + git.group(1)
    text = re.sub(_PLUMBING, "", re.sub(_CD_PREFIX, "", step))
    while (tail := re.search(_PIPE_TAIL, text)) is not None:
        text = text[: tail.start()]
    text = re.sub(_PYTHON, "python", text)
    test = runner_and_targets(text)
    return f"run:{test[0]}:{' '.join(test[1])}" if test else text.strip()


@functools.cache
def _test_runners() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((runner, re.compile(pattern + _ARGS)) for runner, pattern in _TEST_RUNNER_PATTERNS)


@functools.cache
def _failing_test() -> re.Pattern[str]:
    return re.compile(_FAILING_TEST_PATTERN)


def runner_and_targets(command: str) -> tuple[str, tuple[str, ...]] | None:
    """(tool, targets) when `command` runs tests or a checker; no targets means the whole project."""
    if re.search(_ANY_RUNNER, command) is None:
        return None
    for runner, pattern in _test_runners():
        found = pattern.search(command)
        if found:
            words = found.group("args").split()
            return runner, tuple(w.strip("'\"") for w in words if not w.startswith("-") and w not in _NOT_TARGETS)
    return None


def covers(targets: tuple[str, ...], key: str, failure: FailedTool) -> bool:
    """Whether a passing run of `targets` shows that the test failure under `key` is fixed."""
    if not targets:
        return True
    failed, ids = _failed_tests(key, failure.names)
    return bool(failed) and all(t.startswith(targets) for t in failed) or (
        bool(ids) and all(i.startswith(targets) for i in ids))


@functools.lru_cache(maxsize=1024)
def _failed_tests(key: str, names: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The targets a failed run named, and the pytest ids of its failures (when every name is one)."""
    ids = tuple(m.group(1) for m in (re.match(_PYTEST_ID, name) for name in names) if m)
    return tuple(key.split(":", 2)[2].split()), ids if len(ids) == len(names) else ()


def failing_test_names(text: str) -> tuple[str, ...]:
    """Up to three failing tests, as the runner printed them (`FAILED tests/x.py::test_y`, `not ok 3 - y`)."""
    if len(text) <= 2 * _NAME_SCAN_CHARS:
        lines = _marked_lines(text, from_end=False)
    else:  # the head (unittest, TAP) and the tail (pytest's summary) of a long output, each read from its edge
        lines = _marked_lines(text[:_NAME_SCAN_CHARS], from_end=False) + _marked_lines(
            text[-_NAME_SCAN_CHARS:], from_end=True)
    names: dict[str, None] = {}
    for line in lines:
        found = _failing_test().match(line)
        if found:
            names[clip(found.group(0), 160)] = None
            if len(names) >= _MAX_NAMES:
                break
    return tuple(names)


def _marked_lines(text: str, *, from_end: bool) -> list[str]:
    """The stripped lines of `text` holding a marker, in order: at most _MAX_CANDIDATE_LINES per marker, the
    first ones or (`from_end`) the last ones. str.find is far faster than a regex over the text."""
    starts: set[int] = set()
    for marker in _FAILING_TEST_MARKERS:
        at = text.rfind(marker) if from_end else text.find(marker)
        for _ in range(_MAX_CANDIDATE_LINES):
            if at < 0:
                break
            start = text.rfind("\n", 0, at) + 1
            starts.add(start)
            if from_end:
                at = text.rfind(marker, 0, max(start - 1, 0))
            else:
                line_end = text.find("\n", at)
                at = text.find(marker, line_end) if line_end >= 0 else -1
    lines = []
    for start in sorted(starts):
        end = text.find("\n", start)
        lines.append(text[start: end if end >= 0 else len(text)].strip())
    return lines


def take_git_output(text: str, summary: Summary) -> None:
    for found in re.finditer(_COMMIT_LINE, text[:_GIT_SCAN_CHARS]):
        summary.commits.append(Commit(found.group(2), clip(found.group(3).strip(), MAX_SUBJECT_CHARS)))
    remote = re.search(_PUSH_REMOTE, text[:_GIT_SCAN_CHARS])
    for found in re.finditer(_PUSH_REF, text[:_GIT_SCAN_CHARS]):
        where = f" ({clip(remote.group(1), 200)})" if remote else ""
        summary.pushes.append(clip(f"{found.group(1)} -> {found.group(2)}{where}", 300))
