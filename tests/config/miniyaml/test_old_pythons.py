"""The parser reads the same on every CPython >= 3.11.0.

CPython 3.11.0-3.11.4 match possessive quantifiers and atomic groups wrongly
(gh-100061, gh-106052, fixed in 3.11.5): with them, `a: 1` / `b:` / `  c: 2` read as
the string "a: 1 b: c: 2" and the shipped gates.yaml failed at 8:22. sfp uses neither
anywhere; `make test` runs this suite under every interpreter it finds (tests/interpreters.py).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from helpers import ROOT, same_value
import yaml  # type: ignore[import-untyped]

from sfp.config.miniyaml import loads

SHIPPED = sorted((ROOT / "config").glob("*.yaml"))


def test_a_mapping_after_an_empty_value_reads_as_a_mapping() -> None:
    text = "a: 1\nb:\n  c: 2\n"
    assert same_value(loads(text), {"a": 1, "b": {"c": 2}})
    assert same_value(loads(text), yaml.safe_load(text))


@pytest.mark.parametrize(
    "text",
    [
        "k: some words:no\n",
        "k: [a b, c:d, 'e', \"f\"]\n",
        "k: a::b:c # comment\nl: x::y\n",
        "k: 'it''s'\n",
        "- a\n-\n  - b c\n",
        "k: a\n  b  #c\n",
    ],
    ids=["colon-in-words", "flow", "colons", "quote-escape", "nested-list", "continuation"],
)
def test_plain_runs_end_where_pyyaml_ends_them(text: str) -> None:
    assert same_value(loads(text), yaml.safe_load(text))


@pytest.mark.parametrize("path", SHIPPED, ids=[path.name for path in SHIPPED])
def test_the_shipped_configs_read_as_pyyaml_reads_them(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert same_value(loads(text, path.name), yaml.safe_load(text))


def test_the_shipped_gates_config_is_among_them() -> None:
    assert "gates.yaml" in {path.name for path in SHIPPED}


def possessive_or_atomic_at(pattern: str) -> int:
    """Where `pattern`, read as regex syntax, has `*+ ++ ?+ }+` or `(?>`; -1 if nowhere."""
    i, n, in_class = 0, len(pattern), False
    while i < n:
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            i += 1
            i += pattern.startswith("^", i)
            i += pattern.startswith("]", i)  # a leading ']' is a member
            continue
        elif pattern.startswith("(?>", i):
            return i
        elif char in "*+?}" and pattern.startswith("+", i + 1) and not (char == "?" and pattern[i - 1 : i] == "("):
            return i
        i += 1
    return -1


def test_the_scan_finds_what_old_pythons_get_wrong() -> None:
    for pattern in (r"a*+", r"(?:ab)++", r"x?+", r"a{1,2}+", r"(?>ab|a)c", r"[ ]*+"):
        assert possessive_or_atomic_at(pattern) >= 0, pattern
    for pattern in (r"[-*+]", r"a\*+", r"(?:a)+", r"(?=x)+", r"[?+]", r"[]+]", r"a+b*", r"\++"):
        assert possessive_or_atomic_at(pattern) < 0, pattern


def test_no_string_in_sfp_uses_possessive_quantifiers_or_atomic_groups() -> None:
    found = []
    for path in sorted((ROOT / "sfp").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                at = possessive_or_atomic_at(node.value)
                if at >= 0:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[max(0, at - 15) : at + 5]!r}")
    assert not found, "possessive quantifiers or atomic groups (wrong on Python 3.11.0-3.11.4):\n" + "\n".join(found)
