"""Whether the CLI's human output gets color and emoji, and the plain words it falls back to.

Color and emoji only when the stream is a terminal and NO_COLOR is unset or empty (no-color.org):
a pipe, a file or a CI log gets plain text that `grep` and a screen reader handle. Hook output is
not decided here: what Claude Code shows is not a terminal of ours.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import IO, Final

from sfp.infra.record import Record

# Plain words are four wide so columns line up as they do with the (two-column) emoji.
MARKS: Final = {
    "ok": ("✅", "ok  "),
    "fail": ("❌", "FAIL"),
    "warn": ("⚠️ ", "WARN"),
    "skip": ("⏭️ ", "SKIP"),
    "timeout": ("⏱️ ", "TIME"),
    "error": ("💥", "ERR "),
    "info": ("ℹ️ ", "info"),
    "none": ("➖", "-   "),
}
COLORS: Final = {"red": 31, "green": 32, "yellow": 33, "bold": 1, "dim": 2}


class Terminal(Record):
    """What one output stream can show. `Terminal.plain()` for anything that isn't a person's terminal."""

    color: bool
    emoji: bool

    @classmethod
    def plain(cls) -> Terminal:
        return cls(color=False, emoji=False)

    def mark(self, kind: str) -> str:
        """The status mark for `kind` (a key of MARKS): an emoji on a terminal, else a word."""
        fancy, word = MARKS.get(kind, ("?", "?   "))
        return fancy if self.emoji else word

    def icon(self, emoji: str, fallback: str = "") -> str:
        """A decorative emoji (📊, 🧹) followed by a space, or `fallback` where there are none."""
        return f"{emoji} " if self.emoji else fallback

    def paint(self, text: str, color: str) -> str:
        """`text` in `color` (a key of COLORS) when color is on, else unchanged."""
        if not self.color or not text:
            return text
        return f"\033[{COLORS[color]}m{text}\033[0m"


def terminal_for(stream: IO[str], environ: Mapping[str, str] = os.environ) -> Terminal:
    """Decide from the stream and the environment: both only on a TTY and never with NO_COLOR;
    color also not on TERM=dumb (a terminal that can't draw it)."""
    fancy = is_tty(stream) and not environ.get("NO_COLOR")
    return Terminal(color=fancy and environ.get("TERM") != "dumb", emoji=fancy)


def is_tty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (ValueError, OSError):  # a closed stream
        return False
