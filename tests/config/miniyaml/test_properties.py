"""Properties of sfp.config.miniyaml: what PyYAML writes reads as PyYAML reads it; any text gives a value or a YamlError."""

from __future__ import annotations

import re
from typing import Any

import yaml  # type: ignore[import-untyped]
from helpers import same_value
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sfp.config.miniyaml import YamlError, loads

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Characters and words that make YAML emitters quote, escape or fold.
TRICKY_CHARACTERS = list(":#-?'\"\\\n\t [ ]{},&*!|>%@`=~.+_0123456789exyéß日😀") + [
    "\x00",
    "\x07",
    "\x7f",
    "\x85",
    "\xa0",
    "\u2028",
    "\u2029",
    "\ufeff",
    "\ud7ff",
]
TRICKY_WORDS = [
    "yes", "No", "ON", "off", "y", "n", "true", "False", "null", "~", "NULL", "",
    "1", "-1", "+1", "017", "0x1F", "0b101", "1_000", "1.5", "1e3", "1.0e+3", ".inf", "-.Inf", ".nan",
    "1:30", "190:20:30.15", "2002-12-14", "2001-12-14 21:59:43.10 -5", "=", "<<",
    " lead", "trail ", "- x", "a: b", "a #b", "#c", "---", "...", "? q", "&a", "*a", "!t", "|", ">",
    "http://example.com:8080/a?b#c", "C:\\path", "multi\nline", "two\n\nbreaks", "tab\there",
]  # fmt: skip
strings = st.one_of(
    st.sampled_from(TRICKY_WORDS),
    st.text(st.sampled_from(TRICKY_CHARACTERS), max_size=12),
    st.text(max_size=12),
    st.lists(st.sampled_from(TRICKY_WORDS), max_size=4).map(" ".join),
)
keys = st.one_of(strings, st.integers(-1000, 1000), st.booleans(), st.none())
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True), strings
)
documents = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(keys, children, max_size=4),
    ),
    max_leaves=12,
)
dump_options = st.fixed_dictionaries(
    {
        "default_flow_style": st.sampled_from([False, True, None]),
        "indent": st.integers(2, 6),
        "width": st.sampled_from([10, 30, 80, 4096]),
        "allow_unicode": st.booleans(),
        "explicit_start": st.booleans(),
        "sort_keys": st.booleans(),
    }
)

# The only refusals a dump may meet: PyYAML writes keys over 128 characters or over
# several lines as complex keys, and leaves U+0085, U+2028 and U+2029 raw in quotes when
# allow_unicode is on; miniyaml refuses both on purpose.
DELIBERATE_REFUSAL = re.compile(
    r":\d+:\d+: (complex keys \('\? '\) are not supported|U\+(0085|2028|2029) is a line break to YAML 1\.1 tools)"
)


@SETTINGS
@given(documents, dump_options)
def test_what_pyyaml_dumps_reads_as_pyyaml_reads_it(value: Any, options: dict[str, Any]) -> None:
    text = yaml.safe_dump(value, **options)
    expected = yaml.safe_load(text)
    try:
        mine = loads(text)
    except YamlError as error:
        assert DELIBERATE_REFUSAL.search(str(error)), f"{error}\n--- document:\n{text}"
        return
    assert same_value(mine, expected), text


def test_the_deliberate_refusals_do_happen_on_dumps() -> None:
    long_key = yaml.safe_dump({"k" * 200: 1})
    assert long_key.startswith("? ")
    raw_separator = yaml.safe_dump(["a\u2028b"], allow_unicode=True)
    for text in (long_key, raw_separator):
        try:
            loads(text)
        except YamlError as error:
            assert DELIBERATE_REFUSAL.search(str(error))
        else:
            raise AssertionError(f"not refused: {text!r}")


@SETTINGS
@given(st.text(max_size=200))
def test_any_text_gives_a_value_or_a_yaml_error(text: str) -> None:
    try:
        loads(text)
    except YamlError:
        pass


# Fragments that build YAML-looking text: most of it is invalid, some of it is valid in
# surprising ways; whenever miniyaml returns a value, PyYAML must return the same one.
FRAGMENTS = [
    "a", "b c", "key", "1", "0x1F", "1.5", "yes", "~", "null", "'s'", "'it''s'", '"d"', '"\\t\\u00e9"',
    ":", ": ", "- ", "-", "? ", "?", ",", ", ", "[", "]", "{", "}", "#", " # c", "&a ", "*a", "!t ",
    "|", ">", "|-", ">+", "|2", "'", '"', "\\", " ", "  ", "\t", "\n", "\n", "\n", "\n  ", "\n    ",
    "\n- ", "\n  - ", "---", "...", "\r\n", "é", "a:b", "http://x", "1:30", "017", "=", "<<",
]  # fmt: skip


@SETTINGS
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=16).map("".join))
def test_yaml_looking_text_never_reads_differently_from_pyyaml(text: str) -> None:
    try:
        mine = loads(text)
    except YamlError:
        return
    assert same_value(mine, yaml.safe_load(text)), repr(text)
