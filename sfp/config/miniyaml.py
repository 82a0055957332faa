"""Read the part of YAML that config files use, giving what PyYAML gives, without PyYAML.

Inside the subset `loads(text)` equals `yaml.safe_load(text)` (PyYAML 6, YAML 1.1
rules). Outside it `YamlError` names the line, the column and the construct: a config
never silently means one thing here and another in other YAML tools.

The subset: comments; block mappings and sequences, nested, compact (`- a: 1`,
`- - x`) and with `- ` items at their key's indentation; plain, 'single' and
"double" quoted scalars (every escape, line folding); multi-line plain scalars;
`|` and `>` block scalars with `-`/`+` chomping and an indentation digit; flow
`[...]` and `{...}` collections (nested, over several lines, a trailing comma,
`[k: v]` pairs); one document with an optional `---` and `...`; keys that are
plain or quoted scalars, resolved like values (`1: a` has the int key 1).

Plain scalars resolve as PyYAML resolves them: `true/True/TRUE`, `yes`, `on` and
their `false/no/off` partners (3 spellings each) are booleans while `y` and `n` stay
strings; `~`, `null/Null/NULL` and nothing are None; `12`, `-3`, `1_000`, `0x1F`
are ints; `1.5`, `1.`, `.5`, `1.0e+3`, `.inf`, `-.Inf`, `.nan` are floats, but
`1e3` (an exponent needs a dot and a sign in YAML 1.1) and `-.5` stay strings.

Refused on purpose, each with a message saying what is wrong and where:
- anchors and aliases, tags, merge keys (`<<`), complex keys (`? `, or a list or
  mapping as a key), directives (`%YAML`), several documents, duplicate keys (PyYAML
  silently keeps the last one; `1` and `true` or `1.0` count as the same key, as in a
  Python dict), keys over 1024 characters or over several lines, a block scalar at
  its key's column (`a:` then `|` below it, which PyYAML reads);
- tabs outside quoted strings, block scalars and comments (PyYAML rejects them too);
- plain scalars YAML 1.1 turns into something few readers expect, and that YAML 1.2
  tools read differently: dates and timestamps (`2002-12-14`), base-60 numbers
  (`1:30` is 90), octal (`017` is 15, `0_` is 0) and binary (`0b101`) integers, a
  lone `=` (PyYAML fails on it as a value, reads it as a key; refused as both here);
  and `0x_`, decimal integers over 4300 digits and `\\U` escapes past U+10FFFF, on
  which PyYAML itself crashes. Quoting the value makes it a string;
- the characters U+0085, U+2028 and U+2029 (line breaks to YAML 1.1) and U+FEFF
  anywhere but the very start: write them as escapes in a double-quoted string.
  Other control characters are refused as PyYAML refuses them;
- nesting deeper than Python's recursion limit allows (a few hundred levels).

The parser is small functions over `(src, pos)` returning the position after what
they read (after blank and comment lines, for block nodes) and the value; an offset
becomes a line and column only when it is reported. Regexes read tokens only; those
most documents need are compiled at import, the others on first use, since the hooks
import this module on every run.
"""

from __future__ import annotations

import re
from typing import Any, Final

from sfp.errors import ConfigError


class YamlError(ConfigError):
    """A YAML document outside the subset, or not YAML at all, located as `FILE:LINE:COL: message`."""


Position = tuple[int, int]  # (line, column), both 1-based
Path_ = tuple[str | int, ...]  # keys and indexes from the root; a key is whatever the YAML key resolved to

MAX_KEY_LENGTH: Final = 1024  # YAML's limit for an implicit key, enforced by PyYAML

TAB_MESSAGE: Final = "tab character: YAML allows only spaces for indentation and between tokens"
ANCHOR_MESSAGE: Final = "anchors and aliases are not supported"
TAG_MESSAGE: Final = "tags are not supported"
COMPLEX_KEY_MESSAGE: Final = "complex keys ('? ') are not supported"
COLLECTION_KEY_MESSAGE: Final = "a list or mapping used as a key (a complex key) is not supported"
DIRECTIVE_MESSAGE: Final = "directives (%YAML, %TAG) are not supported"
DOCUMENTS_MESSAGE: Final = "several documents in one file are not supported"
MERGE_MESSAGE: Final = "merge keys (<<) are not supported"

_SPACE_OR_END: Final = frozenset(" \t\n")  # what must follow ':', '-', '?' or '---' for them to be indicators
_FLOW_INDICATORS: Final = frozenset(",[]{}")
_NOT_PLAIN_START: Final = frozenset("-?:,[]{}#&*!|>'\"%@` \t\n")
_RESOLVABLE_START: Final = frozenset("yYnNtTfFoO~-+0123456789.=<")
_NUMBER_START: Final = frozenset("-+0123456789.")
_DIGITS: Final = frozenset("0123456789")
_NUMBER_CHARACTERS: Final = frozenset("0123456789+-._:xabcdefABCDEFinINFNtTZ \t")  # in YAML 1.1 numbers, dates, times
_HEX_DIGITS: Final = frozenset("0123456789abcdefABCDEF")

# Compiled at import: what nearly every document needs. Blank lines, comments and
# spaces up to the next token (or a tab, which is an error); one line of a plain scalar:
# runs of text that end at a space, a tab, a line break or a ':' followed by one of those
# (in flow context also at , [ ] { } and ?), where '#' after a space starts a comment.
_GAP: Final = re.compile(r"[ ]*+(?:#[^\n]*+)?(?:\n[ ]*+(?:#[^\n]*+)?)*+")
_SPACES: Final = re.compile(r"[ ]*+")
_BLOCK_RUN: Final = r"(?:[^ \t\n:]|:(?=[^ \t\n]))++"
_FLOW_RUN: Final = r"(?:[^ \t\n:,\[\]{}?]|:(?=[^ \t\n,\[\]{}]))++"
_PLAIN_LINE_BLOCK: Final = re.compile(rf"{_BLOCK_RUN}(?: ++(?!#){_BLOCK_RUN})*+")
_SIMPLE_QUOTED: Final = re.compile(r"'([^'\n]*+)'(?!')" r'|"([^"\\\n]*+)"')  # on one line, without escapes
_CONTROL_CHARACTERS: Final = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Compiled on first use (re caches them): this module is imported on every hook run, and
# most documents never need these.
_PLAIN_LINE_FLOW: Final = rf"{_FLOW_RUN}(?: ++(?!#){_FLOW_RUN})*+"
_SINGLE_QUOTED_RUN: Final = r"[^' \t\n]++"
_DOUBLE_QUOTED_RUN: Final = r'[^"\\ \t\n]++'
_BLANKS: Final = r"[ \t]*+"
_FLOAT: Final = r"[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
_INFINITY: Final = r"[-+]?\.(?:inf|Inf|INF)"
_NOT_A_NUMBER: Final = r"\.(?:nan|NaN|NAN)"
_DECIMAL: Final = r"[-+]?(?:0|[1-9][0-9_]*)"
_HEXADECIMAL: Final = r"[-+]?0x[0-9a-fA-F_]+"
_OCTAL: Final = r"[-+]?0[0-7_]+"
_BINARY: Final = r"[-+]?0b[01_]+"
_BASE_60_INT: Final = r"[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+"
_BASE_60_FLOAT: Final = r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*"
_TIMESTAMP: Final = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?"
    r"(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?"
)
# Besides control characters, PyYAML refuses these; U+2028 and U+2029 are line breaks
# to YAML 1.1 (refused here), and PyYAML does not count U+FEFF in columns.
_UNREADABLE_NON_ASCII: Final = "\u2028\u2029\ufeff\ufffe\uffff"

_BOOLEANS: Final = {
    **dict.fromkeys(("yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True),
    **dict.fromkeys(("no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), False),
}
_NULLS: Final = frozenset({"~", "null", "Null", "NULL"})
# PyYAML returns one shared NaN object, so `.nan` twice as a key is one key there.
_NAN: Final = float("nan")

_ESCAPES: Final = {
    "0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v", "f": "\f",
    "r": "\r", "e": "\x1b", " ": " ", '"': '"', "\\": "\\", "/": "/", "N": "\x85", "_": "\xa0",
    "L": "\u2028", "P": "\u2029",
}  # fmt: skip
_HEX_ESCAPE_LENGTHS: Final = {"x": 2, "u": 4, "U": 8}


class _Failure(Exception):
    """What is wrong and at which offset; `loads` turns it into a located YamlError."""

    def __init__(self, pos: int, message: str) -> None:
        super().__init__(message)
        self.pos = pos
        self.message = message


def loads(text: str, filename: str = "<string>") -> Any:
    """The value of the YAML document `text`; `filename` only labels errors."""
    return _parse(text, filename, {})[0]


def loads_located(text: str, filename: str = "<string>") -> tuple[Any, dict[Path_, Position]]:
    """The value of `text`, and where each node starts: a mapping entry at its key, a
    sequence item at its content (at its '-' when empty), the root at `()`."""
    offsets: dict[Path_, int] = {}
    value, src = _parse(text, filename, offsets)
    return value, positions_of(src, offsets)


def _parse(text: str, filename: str, located: dict[Path_, int]) -> tuple[Any, str]:
    src = normalize_line_breaks(text)
    try:
        check_characters(src)
        return parse_document(src, located), src
    except _Failure as failure:
        line, col = line_and_column(src, failure.pos)
        raise YamlError(failure.message, filename, line, col) from None
    except RecursionError:
        raise YamlError("nested too deeply", filename) from None


def normalize_line_breaks(text: str) -> str:
    """`text` without a leading byte order mark, with every line ending as '\\n' (YAML reads CR LF and CR so)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def check_characters(src: str) -> None:
    found = _CONTROL_CHARACTERS.search(src)
    pos = found.start() if found else len(src)
    if not src.isascii():
        for char in _UNREADABLE_NON_ASCII:
            index = src.find(char, 0, pos)
            pos = index if index >= 0 else pos
        try:
            src.encode("utf-8")
        except UnicodeEncodeError as exc:  # a lone surrogate: PyYAML refuses it too
            pos = min(pos, exc.start)
    if pos == len(src):
        return
    char = src[pos]
    code = f"U+{ord(char):04X}"
    if char in "\x85\u2028\u2029":
        message = f"{code} is a line break to YAML 1.1 tools; write it as an escape (\\N, \\L, \\P) in double quotes"
    elif char == "\ufeff":
        message = f"{code} (byte order mark) is only allowed at the very start; write it as \\uFEFF in double quotes"
    else:
        message = f"control character {code} is not allowed; write it as an escape in double quotes"
    raise _Failure(pos, message)


def line_and_column(src: str, pos: int) -> Position:
    line_start = src.rfind("\n", 0, pos) + 1
    return src.count("\n", 0, pos) + 1, pos - line_start + 1


def positions_of(src: str, offsets: dict[Path_, int]) -> dict[Path_, Position]:
    """Offsets turned into (line, column), in one pass over the text."""
    positions: dict[Path_, Position] = {}
    line, line_start, scanned = 1, 0, 0
    for path, pos in sorted(offsets.items(), key=lambda item: item[1]):
        while True:
            newline = src.find("\n", scanned, pos)
            if newline < 0:
                break
            line, line_start, scanned = line + 1, newline + 1, newline + 1
        positions[path] = (line, pos - line_start + 1)
    return positions


# -- small helpers over (src, pos) ---------------------------------------------------


def column(src: str, pos: int) -> int:
    """0-based column of `pos`, like PyYAML's indentation arithmetic."""
    return pos - src.rfind("\n", 0, pos) - 1


def ends_token(src: str, pos: int) -> bool:
    """Whether `pos` is the end of the text, a space, a tab or a line break."""
    return pos >= len(src) or src[pos] in _SPACE_OR_END


def is_block_entry(src: str, pos: int) -> bool:
    return src.startswith("-", pos) and ends_token(src, pos + 1)


def is_document_marker(src: str, pos: int) -> bool:
    """A `---` or `...` line start: it ends the document's content wherever it is."""
    return (pos == 0 or src[pos - 1] == "\n") and src.startswith(("---", "..."), pos) and ends_token(src, pos + 3)


def skip_spaces(src: str, pos: int) -> int:
    if not src.startswith(" ", pos):
        return pos
    end = _SPACES.match(src, pos)
    return end.end() if end else pos


def skip_gap(src: str, pos: int) -> int:
    """Position of the next token after spaces, comments and line breaks."""
    gap = _GAP.match(src, pos)
    end = gap.end() if gap else pos
    if end < len(src) and src[end] == "\t":
        raise _Failure(end, TAB_MESSAGE)
    return end


def skip_flow_gap(src: str, pos: int) -> int:
    end = skip_gap(src, pos)
    if is_document_marker(src, end):
        raise _Failure(end, "a document marker (--- or ...) inside [ ] or { }; close the brackets first")
    return end


def colon_follows(src: str, pos: int) -> bool:
    """Whether a block-context ':' value indicator follows `pos` on the same line."""
    colon = pos if src.startswith(":", pos) else skip_spaces(src, pos)
    return src.startswith(":", colon) and ends_token(src, colon + 1)


def finish_line(src: str, end: int) -> int:
    """After a value that ends its line: the next token, which must be on a later line."""
    following = skip_gap(src, end)
    if following < len(src) and src.find("\n", end, following) < 0:
        raise text_after_value(src, following)
    return following


def text_after_value(src: str, pos: int) -> _Failure:
    if src[pos] == ":" and ends_token(src, pos + 1):
        return _Failure(pos, "': ' after a value would start a mapping here; quote the value if it contains ': '")
    if src[pos] == ":":
        return _Failure(pos, "expected a space after ':'")
    return _Failure(pos, "unexpected text after the value")


# -- the document ------------------------------------------------------------------------


def parse_document(src: str, located: dict[Path_, int]) -> Any:
    """The one document in `src`: an optional `---`, a node, an optional `...`."""
    n = len(src)
    pos = skip_gap(src, 0)
    if src.startswith("%", pos) and column(src, pos) == 0:
        raise _Failure(pos, DIRECTIVE_MESSAGE)
    root: Any = None
    if is_document_marker(src, pos) and src.startswith("---", pos):
        after = skip_spaces(src, pos + 3)
        if after < n and src[after] not in "#\n":
            if src[after] == "\t":
                raise _Failure(after, TAB_MESSAGE)
            # Like after 'key: ', a scalar or flow collection may follow '--- ' on its line, not a block collection.
            located[()] = after
            pos, root = parse_block_node(src, after, -1, False, (), located)
        else:
            pos = skip_gap(src, after)
            if pos < n and not is_document_marker(src, pos):
                located[()] = pos
                pos, root = parse_block_node(src, pos, -1, True, (), located)
    elif pos < n and not is_document_marker(src, pos):
        located[()] = pos
        pos, root = parse_block_node(src, pos, -1, True, (), located)
    elif src.startswith("...", pos):
        raise _Failure(pos, "'...' ends a document, but none started; remove it or put '---' before it")
    located.setdefault((), min(pos, n))
    return finish_document(src, pos, root)


def finish_document(src: str, pos: int, root: Any) -> Any:
    """`root`, once what follows it is only `...` lines and comments."""
    n = len(src)
    if pos < n and not is_document_marker(src, pos):
        raise _Failure(pos, "unexpected text after the document's top-level value; check the indentation")
    while pos < n and is_document_marker(src, pos) and src.startswith("...", pos):
        pos = skip_gap(src, pos + 3)
    if pos < n:
        raise _Failure(pos, DOCUMENTS_MESSAGE)
    return root


# -- block context --------------------------------------------------------------------


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
    if char not in _NOT_PLAIN_START or (char in "-?:" and not ends_token(src, pos + 1)):
        end = match_end(_PLAIN_LINE_BLOCK, src, pos)
        if not colon_follows(src, end):
            return parse_plain_value(src, pos, end, indent)
        if not compact:
            raise _Failure(
                skip_spaces(src, end),
                "': ' would start a mapping on the same line as its key; quote the value if it contains ': '",
            )
        return parse_block_mapping(src, pos, column(src, pos), path, located)
    if char == "-" and ends_token(src, pos + 1):
        if not compact:
            raise _Failure(pos, "a '- ' list can't start on the same line as its key; start it on the next line")
        return parse_block_sequence(src, pos, column(src, pos), path, located)
    if char == "[" or char == "{":
        end, value = parse_flow_collection(src, pos, path, located)
        if colon_follows(src, end):
            raise _Failure(pos, COLLECTION_KEY_MESSAGE)
        return finish_line(src, end), value
    if char == "|" or char == ">":
        return parse_block_scalar(src, pos, indent)
    if char != "'" and char != '"':
        raise _Failure(pos, cannot_start_message(src, pos, flow=False))
    end, text, multiline = parse_quoted(src, pos)
    if not colon_follows(src, end):
        return finish_line(src, end), text
    if multiline:
        raise _Failure(pos, "a key must fit on one line")
    if not compact:
        raise _Failure(skip_spaces(src, end), "': ' would start a mapping on the same line as its key")
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
                raise _Failure(content, TAB_MESSAGE)
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
            raise _Failure(pos, f"bad indentation: expected column {col + 1} (a '- ' item) or less")
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
            raise _Failure(key_pos, f"duplicate key {key!r} (first on line {first_line})")
        located[key_path] = key_pos
        pos, value = parse_block_value(src, pos, col, key_path, located)
        mapping[key] = value
        if pos >= len(src) or is_document_marker(src, pos):
            return pos, mapping
        next_col = column(src, pos)
        if next_col < col:
            return pos, mapping
        if next_col > col:
            raise _Failure(pos, f"bad indentation: expected column {col + 1} (a key) or less")


def parse_block_value(src: str, pos: int, col: int, path: Path_, located: dict[Path_, int]) -> tuple[int, Any]:
    """The value after the ':' at `pos` of a key at column `col`, on the same line or below."""
    content = skip_spaces(src, pos)
    if content < len(src) and src[content] not in "#\n":
        if src[content] == "\t":
            raise _Failure(content, TAB_MESSAGE)
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
    if char not in _NOT_PLAIN_START:
        end = match_end(_PLAIN_LINE_BLOCK, src, pos)
        key = resolve_plain(pos, src[pos:end])
    elif char == "'" or char == '"':
        end, key, multiline = parse_quoted(src, pos)
        if multiline:
            raise _Failure(pos, "a key must fit on one line")
    elif char == "-" and ends_token(src, pos + 1):
        raise _Failure(pos, "a '- ' list item where a 'key:' was expected; check the indentation")
    elif char == "[" or char == "{":
        raise _Failure(pos, COLLECTION_KEY_MESSAGE)
    elif char == "|" or char == ">":
        raise _Failure(pos, "a block scalar (| or >) must be indented more than its key")
    else:
        check_plain_start(src, pos, flow=False)
        end = match_end(_PLAIN_LINE_BLOCK, src, pos)
        key = resolve_plain(pos, src[pos:end])
    colon = end if src.startswith(":", end) else skip_spaces(src, end)
    if not (src.startswith(":", colon) and ends_token(src, colon + 1)):
        raise _Failure(pos, "expected 'key: value' here, found no ': ' after the key")
    if colon - pos > MAX_KEY_LENGTH:
        raise _Failure(pos, f"a key may have at most {MAX_KEY_LENGTH} characters")
    return colon + 1, key


def parse_block_scalar(src: str, pos: int, indent: int) -> tuple[int, str]:
    """A `|` (literal) or `>` (folded) scalar, by YAML 1.1's rules as PyYAML applies them."""
    n = len(src)
    folded = src[pos] == ">"
    chomping = digit = ""
    end = pos + 1
    while end < n and (src[end] in "+-" and not chomping or src[end] in _DIGITS and not digit):
        if src[end] in "+-":
            chomping = src[end]
        elif src[end] == "0":
            raise _Failure(end, "block scalar indentation must be 1-9, not 0")
        else:
            digit = src[end]
        end += 1
    if not ends_token(src, end) or src.startswith("\t", end):
        raise _Failure(end, "expected '-', '+' or a digit 1-9 after '|' or '>', then the end of the line")
    end = skip_spaces(src, end)
    if src.startswith("#", end):
        end = src.find("\n", end)
        end = n if end < 0 else end
    if end < n and src[end] != "\n":
        raise _Failure(end, "a block scalar starts on the line after '|' or '>'; only a comment may follow them")
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
        spaces_end = match_end(_SPACES, src, pos)
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
        spaces = match_end(_SPACES, src, pos) - pos
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
            raise _Failure(start, "this '[' is never closed")
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
            raise _Failure(start, "this '{' is never closed")
        if src[pos] == "}":
            return pos + 1, mapping
        key_pos = pos
        if src[pos] in "[{":
            raise _Failure(pos, COLLECTION_KEY_MESSAGE)
        pos, key = parse_flow_node(src, pos, path, located)
        key_path = (*path, key)
        if key in mapping:
            first_line = line_and_column(src, located[key_path])[0]
            raise _Failure(key_pos, f"duplicate key {key!r} (first on line {first_line})")
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
        raise _Failure(key_pos, COLLECTION_KEY_MESSAGE)
    if src.find("\n", key_pos, colon) >= 0:
        line = line_and_column(src, opening)[0]
        raise _Failure(
            colon, f"a key and its ':' must be on one line (is the '{src[opening]}' on line {line} left open?)"
        )
    if colon - key_pos > MAX_KEY_LENGTH:
        raise _Failure(key_pos, f"a key may have at most {MAX_KEY_LENGTH} characters")


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
        raise _Failure(start, f"this '{src[start]}' is never closed")
    if src[pos] == ",":
        return skip_flow_gap(src, pos + 1)
    if src[pos] == closing:
        return pos
    raise _Failure(pos, f"expected ',' or '{closing}' here")


def parse_flow_node(src: str, pos: int, path: Path_, located: dict[Path_, int]) -> tuple[int, Any]:
    """A scalar or a nested collection inside [ ] or { }."""
    char = src[pos]
    if char == "[" or char == "{":
        return parse_flow_collection(src, pos, path, located)
    if char == "'" or char == '"':
        end, text, _ = parse_quoted(src, pos)
        return end, text
    check_plain_start(src, pos, flow=True)
    end = match_end(re.compile(_PLAIN_LINE_FLOW), src, pos)
    end, text = parse_plain_continuation(src, pos, end, -1, flow=True)
    return end, resolve_plain(pos, text)


# -- scalars ----------------------------------------------------------------------------


def check_plain_start(src: str, pos: int, flow: bool) -> None:
    """Raise the right message when `pos` can't start a plain scalar."""
    char = src[pos]
    if char not in _NOT_PLAIN_START:
        return
    next_is_text = not ends_token(src, pos + 1)
    if next_is_text and (char == "-" or (char in "?:" and not flow)):
        return
    raise _Failure(pos, cannot_start_message(src, pos, flow))


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
    if char in _FLOW_INDICATORS:
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
    line_pattern = re.compile(_PLAIN_LINE_FLOW) if flow else _PLAIN_LINE_BLOCK
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
    simple = _SIMPLE_QUOTED.match(src, pos)
    if simple:
        return simple.end(), simple.group(1) or simple.group(2) or "", False
    n = len(src)
    quote = src[pos]
    run = re.compile(_SINGLE_QUOTED_RUN if quote == "'" else _DOUBLE_QUOTED_RUN)
    chunks: list[str] = []
    multiline = False
    end = pos + 1
    while True:
        found = run.match(src, end)
        if found:
            chunks.append(found.group())
            end = found.end()
        if end >= n:
            raise _Failure(pos, f"this {quote} quoted string is never closed")
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
        blanks_end = match_end(re.compile(_BLANKS), src, end)
        if blanks_end >= n:
            raise _Failure(pos, f"this {quote} quoted string is never closed")
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
    if code in _ESCAPES:
        return pos + 2, _ESCAPES[code], False
    if code in _HEX_ESCAPE_LENGTHS:
        length = _HEX_ESCAPE_LENGTHS[code]
        digits = src[pos + 2 : pos + 2 + length]
        if len(digits) < length or not _HEX_DIGITS.issuperset(digits):
            raise _Failure(pos, f"\\{code} must be followed by {length} hexadecimal digits")
        number = int(digits, 16)
        if number > 0x10FFFF:
            raise _Failure(pos, f"\\{code}{digits} is beyond the last Unicode character U+10FFFF")
        return pos + 2 + length, chr(number), False
    if code == "\n":
        end, breaks = quoted_line_breaks(src, pos + 2)
        return end, "\n" * breaks, True
    if not code:
        raise _Failure(quote_pos, 'this " quoted string is never closed')
    raise _Failure(pos, f"unknown escape \\{code}" if code.isprintable() else "unknown escape")


def quoted_line_breaks(src: str, pos: int) -> tuple[int, int]:
    """After a line break inside quotes: (where the text goes on, how many blank lines were skipped)."""
    n = len(src)
    breaks = 0
    while True:
        if is_document_marker(src, pos):
            raise _Failure(pos, "a document marker (--- or ...) inside a quoted string; indent the line")
        pos = match_end(re.compile(_BLANKS), src, pos)
        if pos >= n or src[pos] != "\n":
            return pos, breaks
        breaks += 1
        pos += 1


def resolve_plain(pos: int, text: str) -> Any:
    """The value of the plain scalar `text` read at `pos`, as YAML 1.1 resolves it (or a refusal)."""
    if text[0] not in _RESOLVABLE_START:
        return text
    if text in _BOOLEANS:
        return _BOOLEANS[text]
    if text in _NULLS:
        return None
    if text[0] in _NUMBER_START:
        return resolve_number(pos, text)
    if text == "=":
        raise _Failure(pos, "a lone '=' is a special value to YAML 1.1 tools; quote it")
    if text == "<<":
        raise _Failure(pos, MERGE_MESSAGE)
    return text


def resolve_number(pos: int, text: str) -> Any:
    if text.isdigit() and text.isascii() and (text[0] != "0" or len(text) == 1):
        return to_int(pos, text)  # the common case, without a regex
    whole, dot, fraction = text.lstrip("+-").partition(".")
    if dot and whole.isdigit() and whole.isascii() and (not fraction or fraction.isdigit() and fraction.isascii()):
        if len(text) - len(whole) - len(dot) - len(fraction) <= 1:  # one sign at most
            return float(text)
    if not _NUMBER_CHARACTERS.issuperset(text):
        return text  # `-v`, `.env`: no number, date or time has such letters
    if re.fullmatch(_FLOAT, text) or re.fullmatch(_INFINITY, text):
        value = text.replace("_", "").lower()
        sign = -1.0 if value[0] == "-" else 1.0
        value = value.lstrip("+-")
        return sign * (float("inf") if value == ".inf" else float(value))
    if re.fullmatch(_NOT_A_NUMBER, text):
        return _NAN
    if re.fullmatch(_DECIMAL, text):
        return to_int(pos, text.replace("_", ""))
    if re.fullmatch(_HEXADECIMAL, text):
        digits = text.replace("_", "")
        sign = -1 if digits[0] == "-" else 1
        digits = digits.lstrip("+-")[2:]
        if not digits:
            raise _Failure(pos, f"{text} is not a number, but YAML 1.1 tools read it as one; quote it")
        return sign * int(digits, 16)
    if re.fullmatch(_BASE_60_INT, text) or re.fullmatch(_BASE_60_FLOAT, text):
        raise _Failure(pos, f"{text} would be read as a base-60 number by YAML 1.1 tools; quote it")
    if re.fullmatch(_OCTAL, text):
        raise _Failure(pos, f"{text} would be read as an octal number by YAML 1.1 tools; quote it")
    if re.fullmatch(_BINARY, text):
        raise _Failure(pos, f"{text} would be read as a binary number by YAML 1.1 tools; quote it")
    if re.fullmatch(_TIMESTAMP, text):
        raise _Failure(pos, f"{text} would be read as a date by YAML 1.1 tools; quote it")
    return text


def to_int(pos: int, digits: str) -> int:
    try:
        return int(digits)
    except ValueError:  # over CPython's 4300 digits for int(), where PyYAML crashes
        raise _Failure(pos, "an integer this long is not supported; quote it") from None
