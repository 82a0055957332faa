"""A formatter for the auto-fix end-to-end tests: rewrites the file named last on its command line.

Writes `todo:` markers as `TODO:`, turns runs of blank lines into one, strips trailing spaces and
tabs, and ends the file with exactly one newline. Prints nothing. (The client itself strips trailing
whitespace from what a Write puts in a .txt file, so the tests look for the other changes.) The tests
copy it into the sandbox with a `#!` line naming their Python, executable, and configure its path.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path


def formatted(text: str) -> str:
    lines = [re.sub(r"\btodo:", "TODO:", line.rstrip(" \t"), flags=re.IGNORECASE) for line in text.splitlines()]
    kept: list[str] = []
    for line in lines:
        if line or (kept and kept[-1]):
            kept.append(line)
    while kept and not kept[-1]:
        kept.pop()
    return "\n".join(kept) + "\n"


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: e2e_formatter.py FILE", file=sys.stderr)
        return 2
    path = Path(argv[-1])
    path.write_text(formatted(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
