"""Flow context and scalars: `[...]` and `{...}`, plain scalars over several lines, quoted strings."""

from __future__ import annotations

import re
from typing import Any

from sfp.config.miniyaml.scalars import resolve_plain
from sfp.config.miniyaml.source import (
    ANCHOR_MESSAGE,
    BLANKS,
    COLLECTION_KEY_MESSAGE,
    COMPLEX_KEY_MESSAGE,
    DIRECTIVE_MESSAGE,
    DOUBLE_QUOTED_RUN,
    ESCAPES,
    FLOW_INDICATORS,
    HEX_DIGITS,
    HEX_ESCAPE_LENGTHS,
    MAX_KEY_LENGTH,
    NOT_PLAIN_START,
    PLAIN_LINE_BLOCK,
    PLAIN_LINE_FLOW,
    SIMPLE_QUOTED,
    SINGLE_QUOTED_RUN,
    TAB_MESSAGE,
    TAG_MESSAGE,
    Failure,
    Path_,
    column,
    ends_token,
    is_document_marker,
    line_and_column,
    skip_flow_gap,
    skip_spaces,
)


def parse_flow_collection(src: str, pos: int, path: Path_, located: dict[Path_, int]) -> tuple[int, Any]:
    if src[pos] == "[":
        return parse_flow_sequence(src, pos, path, located)
    return parse_flow_mapping(src, pos, path, located)


def parse_flow_sequence(src: str, pos: int, path: Path_, located: dict[Path_, int]) -> tuple[int, list[Any]]:
    """`[a, b, c]`, where an item may be a single `key: value` pair (a one-entry mapping)."""
    items: list[Any] = []
    start = pos
    pos = skip_flow_gap(src, pos + 1)
    while True:
        if pos >= len(src):
            raise Failure(start, "this '[' is never closed")
        if src[pos] == "]":
            return pos + 1, items
        item_path = (*path, len(items))
        located[item_path] = pos
        item_start = pos
        pos, item = parse_flow_node(src, pos, item_path, located)
        pos = skip_flow_gap(src, pos)
        if src.startswith(":", pos):
            check_flow_key(src, item_start, pos, start)
            pos, value = parse_flow_pair_value(src, pos + 1, "]", (*item_path, item), located)
            located[(*item_path, item)] = item_start
            item = {item: value}
        items.append(item)
        pos = flow_entry_end(src, pos, start, "]")


def parse_flow_mapping(src: str, pos: int, path: Path_, located: dict[Path_, int]) -> tuple[int, dict[Any, Any]]:
    """`{a: 1, b: 2}`; a key without ':' has the value None."""
    mapping: dict[Any, Any] = {}
    start = pos
    pos = skip_flow_gap(src, pos + 1)
    while True:
        if pos >= len(src):
            raise Failure(start, "this '{' is never closed")
        if src[pos] == "}":
            return pos + 1, mapping
        key_pos = pos
        if src[pos] in "[{":
            raise Failure(pos, COLLECTION_KEY_MESSAGE)
        pos, key = parse_flow_node(src, pos, path, located)
        key_path = (*path, key)
        if key in mapping:
            first_line = line_and_column(src, located[key_path])[0]
            raise Failure(key_pos, f"duplicate key {key!r} (first on line {first_line})")
        pos = skip_flow_gap(src, pos)
        if src.startswith(":", pos):
            check_flow_key(src, key_pos, pos, start)
            pos, value = parse_flow_pair_value(src, pos + 1, "}", key_path, located)
        else:
            value = None
        located[key_path] = key_pos
        mapping[key] = value
        pos = flow_entry_end(src, pos, start, "}")


def check_flow_key(src: str, key_pos: int, colon: int, opening: int) -> None:
    """Refuse what PyYAML would not read as a key before the ':' at `colon`, inside the
    collection opened at `opening`."""
    if src[key_pos] in "[{":
        raise Failure(key_pos, COLLECTION_KEY_MESSAGE)
    if src.find("\n", key_pos, colon) >= 0:
        line = line_and_column(src, opening)[0]
        raise Failure(
            colon, f"a key and its ':' must be on one line (is the '{src[opening]}' on line {line} left open?)"
        )
    if colon - key_pos > MAX_KEY_LENGTH:
        raise Failure(key_pos, f"a key may have at most {MAX_KEY_LENGTH} characters")


def parse_flow_pair_value(
    src: str, pos: int, closing: str, path: Path_, located: dict[Path_, int]
) -> tuple[int, Any]:
    """The value after a ':' in flow context (None when ',' or the closing bracket follows)."""
    pos = skip_flow_gap(src, pos)
    if pos >= len(src) or src[pos] == "," or src[pos] == closing:
        return pos, None
    pos, value = parse_flow_node(src, pos, path, located)
    return skip_flow_gap(src, pos), value


def flow_entry_end(src: str, pos: int, start: int, closing: str) -> int:
    """After an entry: past its ',' (to the next entry), or at the closing bracket."""
    if pos >= len(src):
        raise Failure(start, f"this '{src[start]}' is never closed")
    if src[pos] == ",":
        return skip_flow_gap(src, pos + 1)
    if src[pos] == closing:
        return pos
    raise Failure(pos, f"expected ',' or '{closing}' here")


def parse_flow_node(src: str, pos: int, path: Path_, located: dict[Path_, int]) -> tuple[int, Any]:
    """A scalar or a nested collection inside [ ] or { }."""
    char = src[pos]
    if char == "[" or char == "{":
        return parse_flow_collection(src, pos, path, located)
    if char == "'" or char == '"':
        end, text, _ = parse_quoted(src, pos)
        return end, text
    check_plain_start(src, pos, flow=True)
    end = match_end(re.compile(PLAIN_LINE_FLOW), src, pos)
    end, text = parse_plain_continuation(src, pos, end, -1, flow=True)
    return end, resolve_plain(pos, text)


# -- scalars ----------------------------------------------------------------------------


def check_plain_start(src: str, pos: int, flow: bool) -> None:
    """Raise the right message when `pos` can't start a plain scalar."""
    char = src[pos]
    if char not in NOT_PLAIN_START:
        return
    next_is_text = not ends_token(src, pos + 1)
    if next_is_text and (char == "-" or (char in "?:" and not flow)):
        return
    raise Failure(pos, cannot_start_message(src, pos, flow))


def cannot_start_message(src: str, pos: int, flow: bool) -> str:
    char = src[pos]
    if char in "&*":
        return ANCHOR_MESSAGE
    if char == "!":
        return TAG_MESSAGE
    if char == "?":
        return COMPLEX_KEY_MESSAGE
    if char == "\t":
        return TAB_MESSAGE
    if char == "%" and column(src, pos) == 0:
        return DIRECTIVE_MESSAGE
    if char == ":":
        return "a ':' with no key before it"
    if flow and char == "-":
        return "a '- ' list item inside [ ] or { }; separate items with ','"
    if flow and char in "|>":
        return "block scalars (| and >) can't be inside [ ] or { }"
    if char in FLOW_INDICATORS:
        return f"unexpected '{char}'" + ("" if flow else "; quote the value if it starts with it")
    return f"a plain value can't start with '{char}'; quote the value"


def match_end(pattern: re.Pattern[str], src: str, pos: int) -> int:
    found = pattern.match(src, pos)
    return found.end() if found else pos


def parse_plain_continuation(src: str, start: int, end: int, indent: int, flow: bool) -> tuple[int, str]:
    """The plain scalar whose first line is src[start:end], with the lines that continue it.

    A line continues it when it is indented more than `indent` (any indentation in flow
    context) and is not a comment or a document marker; one line break folds into a
    space, n+1 line breaks into n newlines.
    """
    n = len(src)
    line_pattern = re.compile(PLAIN_LINE_FLOW) if flow else PLAIN_LINE_BLOCK
    parts = [src[start:end]]
    while True:
        pos = skip_spaces(src, end)
        if pos >= n or src[pos] != "\n":
            break
        pos += 1
        breaks = 0
        while not is_document_marker(src, pos):
            pos = skip_spaces(src, pos)
            if pos >= n or src[pos] != "\n":
                break
            breaks += 1
            pos += 1
        if pos >= n or src[pos] == "#" or is_document_marker(src, pos):
            break
        if not flow and column(src, pos) <= indent:
            break
        line = line_pattern.match(src, pos)
        if line is None:
            break
        parts.append("\n" * breaks if breaks else " ")
        parts.append(line.group())
        end = line.end()
    return end, "".join(parts)


def parse_quoted(src: str, pos: int) -> tuple[int, str, bool]:
    """A 'single' or "double" quoted scalar: (position after it, its text, whether it spans lines)."""
    simple = SIMPLE_QUOTED.match(src, pos)
    if simple:
        return simple.end(), simple.group(1) or simple.group(2) or "", False
    n = len(src)
    quote = src[pos]
    run = re.compile(SINGLE_QUOTED_RUN if quote == "'" else DOUBLE_QUOTED_RUN)
    chunks: list[str] = []
    multiline = False
    end = pos + 1
    while True:
        found = run.match(src, end)
        if found:
            chunks.append(found.group())
            end = found.end()
        if end >= n:
            raise Failure(pos, f"this {quote} quoted string is never closed")
        char = src[end]
        if char == quote:
            if quote == "'" and src.startswith("''", end):
                chunks.append("'")
                end += 2
                continue
            return end + 1, "".join(chunks), multiline
        if char == "\\":
            end, text, crossed = parse_escape(src, end, pos)
            chunks.append(text)
            multiline = multiline or crossed
            continue
        blanks_end = match_end(re.compile(BLANKS), src, end)
        if blanks_end >= n:
            raise Failure(pos, f"this {quote} quoted string is never closed")
        if src[blanks_end] != "\n":
            chunks.append(src[end:blanks_end])
            end = blanks_end
            continue
        end, breaks = quoted_line_breaks(src, blanks_end + 1)
        chunks.append("\n" * breaks if breaks else " ")
        multiline = True


def parse_escape(src: str, pos: int, quote_pos: int) -> tuple[int, str, bool]:
    """The escape at src[pos] == '\\' in double quotes: (position after it, its text, whether it ended a line)."""
    code = src[pos + 1 : pos + 2]
    if code in ESCAPES:
        return pos + 2, ESCAPES[code], False
    if code in HEX_ESCAPE_LENGTHS:
        length = HEX_ESCAPE_LENGTHS[code]
        digits = src[pos + 2 : pos + 2 + length]
        if len(digits) < length or not HEX_DIGITS.issuperset(digits):
            raise Failure(pos, f"\\{code} must be followed by {length} hexadecimal digits")
        number = int(digits, 16)
        if number > 0x10FFFF:
            raise Failure(pos, f"\\{code}{digits} is beyond the last Unicode character U+10FFFF")
        return pos + 2 + length, chr(number), False
    if code == "\n":
        end, breaks = quoted_line_breaks(src, pos + 2)
        return end, "\n" * breaks, True
    if not code:
        raise Failure(quote_pos, 'this " quoted string is never closed')
    raise Failure(pos, f"unknown escape \\{code}" if code.isprintable() else "unknown escape")


def quoted_line_breaks(src: str, pos: int) -> tuple[int, int]:
    """After a line break inside quotes: (where the text goes on, how many blank lines were skipped)."""
    n = len(src)
    breaks = 0
    while True:
        if is_document_marker(src, pos):
            raise Failure(pos, "a document marker (--- or ...) inside a quoted string; indent the line")
        pos = match_end(re.compile(BLANKS), src, pos)
        if pos >= n or src[pos] != "\n":
            return pos, breaks
        breaks += 1
        pos += 1
