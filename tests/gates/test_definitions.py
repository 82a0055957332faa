"""gates.yaml → gates per tier: the legacy flat list is deep, names are unique, settings typed."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import DATA
from sfp.errors import UsageError
from sfp.gates.definitions import hook_tier, run_settings, tier_gates
from sfp.config.miniyaml import loads

COMPAT = loads((DATA / "compat" / "gates.yaml").read_text())


def test_compat_fast_tier() -> None:
    [gate] = tier_gates(COMPAT, "fast")
    assert gate.spec.name == "quick-lint" and gate.spec.timeout_ms == 10_000 and gate.file_patterns == ("*.py",)


def test_compat_deep_tier_merges_the_legacy_list_without_duplicates() -> None:
    names = [g.spec.name for g in tier_gates(COMPAT, "deep")]
    assert names == ["typescript-check", "python-type-check", "format-check", "security-check"]
    multi_line = next(g for g in tier_gates(COMPAT, "deep") if g.spec.name == "format-check")
    assert multi_line.spec.command.startswith("if command -v npx")


def test_legacy_only_config_is_deep() -> None:
    data = {"gates": [{"name": "a", "command": "true"}]}
    assert [g.spec.name for g in tier_gates(data, "deep")] == ["a"] and tier_gates(data, "fast") == []


def test_disabled_gates_are_left_out_and_new_keys_are_read() -> None:
    data = {"tiers": {"fast": {"gates": [
        {"name": "off", "command": "x", "enabled": False},
        {"name": "on", "command": "y", "env": {"N": 1, "B": True}, "cwd": "sub", "fix": "run y --fix",
         "requires": ["y"], "critical": True},
    ]}}}
    [gate] = tier_gates(data, "fast")
    assert gate.spec.env == {"N": "1", "B": "true"} and gate.spec.cwd == Path("sub")
    assert gate.spec.fix == "run y --fix" and gate.spec.requires == ("y",) and gate.spec.critical


def test_an_unknown_tier_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="no tier `nightly`"):
        tier_gates({"tiers": {"fast": {"gates": []}}}, "nightly")


def test_settings() -> None:
    settings = run_settings({"settings": {"parallel": False, "max_workers": 3, "fail_fast": True, "timeout": 5000}})
    assert (settings.parallel, settings.max_workers, settings.fail_fast, settings.timeout_ms) == (False, 3, True, 5000)
    workers = run_settings({}).max_workers
    assert workers is not None and workers >= 1 and hook_tier({}) == "fast"


def test_files_keys_and_builtins() -> None:
    data = {"tiers": {"fast": {"gates": [
        {"name": "lint", "command": "ruff check", "pass_filenames": True},
        {"name": "secrets", "command": "sfp scan-secrets {files}", "builtin": "secrets", "critical": True},
    ]}}}
    lint, secrets = tier_gates(data, "fast")
    assert lint.spec.pass_filenames and lint.spec.builtin is None
    assert (secrets.spec.builtin, secrets.spec.critical) == ("secrets", True)


def test_the_shipped_fast_tier_checks_only_the_sessions_files_and_their_secrets(tmp_path: Path) -> None:
    from sfp.config.layers import load_config

    claude_dir = tmp_path / "claude"
    claude_dir.mkdir()
    gates = {g.spec.name: g for g in tier_gates(load_config("gates", claude_dir, None).data, "fast")}
    assert "{files}" in gates["quick-lint"].spec.command and " . " not in gates["quick-lint"].spec.command + " "
    assert gates["secrets"].spec.builtin == "secrets" and gates["secrets"].spec.critical
    assert not gates["quick-lint"].spec.critical  # an optional lint never sends Claude back on its own


def test_the_schema_refuses_an_unknown_builtin(tmp_path: Path) -> None:
    from sfp.config.layers import load_config
    from sfp.errors import ConfigError

    claude_dir = tmp_path / "claude"
    (claude_dir / "sfp").mkdir(parents=True)
    (claude_dir / "sfp" / "gates.yaml").write_text("gates:\n  - name: x\n    command: x\n    builtin: nope\n")
    with pytest.raises(ConfigError, match="builtin"):
        load_config("gates", claude_dir, None)
