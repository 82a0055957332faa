"""Layered config: defaults < user < project, merge rules, replace groups, provenance, schema errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers import trust_project, DATA
from sfp.config.layers import NAMES, default_text, load_config, parse_layer
from sfp.errors import ConfigError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.mark.parametrize("name", NAMES)
def test_every_default_config_loads_without_warnings(name: str) -> None:
    layer = parse_layer(default_text(name), f"built-in:{name}.yaml", name)
    assert layer.warnings == ()


@pytest.mark.parametrize("name", ["gates", "alerts", "evidence", "fallback", "auto_fix"])
def test_compat_configs_load_unedited_as_a_user_layer(name: str, claude_dir: Path) -> None:
    shutil.copy(DATA / "compat" / f"{name}.yaml", write(claude_dir / "sfp" / "x", "").parent / f"{name}.yaml")
    config = load_config(name, claude_dir)
    assert config.warnings == ()
    assert config.layers[-1] == str(claude_dir / "sfp" / f"{name}.yaml")


def test_mappings_merge_and_scalars_and_lists_replace(claude_dir: Path, project: Path) -> None:
    write(claude_dir / "sfp" / "auto_fix.yaml", "timeout: 5\nexclude_dirs: [vendor]\n")
    write(project / ".sfp" / "auto_fix.yaml", "formatters:\n  python:\n    command: black -q\n")
    trust_project(claude_dir, project)
    config = load_config("auto_fix", claude_dir, project)
    assert config.get("timeout") == 5
    assert config.get("exclude_dirs") == ["vendor"]  # replaced, not appended
    python = config.get("formatters", "python")
    assert python["command"] == "black -q" and python["extensions"] == [".py"]  # merged with the default
    assert config.get("formatters", "typescript", "command") == "npx prettier --write"
    assert config.origins[("formatters", "python", "command")] == f"{project / '.sfp' / 'auto_fix.yaml'}:3"
    assert config.origins[("timeout",)] == f"{claude_dir / 'sfp' / 'auto_fix.yaml'}:1"
    assert config.origins[("formatters", "python", "extensions")].startswith("built-in:auto_fix.yaml:")


def test_a_project_gates_layer_replaces_tiers_and_gates_whole(claude_dir: Path, project: Path) -> None:
    write(claude_dir / "sfp" / "gates.yaml", "settings:\n  fail_fast: true\n")
    write(project / ".sfp" / "gates.yaml", "gates:\n  - name: only\n    command: 'true'\n")
    trust_project(claude_dir, project)
    config = load_config("gates", claude_dir, project)
    assert "tiers" not in config.data
    assert [g["name"] for g in config.get("gates")] == ["only"]
    assert config.get("settings", "fail_fast") is True and config.get("settings", "parallel") is True
    assert not any(path[0] == "tiers" for path in config.origins)


def test_unknown_keys_are_warnings_with_file_and_line(claude_dir: Path) -> None:
    path = write(claude_dir / "sfp" / "alerts.yaml", "thresholds:\n  critical:\n    failure_rat: 0.4\n")
    config = load_config("alerts", claude_dir)
    assert config.warnings == (
        f"{path}:3:5: unknown key `failure_rat` in `thresholds.critical` (known: failure_rate, timeout_rate); ignored",)


def test_a_wrong_type_is_an_error_at_its_line(claude_dir: Path) -> None:
    path = write(claude_dir / "sfp" / "gates.yaml", "tiers:\n  fast:\n    gates:\n      - name: x\n        command: y\n        timeout: soon\n")
    with pytest.raises(ConfigError) as caught:
        load_config("gates", claude_dir)
    assert str(caught.value) == f"{path}:6:9: `tiers.fast.gates[0].timeout` should be a whole number, not string"


def test_a_gate_without_a_command_is_an_error(claude_dir: Path) -> None:
    write(claude_dir / "sfp" / "gates.yaml", "gates:\n  - name: x\n")
    with pytest.raises(ConfigError, match=r"gates.yaml:2:5: `gates\[0\]` needs a `command` key"):
        load_config("gates", claude_dir)


def test_a_yaml_syntax_error_names_file_and_line(claude_dir: Path) -> None:
    path = write(claude_dir / "sfp" / "sfp.yaml", "health:\n  disk_free: &x\n    degraded_mb: 1\n")
    with pytest.raises(ConfigError, match=f"^{path}:2:"):
        load_config("sfp", claude_dir)


def test_an_empty_user_file_changes_nothing(claude_dir: Path) -> None:
    write(claude_dir / "sfp" / "alerts.yaml", "# nothing yet\n")
    assert load_config("alerts", claude_dir).data == load_config("alerts", claude_dir / "nowhere").data


def test_unknown_config_name_is_a_usage_error(claude_dir: Path) -> None:
    with pytest.raises(ConfigError, match="unknown config `gate`"):
        load_config("gate", claude_dir)


def test_only_the_asked_file_is_read(claude_dir: Path) -> None:
    write(claude_dir / "sfp" / "gates.yaml", "this: [is broken\n")
    load_config("alerts", claude_dir)  # a broken gates.yaml must not cost the alerts reader anything
