"""The one secret table put together: provider rows and the other rows, their triggers, anchors and examples.

Provider specs (secret_providers.py) become rows here; a prefix becomes a trigger (for the cheap
pre-check) and an anchor: the prefix's first byte that is one of a few anchor bytes, the literal rest
of it, a few body characters, then a look-behind for the whole prefix. Anchors of one first byte are
merged into one byte regex, so the scanner makes one pass over a file per distinct first byte.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from typing import Final

from sfp.infra.secret_providers import PROVIDERS, Spec
from sfp.infra.secret_rules import CORE_ROWS, Row

# The bytes a pass over a file starts from, rarest first in source code (counted over a Python tree): a pass costs
# about a scan of memory, plus a little per occurrence of its byte, so a prefix is anchored on the first of these
# it holds. Lowercase letters are searched in the text lowercased, the other bytes in the text as it is.
ANCHOR_BYTES: Final = "~/-Akp._ac"
_LOWERCASE_PASSES: Final = frozenset("kpac")
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
    """(lowercase?, anchor byte, literal rest) for a token prefix: its rarest anchor byte, one with a rest if it can."""
    choices = []
    for rank, byte in enumerate(ANCHOR_BYTES):
        lowercase = byte in _LOWERCASE_PASSES
        if lowercase or not (ignore_case and byte.isalpha()):
            text = prefix.lower() if lowercase else prefix
            # A rest that is not empty rejects the byte's other occurrences in one comparison.
            choices += [(at == len(prefix) - 1, rank, at, lowercase) for at, c in enumerate(text) if c == byte]
    if not choices:
        raise ValueError(f"no anchor byte in the prefix {prefix!r}")
    _, _, at, lowercase = min(choices)
    text = prefix.lower() if lowercase else prefix
    return lowercase, text[at], text[at + 1:]


_Item = tuple[int, bytes, bytes]  # the item's place in the table, its literal start, the regex after it


def merge_anchors(rows: Iterable[Row]) -> tuple[Anchor, ...]:
    """The rows' anchors merged by first byte: one pass over a text per distinct first byte."""
    grouped: dict[tuple[bool, bytes], list[_Item]] = {}
    by_rest: dict[tuple[bool, str, str], set[str]] = {}
    places = itertools.count()
    for row in rows:
        for lowercase, sources in ((False, row.anchors), (True, row.lower_anchors)):
            for source in sources:
                grouped.setdefault((lowercase, source[:1]), []).append((next(places), *split_literal(source[1:])))
        for prefix in row.prefixes:
            lowercase, byte, rest = prefix_anchor(prefix, row.ignore_case)
            by_rest.setdefault((lowercase, byte, rest), set()).add(prefix.lower() if lowercase else prefix)
    for (lowercase, first_char, rest), prefixes in sorted(by_rest.items()):
        grouped.setdefault((lowercase, first_char.encode()), []).append(
            (1 << 30, rest.encode(), _prefix_tail(prefixes, first_char + rest, lowercase)))
    merged = []
    for (lowercase, first), items in grouped.items():
        # A leading literal lets the regex engine jump from one `first` byte to the next.
        merged.append(Anchor(first, re.compile(re.escape(first) + _trie(items)), lowercase))
    return tuple(merged)


def split_literal(source: bytes) -> tuple[bytes, bytes]:
    """A byte regex as (the literal it starts with, the rest of the regex)."""
    literal, at = bytearray(), 0
    while at < len(source):
        char = source[at:at + 1]
        if char == b"\\" and at + 1 < len(source) and not source[at + 1:at + 2].isalnum():
            char, width = source[at + 1:at + 2], 2
        elif char in b".^$*+?{}[]()|\\":
            break
        else:
            width = 1
        if source[at + width:at + width + 1] in (b"*", b"+", b"?", b"{"):
            break  # the byte is quantified: it belongs to the regex
        literal += char
        at += width
    return bytes(literal), source[at:]


def _trie(items: list[_Item]) -> bytes:
    """Alternatives (place, literal, tail) as a trie on their literals: at each byte the engine tests one
    literal per distinct next byte and goes on into one branch, not into every alternative."""
    entries: list[tuple[int, bytes]] = []
    by_byte: dict[int, list[_Item]] = {}
    for place, literal, tail in items:
        if literal:
            by_byte.setdefault(literal[0], []).append((place, literal[1:], tail))
        else:
            entries.append((place, tail))
    # Kept in table order where one alternative's literal starts another's: the first that matches gives the span.
    entries += [(group[0][0], re.escape(bytes([byte])) + _trie(group)) for byte, group in by_byte.items()]
    parts = list(dict.fromkeys(regex for _, regex in sorted(entries, key=lambda entry: entry[0])))
    return b"(?:" + b"|".join(parts) + b")"


def _prefix_tail(prefixes: set[str], anchored: str, lowercase: bool) -> bytes:
    """What follows `anchored` (the anchor byte and the rest of the prefix): a look-behind for the whole prefix,
    then a few body characters. A prefix that is `anchored` itself needs no look-behind."""
    body = (_LOWER_BODY if lowercase else _BODY) + b"{%d}" % _BODY_LENGTH
    if anchored in prefixes:
        return body
    by_length: dict[int, list[str]] = {}
    for prefix in sorted(prefixes):
        by_length.setdefault(len(prefix), []).append(prefix)
    # One look-behind per prefix length (a look-behind has one width), after a one-byte guard that most
    # occurrences of the anchor fail: engines test a look-behind per occurrence when the rest is empty.
    before = sorted({p[-len(anchored) - 1] for p in prefixes})
    guard = b"(?<=[" + b"".join(re.escape(c.encode()) for c in before) + b"]" + re.escape(anchored.encode()) + b")"
    behind = b"|".join(b"(?<=" + b"|".join(re.escape(p.encode()) for p in group) + b")"
                       for _, group in sorted(by_length.items()))
    return guard + b"(?:" + behind + b")" + body


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


# --- the pre-check's literals, kept in sfp/infra/secret_triggers.py -------------------------------------------


def derived_triggers() -> tuple[str, ...]:
    """The substrings one of which every match of the table holds, lowercased, none holding another."""
    from sfp.infra.secret_rules import CORE_ROWS

    found = [*provider_triggers(), *(t for row in CORE_ROWS for t in row.triggers)]
    unique = sorted(set(found), key=lambda t: (len(t), t))
    return tuple(t for i, t in enumerate(unique) if not any(u in t for u in unique[:i]))


def derived_shapes() -> str:
    """The one regex for the rows whose tokens hold no literal to trigger on."""
    from sfp.infra.secret_rules import CORE_ROWS

    return "|".join(row.shape for row in CORE_ROWS if row.shape) or "(?!)"


def trigger_module_text() -> str:
    """sfp/infra/secret_triggers.py as the rows say it should read (a test compares; `write_trigger_module()`
    rewrites it after a change to the rows)."""
    items = [repr(t) for t in derived_triggers()]
    lines = "".join(f"    {', '.join(items[i:i + 12])},\n" for i in range(0, len(items), 12))
    return (
        '"""The secret table\'s pre-check, as literals: what `may_hold_secret` looks for without importing the\n'
        "table (every hook logs, and a clean line must cost a few substring scans, not the table's import).\n"
        "Written by `sfp.infra.secret_table.write_trigger_module()` from the rows; tests/infra/test_redact.py\n"
        'checks it still matches them."""\n\n'
        "from typing import Final\n\n"
        f"TRIGGERS: Final = (\n{lines})\n"
        f"SHAPES: Final = {derived_shapes()!r}\n"
    )


def write_trigger_module() -> None:
    from pathlib import Path

    Path(__file__).with_name("secret_triggers.py").write_text(trigger_module_text(), encoding="utf-8")
