"""The one secret table put together: provider rows and the other rows, their triggers, anchors and examples.

Provider specs (secret_providers.py) become rows here; a prefix becomes a trigger (for the cheap
pre-check) and an anchor: the prefix's first byte that is one of a few anchor bytes, the literal rest
of it, a few body characters, then a look-behind for the whole prefix. Anchors of one first byte are
merged into one byte regex, so the scanner makes one pass over a file per distinct first byte.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from sfp.infra.secret_providers import PROVIDERS, Spec
from sfp.infra.secret_rules import CORE_ROWS, Row

# First bytes an anchor may start with: searched in the text as it is, and in the text lowercased.
EXACT_FIRST_BYTES: Final = "-_.:A~"
LOWER_FIRST_BYTES: Final = "akcp"
# What follows a prefix in every token the anchors stand for (at least this many characters of it).
_BODY: Final = rb"[A-Za-z0-9+/=_.~-]"
_LOWER_BODY: Final = rb"[a-z0-9+/=_.~-]"
_BODY_LENGTH: Final = 4
_BOUNDARY_BEFORE: Final = r"(?<![A-Za-z0-9_.])"
_BOUNDARY_AFTER: Final = r"(?![A-Za-z0-9_])"


def _provider_row(spec: Spec) -> Row:
    kind, token, prefixes, example, flags = spec
    pattern = f"{_BOUNDARY_BEFORE}(?P<value>{token}){_BOUNDARY_AFTER}"
    return Row(kind, pattern, "value", ignore_case="i" in flags, prefixes=prefixes, example=example)


def build_rows() -> tuple[Row, ...]:
    """Providers first: where a provider's token and a generic row match the same text, the provider names it."""
    return tuple(_provider_row(spec) for spec in PROVIDERS) + CORE_ROWS


def provider_triggers() -> Iterable[str]:
    """The pre-check's substrings for the providers, read from the specs without building rows."""
    for _, _, prefixes, _, _ in PROVIDERS:
        for prefix in prefixes:
            yield prefix.lower()


class Anchor:
    __slots__ = ("first", "regex", "lowercase")

    def __init__(self, first: bytes, regex: re.Pattern[bytes], lowercase: bool) -> None:
        self.first = first  # the literal byte every match starts with
        self.regex = regex
        self.lowercase = lowercase  # searched in the lowercased text


def prefix_anchor(prefix: str, ignore_case: bool) -> tuple[bool, str, str]:
    """(lowercase?, first byte, literal rest) for a token prefix: a rest that is not empty rejects faster."""
    choices = []
    if not ignore_case:
        choices += [(False, i) for i, c in enumerate(prefix) if c in EXACT_FIRST_BYTES]
    choices += [(True, i) for i, c in enumerate(prefix.lower()) if c in LOWER_FIRST_BYTES]
    if not choices:
        raise ValueError(f"no anchor byte in the prefix {prefix!r}")
    lowercase, at = min(choices, key=lambda choice: (choice[1] == len(prefix) - 1, choice[0], choice[1]))
    text = prefix.lower() if lowercase else prefix
    return lowercase, text[at], text[at + 1:]


def merge_anchors(rows: Iterable[Row]) -> tuple[Anchor, ...]:
    """The rows' anchors merged by first byte: one pass over a text per distinct first byte."""
    grouped: dict[tuple[bool, bytes], list[bytes]] = {}
    by_rest: dict[tuple[bool, str, str], set[str]] = {}
    for row in rows:
        for lowercase, sources in ((False, row.anchors), (True, row.lower_anchors)):
            for source in sources:
                grouped.setdefault((lowercase, source[:1]), []).append(source[1:])
        for prefix in row.prefixes:
            lowercase, byte, rest = prefix_anchor(prefix, row.ignore_case)
            by_rest.setdefault((lowercase, byte, rest), set()).add(prefix.lower() if lowercase else prefix)
    for (lowercase, first_char, rest), prefixes in sorted(by_rest.items()):
        grouped.setdefault((lowercase, first_char.encode()), []).append(_prefix_alternative(rest, prefixes, lowercase))
    merged = []
    for (lowercase, first), rests in grouped.items():
        # A leading literal lets the regex engine jump from one `first` byte to the next.
        source = re.escape(first) + b"(?:" + b"|".join(rests) + b")"
        merged.append(Anchor(first, re.compile(source), lowercase))
    return tuple(merged)


def _prefix_alternative(rest: str, prefixes: set[str], lowercase: bool) -> bytes:
    body = (_LOWER_BODY if lowercase else _BODY) + b"{%d}" % _BODY_LENGTH
    by_length: dict[int, list[str]] = {}
    for prefix in sorted(prefixes):
        by_length.setdefault(len(prefix), []).append(prefix)
    # One look-behind per prefix length (a look-behind must have one width), checked after the cheap body.
    behind = b"|".join(b"(?<=(?:" + b"|".join(re.escape(p.encode()) for p in group) + b").{%d})" % _BODY_LENGTH
                       for _, group in sorted(by_length.items()))
    return re.escape(rest.encode()) + body + b"(?:" + behind + b")"


# --- examples: generated fills, so no source file holds a token whole ----------------------------------------

_CLASSES: Final = {
    "a": "abcdefghijklmnopqrstuvwxyz0123456789", "A": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
    "h": "0123456789abcdef", "U": "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", "d": "0123456789",
    "l": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    "w": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-",
    "b": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", "B": "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L",
}
_FILL: Final = re.compile(r"\{([aAhUdlwbB])(\d+)\}")


def fill(template: str, seed: str) -> str:
    """`{A20}` -> 20 characters drawn from class A by a small generator seeded with `seed`: the same every time."""
    state = sum(ord(c) * 31 ** i for i, c in enumerate(seed)) % 2**31 or 1

    def draw(match: re.Match[str]) -> str:
        nonlocal state
        alphabet, out = _CLASSES[match.group(1)], []
        for _ in range(int(match.group(2))):
            state = (state * 1103515245 + 12345) % 2**31
            out.append(alphabet[(state >> 8) % len(alphabet)])
        # the word body ends in a letter: a trailing - or _ would read as the token going on
        if out and out[-1] in "-_":
            out[-1] = "q"
        return "".join(out)

    return _FILL.sub(draw, template)
