"""sfp.autofix.formatters: auto_fix.yaml as settings, which formatter a file gets, the cheap check first."""

from __future__ import annotations

from pathlib import Path

import pytest

from autofix.fakes import user_config
from sfp.autofix.formatters import AutoFixSettings, Formatter, formatter_for, has_word, load_settings, may_have_formatter, settings_from
from sfp.config.layers import default_text
from sfp.errors import ConfigError


def test_settings_from_a_config_with_nothing_set(claude_dir: Path) -> None:
    assert settings_from({}) == AutoFixSettings()
    user_config(claude_dir, "formatters:\n  go:\n    command: gofmt -w\n    extensions: [GO, .Go]\n")
    settings = load_settings(claude_dir, None)
    assert settings.timeout_s == 15.0 and Formatter("go", "gofmt -w", (".go", ".go")) in settings.formatters


@pytest.mark.parametrize("bad", ["timeout: 0", "timeout: -1", "timeout: .inf", "timeout: 1000"])
def test_a_timeout_out_of_bounds_is_an_error_with_its_line(claude_dir: Path, bad: str) -> None:
    user_config(claude_dir, f"{bad}\n")
    with pytest.raises(ConfigError, match=r"auto_fix\.yaml:1:\d+: `timeout` is .*; it must be"):
        load_settings(claude_dir, None)


def test_the_longest_matching_extension_wins_and_disabled_formatters_are_named() -> None:
    settings = AutoFixSettings(formatters=(
        Formatter("ts", "prettier", (".ts",)), Formatter("dts", "dts-fmt", (".d.ts",)),
        Formatter("py", "ruff format", (".py",), enabled=False), Formatter("mine", "my-ts", (".tsx", ".ts")),
    ))
    assert formatter_for("api.d.ts", settings)[0] == settings.formatters[1]
    assert formatter_for("x.tsx", settings)[0] == settings.formatters[3]
    assert formatter_for("API.TS", settings)[0] == settings.formatters[3]  # a tie: the later one, added by a layer
    assert formatter_for("x.py", settings) == (None, settings.formatters[2])
    assert formatter_for(".ts", settings) == (None, None)  # a dotfile named like the extension
    assert formatter_for("Makefile", settings) == (None, None)


@pytest.mark.parametrize(("name", "texts", "expected"), [
    ("notes.txt", [default_text("auto_fix")], False),
    ("main.rs", [default_text("auto_fix")], False),  # "rs" inside "formatters" is not the word rs
    ("Makefile", [default_text("auto_fix")], False),
    ("app.py", [default_text("auto_fix")], True),
    ("App.PY", [default_text("auto_fix")], True),
    ("types.d.ts", [default_text("auto_fix")], True),
    ("main.rs", [default_text("auto_fix"), "formatters:\n  rust: {command: rustfmt, extensions: [rs]}\n"], True),
    ("x.tar.gz", ["extensions: ['.tar.gz']"], True),
    ("main.rs", ['extensions: ["\\x2Ers"]'], True),  # an escape could spell anything: look properly
])
def test_the_cheap_check_only_says_no_when_no_layer_can_match(name: str, texts: list[str], expected: bool) -> None:
    assert may_have_formatter(name, texts) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("rs", True), ("[rs]", True), ("'.rs'", True), ("formatters", False), ("rs_x", False), ("rs2", False),
    ("formatters: [rs]", True), ("rsrs, rs", True), ("", False),
])
def test_has_word(text: str, expected: bool) -> None:
    assert has_word(text, "rs") is expected

