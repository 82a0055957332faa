"""Secret shapes, and the redaction every stored, logged or shown text goes through.

One table of rows serves both redaction (mask what matched) and the secrets gate
(`sfp scan-secrets`, report what matched), so the two can never disagree. The rows live in
secret_providers.py (providers' token formats) and secret_rules.py (keys, URLs, headers, command
lines, assignments), put together by secret_table.py; whether a match is a real value and not a
placeholder or code is secret_sense.py's to say. This module is the API: a text is lowercased and
searched for each row's triggers first, and only the rows whose trigger is there are compiled and run.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from sfp.infra.record import Record

if TYPE_CHECKING:
    from sfp.infra.secret_rules import Row
    from sfp.infra.secret_table import Anchor

MASK: Final = "***"


class SecretPattern(Record):
    kind: str
    regex: re.Pattern[str]
    group: int  # the group holding the secret value; 0 = the whole match


def _rows() -> tuple[Row, ...]:
    global _ROWS
    if _ROWS is None:
        from sfp.infra.secret_table import build_rows

        _ROWS = build_rows()
    return _ROWS


_ROWS: tuple[Row, ...] | None = None
# Compiled rows by position in the table, each on first use: most log lines never need any, and every hook writes one.
_PATTERNS: list[SecretPattern | None] | None = None


def kinds() -> list[str]:
    """Every kind of the table, in its order, without compiling anything."""
    return list(dict.fromkeys(row.kind for row in _rows()))


def examples() -> dict[str, str]:
    """Kind -> a text holding one sample of that kind: what tests plant to check that each kind is caught."""
    from sfp.infra.secret_table import fill

    return {row.kind: fill(row.example, row.kind) for row in _rows()}


def patterns() -> tuple[SecretPattern, ...]:
    """The whole table compiled."""
    return tuple(_pattern(i) for i in range(len(_rows())))


def _pattern(index: int) -> SecretPattern:
    global _PATTERNS
    if _PATTERNS is None:
        _PATTERNS = [None] * len(_rows())
    compiled = _PATTERNS[index]
    if compiled is None:
        row = _rows()[index]
        # ASCII: secrets are ASCII, and the byte anchors then see exactly what the text patterns see.
        regex = re.compile(row.pattern, re.ASCII | (re.IGNORECASE if row.ignore_case else 0))
        group = regex.groupindex[row.group] if isinstance(row.group, str) else row.group
        compiled = _PATTERNS[index] = SecretPattern(row.kind, regex, group)
    return compiled


def anchors() -> tuple[Anchor, ...]:
    """The rows' anchors merged by first byte: one pass over a text per distinct first byte."""
    global _ANCHORS
    if _ANCHORS is None:
        from sfp.infra.secret_table import merge_anchors

        _ANCHORS = merge_anchors(_rows())
    return _ANCHORS


_ANCHORS: tuple[Anchor, ...] | None = None


def _triggers() -> tuple[str, ...]:
    # A literal module, not derived from the rows here: a clean log line must not import the table.
    from sfp.infra.secret_triggers import TRIGGERS

    return TRIGGERS


def _shapes() -> re.Pattern[str]:
    """One small regex for the rows whose tokens hold no literal to trigger on (compiled on first use)."""
    global _SHAPES
    if _SHAPES is None:
        from sfp.infra.secret_triggers import SHAPES

        _SHAPES = re.compile(SHAPES, re.ASCII)
    return _SHAPES


_SHAPES: re.Pattern[str] | None = None


def may_hold_secret(text: str) -> bool:
    """False only when `text` can't match any row of the table: a few substring scans and one small regex."""
    lowered = text.lower()
    return any(trigger in lowered for trigger in _triggers()) or _shapes().search(text) is not None


class SecretMatch(Record):
    kind: str
    start: int  # span of the secret value itself
    end: int


def find_secrets(text: str, *, stand_ins: bool = False) -> list[SecretMatch]:
    """Every secret value in `text`, leftmost first, overlaps merged into one (named by the earlier row).

    What the scanner reports. Values that read as stand-ins (`ghp_xxxx`, `...EXAMPLE`, `123456`, sequences,
    postgres:postgres@) are left out, unless `stand_ins`: redaction masks those too, as a stand-in costs
    nothing to mask and a real secret that merely looks like one must never be stored.
    """
    lowered = text.lower()
    shaped = _shapes().search(text) is not None
    if not shaped and not any(trigger in lowered for trigger in _triggers()):
        return []
    found: list[tuple[int, int, int]] = []  # start, end, row
    rows = _rows()
    for index in _rows_to_run(lowered, shaped):
        found += _matches_of(index, rows[index], text, not stand_ins)
    found.sort(key=lambda m: (m[0], -m[1]))
    merged: list[list[int]] = []
    for start, end, index in found:
        if merged and start < merged[-1][1]:
            # Overlapping: one span covering both, so the part past the first (a key body) is masked too.
            last = merged[-1]
            last[1], last[2] = max(last[1], end), min(last[2], index)
            continue
        merged.append([start, end, index])
    return [SecretMatch(rows[index].kind, start, end) for start, end, index in merged]


def _rows_to_run(lowered: str, shaped: bool) -> list[int]:
    """The rows one of whose triggers is in `lowered` (and the shape rows when `shaped`), in table order."""
    groups, shape_rows = _trigger_groups()
    # A substring test per group's first two letters, and per trigger only in the groups whose pair is there:
    # the scanner asks this for every region it decodes.
    chosen = {index for pair, members in groups if pair in lowered
              for trigger, indices in members if trigger in lowered for index in indices}
    if shaped:
        chosen.update(shape_rows)
    return sorted(chosen)


_Members = tuple[tuple[str, tuple[int, ...]], ...]  # triggers and the rows each stands for


def _trigger_groups() -> tuple[tuple[tuple[str, _Members], ...], tuple[int, ...]]:
    global _TRIGGER_GROUPS
    if _TRIGGER_GROUPS is None:
        by_trigger: dict[str, list[int]] = {}
        for index, row in enumerate(_rows()):
            for trigger in row.triggers:
                by_trigger.setdefault(trigger, []).append(index)
        groups = [(pair, tuple((t, tuple(by_trigger[t])) for t in members))
                  for pair, members in _pair_cover(list(by_trigger))]
        _TRIGGER_GROUPS = tuple(groups), tuple(i for i, row in enumerate(_rows()) if row.shape)
    return _TRIGGER_GROUPS


def _pair_cover(triggers: list[str]) -> list[tuple[str, list[str]]]:
    """Triggers grouped under their first two letters (a few dozen groups for the table's 186 triggers)."""
    groups: dict[str, list[str]] = {}
    for trigger in triggers:
        groups.setdefault(trigger[:2], []).append(trigger)
    return list(groups.items())


_TRIGGER_GROUPS: tuple[tuple[tuple[str, _Members], ...], tuple[int, ...]] | None = None


def _matches_of(index: int, row: Row, text: str, strict: bool) -> list[tuple[int, int, int]]:
    pattern = _pattern(index)
    found = []
    pos = 0
    while (match := pattern.regex.search(text, pos)) is not None:
        start, end = match.span(pattern.group)
        if start < end and _plausible(row, match, text[start:end], strict):
            found.append((start, end, index))
            pos = match.end()
        else:
            # A refused match may hold a real one: TOKEN_URL = "https://x/cb?token=..." with a real value.
            pos = max(start, match.start() + 1)
    return found


def _plausible(row: Row, match: re.Match[str], value: str, strict: bool) -> bool:
    from sfp.infra import secret_sense

    if secret_sense.is_placeholder(value) or strict and secret_sense.looks_fake(value.strip("'\"`")):
        return False
    if row.check is None:
        return True
    groups = {k: v for k, v in match.groupdict().items() if v is not None}
    groups["0"] = match.group(0)
    if strict:
        groups["strict"] = "1"
    return row.check(groups)


def redact(text: str, *, keep_lines: bool = False) -> str:
    """`text` with every secret value replaced by `***` (stand-ins too: see `find_secrets`). With
    `keep_lines`, a mask over several lines (a key block) keeps their line breaks, so what is read
    line by line afterwards (a context file's items) keeps its line numbers and never sees a body line."""
    matches = find_secrets(text, stand_ins=True)
    if not matches:
        return text
    parts: list[str] = []
    last = 0
    for match in matches:
        parts.append(text[last:match.start])
        parts.append(MASK + "\n" * text.count("\n", match.start, match.end) if keep_lines else MASK)
        last = match.end
    parts.append(text[last:])
    return "".join(parts)


def mask_value(value: str) -> str:
    """A shown-but-harmless form of a secret: its first 4 characters, then the mask."""
    stripped = value.strip("'\"")
    return (stripped[:4] + MASK) if len(stripped) > 8 else MASK


def name_words(name: str) -> list[str]:
    """`self.apiKey` -> [self, api, key]; `DB_PASSWORD` -> [db, password]; lowercased."""
    from sfp.infra.secret_sense import name_words as words

    return words(name)
