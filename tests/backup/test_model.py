"""Backup settings: the `backup:` section of sfp.yaml, typed."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfp.backup.model import BackupSettings, load_backup_settings
from sfp.errors import ConfigError


def test_backup_settings_come_from_sfp_yaml_and_bad_values_name_their_line(tmp_path: Path) -> None:
    claude = tmp_path / "claude"
    (claude / "sfp").mkdir(parents=True)
    assert load_backup_settings(claude, None) == BackupSettings(10, 20, (), None, None)
    config = claude / "sfp" / "sfp.yaml"
    config.write_text("backup:\n  keep: 3\n  extra_paths: [a]\n  encrypt_command: gpg -e\n")
    assert load_backup_settings(claude, None) == BackupSettings(3, 20, ("a",), "gpg -e", None)
    for bad in ("keep: 0", "keep: true", "keep_handoffs: '5'", "extra_paths: a", "keep: -1"):
        config.write_text(f"backup:\n  {bad}\n")
        with pytest.raises(ConfigError, match=r"sfp\.yaml:2:\d+: `backup\."):
            load_backup_settings(claude, None)
