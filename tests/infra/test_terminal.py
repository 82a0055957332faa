"""Color and emoji only on a terminal, never with NO_COLOR; plain words otherwise."""

from __future__ import annotations

import io
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

from conftest import SfpRunner
from helpers import ROOT, clean_env
from sfp.infra.terminal import MARKS, Terminal, terminal_for


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


class Closed(io.StringIO):
    def isatty(self) -> bool:
        raise ValueError("I/O operation on closed file")


def test_a_terminal_without_no_color_gets_both() -> None:
    assert terminal_for(FakeTty(), {}) == Terminal(color=True, emoji=True)


def test_a_pipe_gets_neither() -> None:
    assert terminal_for(io.StringIO(), {}) == Terminal.plain()


def test_no_color_with_any_non_empty_value_turns_both_off() -> None:
    for value in ("1", "0", "false", "yes"):
        assert terminal_for(FakeTty(), {"NO_COLOR": value}) == Terminal.plain()


def test_an_empty_no_color_is_as_if_unset() -> None:
    assert terminal_for(FakeTty(), {"NO_COLOR": ""}) == Terminal(color=True, emoji=True)


def test_a_dumb_terminal_gets_emoji_but_no_escapes() -> None:
    assert terminal_for(FakeTty(), {"TERM": "dumb"}) == Terminal(color=False, emoji=True)


def test_a_closed_stream_is_not_a_terminal() -> None:
    assert terminal_for(Closed(), {}) == Terminal.plain()


def test_the_environment_defaults_to_the_process_one() -> None:
    assert terminal_for(FakeTty()).emoji is not bool(os.environ.get("NO_COLOR"))


def test_plain_marks_are_words_of_one_width_and_hold_no_emoji() -> None:
    plain = Terminal.plain()
    words = [plain.mark(kind) for kind in MARKS]
    assert {len(w) for w in words} == {4}
    assert plain.mark("ok").strip() == "ok" and plain.mark("fail") == "FAIL" and plain.mark("warn") == "WARN"
    assert all(word.isascii() for word in words)


def test_fancy_marks_are_the_emoji() -> None:
    fancy = Terminal(color=True, emoji=True)
    assert fancy.mark("ok") == "✅" and fancy.mark("fail") == "❌" and fancy.mark("warn").startswith("⚠️")


def test_icon_and_paint_follow_the_decision() -> None:
    assert Terminal.plain().icon("📊") == "" and Terminal.plain().icon("🧹", "* ") == "* "
    assert Terminal(color=False, emoji=True).icon("📊") == "📊 "
    assert Terminal.plain().paint("failed", "red") == "failed"
    assert Terminal(color=True, emoji=False).paint("failed", "red") == "\033[31mfailed\033[0m"


# --- through the CLI: a pipe, a pseudo-terminal, and NO_COLOR on it ---------------------------------------------

EMOJI = re.compile("[\u2139\u23e9-\u23fa\u2600-\u27bf\ufe0f\U0001f300-\U0001faff]")
SGR = re.compile(r"\x1b\[[0-9;]*m")  # a color or style escape (cursor moves are not color)


def lived_in(sfp: SfpRunner, claude_dir: Path, project: Path) -> None:
    """Something for every command to mark: a failing gate, a warning, a backup, a KPI history."""
    (claude_dir / ".context").mkdir()
    (claude_dir / ".context" / "CLAUDE.md").write_text("# Identity\n- me\n")
    (claude_dir / ".context" / "rules.md").write_bytes(b"\x00binary")
    (project / "app.py").write_text("x = 1\n")
    (project / ".sfp").mkdir()
    (project / ".sfp" / "gates.yaml").write_text("tiers:\n  fast:\n    gates:\n      - name: broken\n"
                                                 "        command: 'exit 1'\n      - name: fine\n        command: 'true'\n")
    assert sfp("trust", str(project)).code == 0
    assert sfp("backup", "create", "--project", str(project)).code == 0
    assert sfp("gates", "--files", "app.py", "--project", str(project)).code == 1


COMMANDS = (("status",), ("health",), ("doctor", "--no-probe"), ("evidence",), ("kpi",), ("backup", "verify"),
            ("tags",), ("gates", "--files", "app.py"))


def on_a_terminal(args: tuple[str, ...], env: dict[str, str], cwd: Path) -> str:
    """What `sfp ARGS` writes to a pseudo-terminal as its stdout."""
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "sfp", *args], stdin=subprocess.DEVNULL, stdout=slave,
                                stderr=subprocess.DEVNULL, env={**env, "PYTHONPATH": str(ROOT)}, cwd=cwd)
    finally:
        os.close(slave)
    chunks = []
    try:
        while data := _read(master):
            chunks.append(data)
    finally:
        os.close(master)
        proc.wait(timeout=60)
    return b"".join(chunks).decode("utf-8", "replace")


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # EIO: the other side closed
        return b""


def test_a_pipe_gets_no_emoji_and_no_escapes(sfp: SfpRunner, claude_dir: Path, project: Path) -> None:
    lived_in(sfp, claude_dir, project)
    for args in COMMANDS:
        run = sfp(*args, cwd=project)
        assert run.out and not EMOJI.search(run.out) and "\x1b" not in run.out, (args, run.out)


def test_a_terminal_gets_emoji_and_color_and_no_color_takes_both_away(sfp: SfpRunner, claude_dir: Path,
                                                                     project: Path) -> None:
    lived_in(sfp, claude_dir, project)
    env = clean_env(claude_dir)
    for args in COMMANDS:
        fancy = on_a_terminal(args, env, project)
        assert EMOJI.search(fancy), (args, fancy)
        plain = on_a_terminal(args, {**env, "NO_COLOR": "1"}, project)
        assert plain.strip() and not EMOJI.search(plain) and not SGR.search(plain), (args, plain)
    assert SGR.search(on_a_terminal(("gates", "--files", "app.py"), env, project))  # the summary in red
