"""The entry points: a document's value, and where each of its nodes starts."""

from __future__ import annotations

from typing import Any

from sfp.config.miniyaml.block import parse_block_node
from sfp.config.miniyaml.source import (
    DIRECTIVE_MESSAGE,
    DOCUMENTS_MESSAGE,
    TAB_MESSAGE,
    Failure,
    Path_,
    Position,
    YamlError,
    check_characters,
    column,
    is_document_marker,
    line_and_column,
    normalize_line_breaks,
    positions_of,
    skip_gap,
    skip_spaces,
)


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
    except Failure as failure:
        line, col = line_and_column(src, failure.pos)
        raise YamlError(failure.message, filename, line, col) from None
    except RecursionError:
        raise YamlError("nested too deeply", filename) from None


# -- the document ------------------------------------------------------------------------


def parse_document(src: str, located: dict[Path_, int]) -> Any:
    """The one document in `src`: an optional `---`, a node, an optional `...`."""
    n = len(src)
    pos = skip_gap(src, 0)
    if src.startswith("%", pos) and column(src, pos) == 0:
        raise Failure(pos, DIRECTIVE_MESSAGE)
    root: Any = None
    if is_document_marker(src, pos) and src.startswith("---", pos):
        after = skip_spaces(src, pos + 3)
        if after < n and src[after] not in "#\n":
            if src[after] == "\t":
                raise Failure(after, TAB_MESSAGE)
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
        raise Failure(pos, "'...' ends a document, but none started; remove it or put '---' before it")
    located.setdefault((), min(pos, n))
    return finish_document(src, pos, root)


def finish_document(src: str, pos: int, root: Any) -> Any:
    """`root`, once what follows it is only `...` lines and comments."""
    n = len(src)
    if pos < n and not is_document_marker(src, pos):
        raise Failure(pos, "unexpected text after the document's top-level value; check the indentation")
    while pos < n and is_document_marker(src, pos) and src.startswith("...", pos):
        pos = skip_gap(src, pos + 3)
    if pos < n:
        raise Failure(pos, DOCUMENTS_MESSAGE)
    return root


# -- block context --------------------------------------------------------------------
