"""sfp.config.typed.record: a validated section as a feature's NamedTuple, defaults filled, lists frozen."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from sfp.config.layers import load_config
from sfp.config.typed import frozen, record


class Settings(NamedTuple):
    keep: int = 10
    name: str = "default"
    paths: tuple[str, ...] = ()
    nested: Any = None


def test_missing_keys_take_the_records_defaults() -> None:
    assert record({"keep": 3}, Settings) == Settings(keep=3)
    assert record({}, Settings) == Settings()


def test_an_absent_section_is_all_defaults() -> None:
    assert record(None, Settings) == Settings()
    assert record("not a mapping", Settings) == Settings()


def test_keys_the_record_has_no_field_for_are_left_out() -> None:
    assert record({"keep": 1, "extra": True, "_fields": ("x",)}, Settings) == Settings(keep=1)


def test_lists_become_tuples_all_the_way_down() -> None:
    settings = record({"paths": ["a", "b"], "nested": [["x", ["y"]], {"k": [1]}]}, Settings)
    assert settings.paths == ("a", "b") and isinstance(settings.paths, tuple)
    assert settings.nested == (("x", ("y",)), {"k": [1]})  # a mapping is passed as it is
    assert frozen([]) == () and frozen("text") == "text"


def test_a_value_the_schema_passed_is_kept_as_it_is() -> None:
    assert record({"keep": 0, "name": "", "nested": False}, Settings) == Settings(keep=0, name="", nested=False)


def test_a_loaded_section_becomes_its_record(claude_dir: Path) -> None:
    class Backup(NamedTuple):
        keep: int = 10
        extra_paths: tuple[str, ...] = ()
        not_in_the_config: str = "still here"

    (claude_dir / "sfp").mkdir()
    (claude_dir / "sfp" / "sfp.yaml").write_text("backup:\n  keep: 3\n  extra_paths: [docs, notes.md]\n")
    settings = record(load_config("sfp", claude_dir).get("backup"), Backup)
    assert settings == Backup(keep=3, extra_paths=("docs", "notes.md"))  # keep_handoffs has no field here
