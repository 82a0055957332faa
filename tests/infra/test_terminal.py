"""Color and emoji only on a terminal, never with NO_COLOR; plain words otherwise."""

from __future__ import annotations

import io
import os

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
