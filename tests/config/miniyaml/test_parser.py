"""sfp.config.miniyaml reads its YAML subset exactly as PyYAML does, and refuses the rest by name and place."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import pytest

from helpers import same_value
import yaml  # type: ignore[import-untyped]

from sfp.errors import ConfigError
from sfp.config.miniyaml import YamlError, loads, loads_located

DATA = Path(__file__).resolve().parents[2] / "data" / "yaml"
VALID = sorted((DATA / "valid").glob("*.yaml"))
INVALID = sorted((DATA / "invalid").glob("*.yaml"))
COMPAT_NAMES = ("alerts", "auto_fix", "evidence", "fallback", "gates")


def read_text(path: Path) -> str:
    # Bytes, not read_text(): universal newlines would hide the CR LF documents.
    return path.read_bytes().decode("utf-8")


def error_of(text: str, filename: str = "test.yaml") -> YamlError:
    with pytest.raises(YamlError) as caught:
        loads(text, filename)
    return caught.value


# -- the differential corpus ---------------------------------------------------------------


@pytest.mark.parametrize("path", VALID, ids=[path.name for path in VALID])
def test_valid_document_reads_as_pyyaml_reads_it(path: Path) -> None:
    text = read_text(path)
    expected = yaml.safe_load(text)
    assert same_value(loads(text, path.name), expected)
    value, positions = loads_located(text, path.name)
    assert same_value(value, expected)
    assert () in positions


def test_the_corpus_is_large_and_holds_the_compat_configs() -> None:
    names = {path.name for path in VALID}
    assert len(VALID) >= 200
    assert {f"compat-{name}.yaml" for name in COMPAT_NAMES} <= names


@pytest.mark.parametrize("name", COMPAT_NAMES)
def test_compat_copies_are_unedited(name: str) -> None:
    original = Path(__file__).resolve().parents[4] / "shared" / "compat" / "skills-fabrik-config" / f"{name}.yaml"
    if not original.exists():
        pytest.skip("../shared is not here (a fresh clone)")
    assert (DATA / "valid" / f"compat-{name}.yaml").read_bytes() == original.read_bytes()


def test_same_value_is_strict_enough_to_catch_a_wrong_parser() -> None:
    assert not same_value({"a": 1}, {"a": True})
    assert not same_value({"a": 1, "b": 2}, {"b": 2, "a": 1})
    assert not same_value([0.0], [-0.0])
    assert not same_value(["1"], [1])
    assert same_value([float("nan")], [float("nan")])


def test_the_gates_config_reads_to_the_expected_structure() -> None:
    value = loads(read_text(DATA / "valid" / "compat-gates.yaml"))
    fast = value["tiers"]["fast"]["gates"][0]
    assert fast["name"] == "quick-lint"
    assert fast["timeout"] == 10000 and fast["required"] is False
    assert fast["file_patterns"] == ["*.py"]
    security = value["gates"][3]["command"]
    assert security.startswith('if grep -r "API_KEY\\|SECRET\\|PASSWORD\\|TOKEN" \\\n     --include="*.py"')
    assert security.endswith("  exit 0\nfi\n")


# -- refusals and errors ------------------------------------------------------------------


@pytest.mark.parametrize("path", INVALID, ids=[path.name for path in INVALID])
def test_invalid_document_fails_with_its_exact_message(path: Path) -> None:
    text = path.read_bytes().decode("utf-8", "surrogatepass")
    expected = path.with_suffix(".error").read_text(encoding="utf-8").rstrip("\n")
    error = error_of(text, path.name)
    assert str(error) == expected
    assert error.filename == path.name and error.line >= 1 and error.col >= 1


def test_every_invalid_document_has_its_expected_message() -> None:
    assert len(INVALID) >= 40
    assert all(path.with_suffix(".error").exists() for path in INVALID)


def test_an_anchor_is_refused_with_the_full_located_message() -> None:
    text = (
        "tiers:\n"
        "  fast:\n"
        "    gates:\n"
        "      - name: lint\n"
        "        command: ruff check .\n"
        "defaults:\n"
        "  &shared {timeout: 1000}\n"
    )
    assert str(error_of(text, "gates.yaml")) == "gates.yaml:7:3: anchors and aliases are not supported"


@pytest.mark.parametrize(
    ("text", "line", "col", "fragment"),
    [
        # constructs outside the subset
        ("a: 1\nb: *ref\n", 2, 4, "anchors and aliases"),
        ("- &x 1\n", 1, 3, "anchors and aliases"),
        ("a: !!int '3'\n", 1, 4, "tags"),
        ("<<: {a: 1}\n", 1, 1, "merge keys"),
        ("a:\n  b: 1\n---\nc: 2\n", 3, 1, "several documents"),
        ("a:\n\t- b\n", 2, 1, "tab"),
        ("- a\n-\tb\n", 2, 2, "tab"),
        ("x: 1\ny: 2\nx: 3\n", 3, 1, "duplicate key 'x' (first on line 1)"),
        ("? complex\n: key\n", 1, 1, "complex keys"),
        ("{a: 1}: b\n", 1, 1, "as a key"),
        ("%YAML 1.1\n---\na: 1\n", 1, 1, "directives"),
        # PyYAML 1.1 resolutions that surprise
        ("on: 2002-12-14\n", 1, 5, "date"),
        ("- 12:30\n", 1, 3, "base-60"),
        ("- -1:30.5\n", 1, 3, "base-60"),
        ("- 017\n", 1, 3, "octal"),
        ("- 00\n", 1, 3, "octal"),
        ("- +0b11\n", 1, 3, "binary"),
        ("k: =\n", 1, 4, "'='"),
        # characters
        ("a: 'x\u2029'\n", 1, 6, "U+2029"),
        ("a: b\x00\n", 1, 5, "U+0000"),
        ("a: b\x7f\n", 1, 5, "U+007F"),
        ("a: '\ud800'\n", 1, 5, "U+D800"),
        # syntax
        ("a: 'x\n", 1, 4, "never closed"),
        ('a: "x\\"\n', 1, 4, "never closed"),
        ("a: [1, 2\n", 1, 4, "'[' is never closed"),
        ("a: {b: [1]\n", 1, 4, "'{' is never closed"),
        ("a: 'x' 'y'\n", 1, 8, "after the value"),
        ("a:\n  - x\n - y\n", 3, 2, "bad indentation"),
        ("a:\n    b: 1\n  c: 2\n", 3, 3, "bad indentation"),
        ("a: 1\nb\n", 2, 1, "no ': '"),
        ("a: b: c\n", 1, 5, "': '"),
        ("a: |9\n  x\n", 2, 3, "bad indentation"),
        ("a: >x\n", 1, 5, "'|' or '>'"),
        ("a: | x\n", 1, 6, "only a comment"),
        ('a: "\\z"\n', 1, 5, "unknown escape"),
        ('a: "\\u12"\n', 1, 5, "4 hexadecimal digits"),
        ("a: [b,\n---\n]\n", 2, 1, "document marker"),
        ("a: 'b\n...\nc'\n", 2, 1, "document marker"),
        ("[a, [b], c]: d\n", 1, 1, "as a key"),
        ("a: {b\n: c}\n", 2, 1, "one line"),
        ("- [a\n  b: c]\n", 2, 4, "the '[' on line 1"),
        ("a: @x\n", 1, 4, "'@'"),
        ("a: [b, |]\n", 1, 8, "block scalars"),
        ("a: [b, - c]\n", 1, 8, "list item inside"),
        ("a: }\n", 1, 4, "unexpected '}'"),
        ("...\n", 1, 1, "none started"),
    ],
)
def test_errors_name_the_place_and_the_construct(text: str, line: int, col: int, fragment: str) -> None:
    error = error_of(text)
    assert (error.line, error.col) == (line, col), str(error)
    assert fragment in error.message


def test_the_error_is_a_config_error_and_says_where() -> None:
    error = error_of("a: &x 1\n")
    assert isinstance(error, ConfigError)
    assert error.exit_code == 2
    assert str(error) == "test.yaml:1:4: anchors and aliases are not supported"
    with pytest.raises(YamlError, match=r"^<string>:1:4: "):
        loads("a: &x 1\n")


def test_nesting_beyond_the_stack_is_an_error_not_a_crash() -> None:
    with pytest.raises(YamlError, match="nested too deeply"):
        loads("[" * 5000 + "]" * 5000)
    with pytest.raises(YamlError, match="nested too deeply"):
        loads("".join("  " * depth + "k:\n" for depth in range(2000)))


# -- values -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", None),
        ("# only a comment\n", None),
        ("---\n", None),
        ("a:\n", {"a": None}),
        ("~", None),
        ("yes", True),
        ("Off", False),
        ("y", "y"),
        ("0x1F", 31),
        ("-0x_1_0", -16),
        ("1_000", 1000),
        ("+12", 12),
        ("1.5e+3", 1500.0),
        ("1e3", "1e3"),
        ("-.inf", -math.inf),
        ("-.5", "-.5"),
        ("1.", 1.0),
        ("0o17", "0o17"),
        ("08", "08"),
        ("'1:30'", "1:30"),
        ("1: a\n2.5: b\nfalse: c\n~: d\n", {1: "a", 2.5: "b", False: "c", None: "d"}),
        ("key:\n- a\n- b\n", {"key": ["a", "b"]}),
        ("- name: x\n  cmd: y\n", [{"name": "x", "cmd": "y"}]),
        ("- - a\n  - b\n", [["a", "b"]]),
        ("url: http://x:80/a#b\n", {"url": "http://x:80/a#b"}),
        ("a: b # c\n", {"a": "b"}),
        ("[a: b, c]", [{"a": "b"}, "c"]),
    ],
)
def test_values_are_what_pyyaml_gives(text: str, expected: Any) -> None:
    assert same_value(loads(text), expected)
    assert same_value(yaml.safe_load(text), expected)


def test_nan_reads_as_nan() -> None:
    value = loads("- .nan\n- .NaN\n- .NAN\n")
    assert all(math.isnan(item) for item in value)


def test_mappings_keep_the_document_order() -> None:
    assert list(loads("zeta: 1\nalpha: 2\nmid: 3\n")) == ["zeta", "alpha", "mid"]


def test_escapes_and_folding_of_quoted_scalars() -> None:
    assert loads('"\\x41\\u00e9\\U0001F600\\N\\_\\L\\P\\e\\0"') == "Aé\U0001f600\x85\xa0\u2028\u2029\x1b\x00"
    assert loads('"a \\\n   b"') == "a b"
    assert loads("'one\n  two\n\n  three'") == "one two\nthree"
    assert loads("'it''s'") == "it's"


def test_block_scalars_chomp_and_fold() -> None:
    text = "clip: |\n  a\n\nstrip: >-\n  b\n  c\n\nkeep: |+\n  d\n\nindented: |2\n    e\n  f\n"
    assert loads(text) == {"clip": "a\n", "strip": "b c", "keep": "d\n\n", "indented": "  e\nf\n"}


# -- positions ----------------------------------------------------------------------------


def test_positions_of_keys_and_items() -> None:
    text = (
        "# header\n"  # 1
        "tiers:\n"  # 2
        "  fast:\n"  # 3
        "    gates:\n"  # 4
        "      - name: lint\n"  # 5
        "        timeout: 10\n"  # 6
        "      -\n"  # 7
        "      - plain item\n"  # 8
        "list:\n"  # 9
        "- a\n"  # 10
        "- [x, {k: v}]\n"  # 11
        "'quoted key': 1\n"  # 12
        "nested:\n"  # 13
        "    deep: |\n"  # 14
        "      text\n"  # 15
    )
    value, positions = loads_located(text, "gates.yaml")
    assert value["tiers"]["fast"]["gates"] == [{"name": "lint", "timeout": 10}, None, "plain item"]
    assert positions[()] == (2, 1)
    assert positions[("tiers",)] == (2, 1)
    assert positions[("tiers", "fast")] == (3, 3)
    assert positions[("tiers", "fast", "gates")] == (4, 5)
    assert positions[("tiers", "fast", "gates", 0)] == (5, 9)
    assert positions[("tiers", "fast", "gates", 0, "name")] == (5, 9)
    assert positions[("tiers", "fast", "gates", 0, "timeout")] == (6, 9)
    assert positions[("tiers", "fast", "gates", 1)] == (7, 7)  # an empty item: its '-'
    assert positions[("tiers", "fast", "gates", 2)] == (8, 9)
    assert positions[("list",)] == (9, 1)
    assert positions[("list", 0)] == (10, 3)
    assert positions[("list", 1)] == (11, 3)
    assert positions[("list", 1, 0)] == (11, 4)
    assert positions[("list", 1, 1)] == (11, 7)
    assert positions[("list", 1, 1, "k")] == (11, 8)
    assert positions[("quoted key",)] == (12, 1)
    assert positions[("nested", "deep")] == (14, 5)
    assert len(positions) == 18


def test_positions_of_items_on_their_own_line_and_of_non_string_keys() -> None:
    text = "-\n  a: 1\n- \n    - x\n- {1: one, false: no}\n"
    value, positions = loads_located(text)
    assert value == [{"a": 1}, ["x"], {1: "one", False: False}]
    assert positions[(0,)] == (2, 3)
    assert positions[(0, "a")] == (2, 3)
    assert positions[(1,)] == (4, 5)
    assert positions[(1, 0)] == (4, 7)
    assert positions[(2, 1)] == (5, 4)
    assert positions[(2, False)] == (5, 12)


def test_positions_count_columns_in_characters_after_a_bom_and_cr_lf() -> None:
    value, positions = loads_located("\ufeffé: 1\r\nkey:\r\n  ü: 2\r\n")
    assert value == {"é": 1, "key": {"ü": 2}}
    assert positions[("é",)] == (1, 1)
    assert positions[("key", "ü")] == (3, 3)


def test_the_root_of_an_empty_document_has_a_position() -> None:
    assert loads_located("") == (None, {(): (1, 1)})


# -- speed --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "a: " + " " * 20000 + "b",
        "a: " + "x " * 20000 + ":",
        "[" + "a " * 20000 + "b",
        '"' + "\\ " * 20000,
        "- " + ":" * 20000,
        "a:\n" + "  \n" * 20000 + "b",
        "#" * 20000,
        "k: " + "1:" * 10000 + "1",
        "x: " + "0" * 20000 + ".5",
    ],
    ids=["spaces", "words", "flow-words", "escapes", "colons", "blank-lines", "hashes", "base-60", "float"],
)
def test_long_inputs_take_linear_time(text: str) -> None:
    start = time.perf_counter()
    try:
        loads(text)
    except YamlError:
        pass
    assert time.perf_counter() - start < 1.0
