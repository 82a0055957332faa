"""`sfp plugin DIR`: a plugin folder the client accepts (validated for real in tests/e2e)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from helpers import clean_env


def run_plugin(built: dict[str, Path], tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = clean_env(tmp_path / "claude", home=tmp_path, SHIV_ROOT=str(tmp_path / "shiv"))
    return subprocess.run([sys.executable, str(built["shiv"]), "plugin", *args], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=60)


def test_plugin_folder_has_manifest_hooks_and_the_zipapp(built: dict[str, Path], tmp_path: Path) -> None:
    folder = tmp_path / "plug"
    done = run_plugin(built, tmp_path, str(folder))
    assert done.returncode == 0, done.stderr
    manifest = json.loads((folder / ".claude-plugin" / "plugin.json").read_text())
    assert manifest["name"] == "sfp" and isinstance(manifest["author"], dict) and "hooks" not in manifest
    hooks = json.loads((folder / "hooks" / "hooks.json").read_text())["hooks"]
    assert set(hooks) == {"SessionStart", "UserPromptSubmit", "PostToolUse", "Stop", "PreCompact", "SessionEnd"}
    for groups in hooks.values():
        [group] = groups
        assert group["hooks"][0]["command"].endswith('"${CLAUDE_PLUGIN_ROOT}/sfp.pyz" hook')
    assert (folder / "sfp.pyz").read_bytes() == built["shiv"].read_bytes()
    assert os.access(folder / "sfp.pyz", os.X_OK)
    assert "claude plugin validate" in done.stdout


def test_plugin_refuses_a_folder_with_other_things(built: dict[str, Path], tmp_path: Path) -> None:
    folder = tmp_path / "busy"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    done = run_plugin(built, tmp_path, str(folder))
    assert done.returncode == 2 and "not empty" in done.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]


def test_plugin_rewrites_its_own_folder(built: dict[str, Path], tmp_path: Path) -> None:
    folder = tmp_path / "plug"
    assert run_plugin(built, tmp_path, str(folder)).returncode == 0
    assert run_plugin(built, tmp_path, str(folder)).returncode == 0
