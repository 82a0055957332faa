"""Block context: mappings and sequences by indentation, block keys, `|` and `>` scalars."""

from __future__ import annotations

from typing import Any

from sfp.config.miniyaml.flow import (
    cannot_start_message,
    check_plain_start,
    match_end,
    parse_flow_collection,
    parse_plain_continuation,
    parse_quoted,
)
from sfp.config.miniyaml.scalars import resolve_plain
from sfp.config.miniyaml.source import (
    COLLECTION_KEY_MESSAGE,
    DIGITS,
    MAX_KEY_LENGTH,
    NOT_PLAIN_START,
    PLAIN_LINE_BLOCK,
    SPACES,
    TAB_MESSAGE,
    Failure,
    Path_,
    colon_follows,
    column,
    ends_token,
    finish_line,
    is_block_entry,
    is_document_marker,
    line_and_column,
    skip_gap,
    skip_spaces,
    text_after_value,
)


def parse_block_node(
    src: str, pos: int, indent: int, compact: bool, path: Path_, located: dict[Path_, int]
) -> tuple[int, Any]:
    """The node starting at `pos`; returns the next token's position and the value.

    `indent` is the column of the innermost block collection around the node (-1 at
    the top): a multi-line plain scalar continues on lines indented more than it, and
    a block scalar's lines are indented more than it. `compact` says whether a
    block sequence or mapping may start here: at the start of a line or after '- ',
    not after 'key: ' or '--- '.
    """
    char = src[pos]
    if char not in NOT_PLAIN_START or (char in "-?:" and not ends_token(src, pos + 1)):
        end = match_end(PLAIN_LINE_BLOCK, src, pos)
        if not colon_follows(src, end):
            return parse_plain_value(src, pos, end, indent)
        if not compact:
            raise Failure(
                skip_spaces(src, end),
                "': ' would start a mapping on the same line as its key; quote the value if it contains ': '",
            )
        return parse_block_mapping(src, pos, column(src, pos), path, located)
    if char == "-" and ends_token(src, pos + 1):
        if not compact:
            raise Failure(pos, "a '- ' list can't start on the same line as its key; start it on the next line")
        return parse_block_sequence(src, pos, column(src, pos), path, located)
    if char == "[" or char == "{":
        end, value = parse_flow_collection(src, pos, path, located)
        if colon_follows(src, end):
            raise Failure(pos, COLLECTION_KEY_MESSAGE)
        return finish_line(src, end), value
    if char == "|" or char == ">":
        return parse_block_scalar(src, pos, indent)
    if char != "'" and char != '"':
        raise Failure(pos, cannot_start_message(src, pos, flow=False))
    end, text, multiline = parse_quoted(src, pos)
    if not colon_follows(src, end):
        return finish_line(src, end), text
    if multiline:
        raise Failure(pos, "a key must fit on one line")
    if not compact:
        raise Failure(skip_spaces(src, end), "': ' would start a mapping on the same line as its key")
    return parse_block_mapping(src, pos, column(src, pos), path, located)


def parse_plain_value(src: str, pos: int, end: int, indent: int) -> tuple[int, Any]:
    """A plain scalar in block context whose first line is src[pos:end]: (next token, value)."""
    following = skip_gap(src, end)
    if following < len(src) and src.find("\n", end, following) < 0:
        raise text_after_value(src, following)
    gap_has_no_comment = src.find("#", end, following) < 0
    if gap_has_no_comment and following < len(src) and column(src, following) > indent:
        if not is_document_marker(src, following):
            end, text = parse_plain_continuation(src, pos, end, indent, flow=False)
            return finish_line(src, end), resolve_plain(pos, text)
    return following, resolve_plain(pos, src[pos:end])


def parse_block_sequence(
    src: str, pos: int, col: int, path: Path_, located: dict[Path_, int]
) -> tuple[int, list[Any]]:
    """'- ' items at column `col`; ends at a line indented less, or at `col` without '- '."""
    items: list[Any] = []
    while True:
        item_path = (*path, len(items))
        content = skip_spaces(src, pos + 1)
        if content < len(src) and src[content] not in "#\n":
            if src[content] == "\t":
                raise Failure(content, TAB_MESSAGE)
            located[item_path] = content
            pos, item = parse_block_node(src, content, col, True, item_path, located)
        else:
            located[item_path] = pos
            pos, item = parse_block_value_below(src, content, col, False, item_path, located)
        items.append(item)
        if pos >= len(src) or is_document_marker(src, pos):
            return pos, items
        next_col = column(src, pos)
        if next_col > col:
            raise Failure(pos, f"bad indentation: expected column {col + 1} (a '- ' item) or less")
        if next_col < col or not is_block_entry(src, pos):
            return pos, items


def parse_block_mapping(
    src: str, pos: int, col: int, path: Path_, located: dict[Path_, int]
) -> tuple[int, dict[Any, Any]]:
    """'key: value' entries with keys at column `col`; ends at a line indented less."""
    mapping: dict[Any, Any] = {}
    while True:
        key_pos = pos
        pos, key = parse_block_key(src, pos)
        key_path = (*path, key)
        if key in mapping:
            first_line = line_and_column(src, located[key_path])[0]
            raise Failure(key_pos, f"duplicate key {key!r} (first on line {first_line})")
        located[key_path] = key_pos
        pos, value = parse_block_value(src, pos, col, key_path, located)
        mapping[key] = value
        if pos >= len(src) or is_document_marker(src, pos):
            return pos, mapping
        next_col = column(src, pos)
        if next_col < col:
            return pos, mapping
        if next_col > col:
            raise Failure(pos, f"bad indentation: expected column {col + 1} (a key) or less")


def parse_block_value(src: str, pos: int, col: int, path: Path_, located: dict[Path_, int]) -> tuple[int, Any]:
    """The value after the ':' at `pos` of a key at column `col`, on the same line or below."""
    content = skip_spaces(src, pos)
    if content < len(src) and src[content] not in "#\n":
        if src[content] == "\t":
            raise Failure(content, TAB_MESSAGE)
        return parse_block_node(src, content, col, False, path, located)
    return parse_block_value_below(src, content, col, True, path, located)


def parse_block_value_below(
    src: str, pos: int, col: int, mapping_value: bool, path: Path_, located: dict[Path_, int]
) -> tuple[int, Any]:
    """The value of a key or '- ' item whose line ends after the indicator: the node on the
    lines below when indented more than `col`, else nothing (None). A mapping value may also
    be a '- ' list at its key's own column; a '- ' item is located at its node."""
    pos = skip_gap(src, pos)
    if pos < len(src) and not is_document_marker(src, pos):
        node_col = column(src, pos)
        if node_col > col:
            if not mapping_value:
                located[path] = pos
            return parse_block_node(src, pos, col, True, path, located)
        if mapping_value and node_col == col and is_block_entry(src, pos):
            return parse_block_sequence(src, pos, col, path, located)
    return pos, None


def parse_block_key(src: str, pos: int) -> tuple[int, Any]:
    """A key and its ':'; returns the position after the ':' and the key."""
    char = src[pos]
    if char not in NOT_PLAIN_START:
        end = match_end(PLAIN_LINE_BLOCK, src, pos)
        key = resolve_plain(pos, src[pos:end])
    elif char == "'" or char == '"':
        end, key, multiline = parse_quoted(src, pos)
        if multiline:
            raise Failure(pos, "a key must fit on one line")
    elif char == "-" and ends_token(src, pos + 1):
        raise Failure(pos, "a '- ' list item where a 'key:' was expected; check the indentation")
    elif char == "[" or char == "{":
        raise Failure(pos, COLLECTION_KEY_MESSAGE)
    elif char == "|" or char == ">":
        raise Failure(pos, "a block scalar (| or >) must be indented more than its key")
    else:
        check_plain_start(src, pos, flow=False)
        end = match_end(PLAIN_LINE_BLOCK, src, pos)
        key = resolve_plain(pos, src[pos:end])
    colon = end if src.startswith(":", end) else skip_spaces(src, end)
    if not (src.startswith(":", colon) and ends_token(src, colon + 1)):
        raise Failure(pos, "expected 'key: value' here, found no ': ' after the key")
    if colon - pos > MAX_KEY_LENGTH:
        raise Failure(pos, f"a key may have at most {MAX_KEY_LENGTH} characters")
    return colon + 1, key


def parse_block_scalar(src: str, pos: int, indent: int) -> tuple[int, str]:
    """A `|` (literal) or `>` (folded) scalar, by YAML 1.1's rules as PyYAML applies them."""
    n = len(src)
    folded = src[pos] == ">"
    chomping = digit = ""
    end = pos + 1
    while end < n and (src[end] in "+-" and not chomping or src[end] in DIGITS and not digit):
        if src[end] in "+-":
            chomping = src[end]
        elif src[end] == "0":
            raise Failure(end, "block scalar indentation must be 1-9, not 0")
        else:
            digit = src[end]
        end += 1
    if not ends_token(src, end) or src.startswith("\t", end):
        raise Failure(end, "expected '-', '+' or a digit 1-9 after '|' or '>', then the end of the line")
    end = skip_spaces(src, end)
    if src.startswith("#", end):
        end = src.find("\n", end)
        end = n if end < 0 else end
    if end < n and src[end] != "\n":
        raise Failure(end, "a block scalar starts on the line after '|' or '>'; only a comment may follow them")
    start = min(end + 1, n)
    min_indent = max(indent + 1, 1)
    if digit:
        block_indent = min_indent + int(digit) - 1
    else:
        block_indent = max(min_indent, detected_indentation(src, start))
    end, texts, blanks_before, blanks_after, last_newline = block_scalar_lines(src, start, block_indent)
    chunks: list[str] = []
    previous = ""
    for text, blanks in zip(texts, blanks_before):
        # PyYAML folds a line break into a space only between two lines that start with
        # text; next to a more indented line, or when blank lines follow, the break stays.
        if not previous:
            chunks.append("\n" * blanks)
        elif folded and previous[0] not in " \t" and text[0] not in " \t":
            chunks.append("\n" * blanks if blanks else " ")
        else:
            chunks.append("\n" * (blanks + 1))
        chunks.append(text)
        previous = text
    if chomping != "-" and last_newline:
        chunks.append("\n")
    if chomping == "+":
        chunks.append("\n" * blanks_after)
    return skip_gap(src, end), "".join(chunks)


def detected_indentation(src: str, pos: int) -> int:
    """The indentation of the first text line from `pos`, a line start, or of a wider blank line before it."""
    widest = 0
    while True:
        spaces_end = match_end(SPACES, src, pos)
        widest = max(widest, spaces_end - pos)
        if spaces_end >= len(src) or src[spaces_end] != "\n":
            return widest
        pos = spaces_end + 1


def block_scalar_lines(src: str, pos: int, block_indent: int) -> tuple[int, list[str], list[int], int, bool]:
    """The lines of a block scalar from `pos`, a line start: (the start of the first line
    after it, its text lines without the indentation, how many blank lines precede each,
    how many follow the last, whether the last ends with a line break).

    A line indented less than `block_indent` ends the scalar; so does the end of the text.
    A blank line is one of spaces up to `block_indent`; more spaces are text."""
    n = len(src)
    texts: list[str] = []
    blanks_before: list[int] = []
    blanks = 0
    last_newline = False
    while pos < n:
        line_end = src.find("\n", pos)
        if line_end < 0:
            line_end = n
        spaces = match_end(SPACES, src, pos) - pos
        if pos + spaces == line_end and spaces <= block_indent:
            if line_end == n:
                break
            blanks += 1
        elif spaces < block_indent and pos + spaces < line_end:
            break
        else:
            texts.append(src[pos + block_indent : line_end])
            blanks_before.append(blanks)
            blanks = 0
            last_newline = line_end < n
        pos = line_end + 1
    return min(pos, n), texts, blanks_before, blanks, last_newline


# -- flow context ---------------------------------------------------------------------
