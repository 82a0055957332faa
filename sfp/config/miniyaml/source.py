"""What every part of the parser shares: the error, the token patterns, positions and the gaps between tokens."""

from __future__ import annotations

import re
from typing import Final

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
FLOW_INDICATORS: Final = frozenset(",[]{}")
NOT_PLAIN_START: Final = frozenset("-?:,[]{}#&*!|>'\"%@` \t\n")
RESOLVABLE_START: Final = frozenset("yYnNtTfFoO~-+0123456789.=<")
NUMBER_START: Final = frozenset("-+0123456789.")
DIGITS: Final = frozenset("0123456789")
NUMBER_CHARACTERS: Final = frozenset("0123456789+-._:xabcdefABCDEFinINFNtTZ \t")  # in YAML 1.1 numbers, dates, times
HEX_DIGITS: Final = frozenset("0123456789abcdefABCDEF")

# Compiled at import: what nearly every document needs. Blank lines, comments and
# spaces up to the next token (or a tab, which is an error); one line of a plain scalar:
# runs of text that end at a space, a tab, a line break or a ':' followed by one of those
# (in flow context also at , [ ] { } and ?), where '#' after a space starts a comment.
# No possessive quantifier (`*+`) or atomic group (`(?>`): CPython 3.11.0-3.11.4 match them
# wrongly (gh-100061, gh-106052). None is needed: every pattern is only ever `match`ed, and
# each one's greedy first try succeeds, so the engine never backtracks into an earlier
# token (what a possessive quantifier would forbid) and the match is the same. A run is
# "non-blanks, then one last character that may end it", so it backtracks at most two
# characters instead of keeping a state per character.
_GAP: Final = re.compile(r"[ ]*(?:#[^\n]*)?(?:\n[ ]*(?:#[^\n]*)?)*")
SPACES: Final = re.compile(r"[ ]*")
_BLOCK_RUN: Final = r"[^ \t\n]*(?:[^ \t\n:]|:(?=[^ \t\n]))"
_FLOW_RUN: Final = r"[^ \t\n,\[\]{}?]*(?:[^ \t\n:,\[\]{}?]|:(?=[^ \t\n,\[\]{}]))"
PLAIN_LINE_BLOCK: Final = re.compile(rf"{_BLOCK_RUN}(?: +(?!#){_BLOCK_RUN})*")
SIMPLE_QUOTED: Final = re.compile(r"'([^'\n]*)'(?!')" r'|"([^"\\\n]*)"')  # on one line, without escapes
_CONTROL_CHARACTERS: Final = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Compiled on first use (re caches them): this module is imported on every hook run, and
# most documents never need these.
PLAIN_LINE_FLOW: Final = rf"{_FLOW_RUN}(?: +(?!#){_FLOW_RUN})*"
SINGLE_QUOTED_RUN: Final = r"[^' \t\n]+"
DOUBLE_QUOTED_RUN: Final = r'[^"\\ \t\n]+'
BLANKS: Final = r"[ \t]*"
FLOAT: Final = r"[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
INFINITY: Final = r"[-+]?\.(?:inf|Inf|INF)"
NOT_A_NUMBER: Final = r"\.(?:nan|NaN|NAN)"
DECIMAL: Final = r"[-+]?(?:0|[1-9][0-9_]*)"
HEXADECIMAL: Final = r"[-+]?0x[0-9a-fA-F_]+"
OCTAL: Final = r"[-+]?0[0-7_]+"
BINARY: Final = r"[-+]?0b[01_]+"
BASE_60_INT: Final = r"[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+"
BASE_60_FLOAT: Final = r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*"
TIMESTAMP: Final = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?"
    r"(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?"
)
# Besides control characters, PyYAML refuses these; U+2028 and U+2029 are line breaks
# to YAML 1.1 (refused here), and PyYAML does not count U+FEFF in columns.
_UNREADABLE_NON_ASCII: Final = "\u2028\u2029\ufeff\ufffe\uffff"

BOOLEANS: Final = {
    **dict.fromkeys(("yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True),
    **dict.fromkeys(("no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), False),
}
NULLS: Final = frozenset({"~", "null", "Null", "NULL"})
# PyYAML returns one shared NaN object, so `.nan` twice as a key is one key there.
NAN: Final = float("nan")

ESCAPES: Final = {
    "0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v", "f": "\f",
    "r": "\r", "e": "\x1b", " ": " ", '"': '"', "\\": "\\", "/": "/", "N": "\x85", "_": "\xa0",
    "L": "\u2028", "P": "\u2029",
}  # fmt: skip
HEX_ESCAPE_LENGTHS: Final = {"x": 2, "u": 4, "U": 8}


class Failure(Exception):
    """What is wrong and at which offset; `loads` turns it into a located YamlError."""

    def __init__(self, pos: int, message: str) -> None:
        super().__init__(message)
        self.pos = pos
        self.message = message


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
    raise Failure(pos, message)


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
    end = SPACES.match(src, pos)
    return end.end() if end else pos


def skip_gap(src: str, pos: int) -> int:
    """Position of the next token after spaces, comments and line breaks."""
    gap = _GAP.match(src, pos)
    end = gap.end() if gap else pos
    if end < len(src) and src[end] == "\t":
        raise Failure(end, TAB_MESSAGE)
    return end


def skip_flow_gap(src: str, pos: int) -> int:
    end = skip_gap(src, pos)
    if is_document_marker(src, end):
        raise Failure(end, "a document marker (--- or ...) inside [ ] or { }; close the brackets first")
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


def text_after_value(src: str, pos: int) -> Failure:
    if src[pos] == ":" and ends_token(src, pos + 1):
        return Failure(pos, "': ' after a value would start a mapping here; quote the value if it contains ': '")
    if src[pos] == ":":
        return Failure(pos, "expected a space after ':'")
    return Failure(pos, "unexpected text after the value")
