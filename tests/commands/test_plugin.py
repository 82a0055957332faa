"""`sfp plugin DIR`: a plugin folder the client accepts (validated for real in tests/e2e)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from helpers import clean_env
from sfp.claude import settings as cc


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
    assert set(hooks) == set(cc.EVENTS)
    for groups in hooks.values():
        [group] = groups
        assert group["hooks"][0]["command"].endswith('"${CLAUDE_PLUGIN_ROOT}/sfp.pyz" hook')
        assert " -I -c " in group["hooks"][0]["command"]
    assert hooks["Stop"][0]["hooks"][0]["timeout"] == 120  # fallback.yaml's
    assert (folder / "README.md").is_file() and (folder / "LICENSE").is_file()
    assert manifest["version"].startswith(manifest["version"].split("+")[0] + "+")
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


def test_a_marketplace_holds_sfp_and_each_build_is_a_new_version(built: dict[str, Path], tmp_path: Path) -> None:
    market = tmp_path / "market"
    done = run_plugin(built, tmp_path, str(market), "--marketplace", "team-tools")
    assert done.returncode == 0, done.stderr
    catalog = json.loads((market / ".claude-plugin" / "marketplace.json").read_text())
    [entry] = catalog["plugins"]
    assert catalog["name"] == "team-tools" and entry["name"] == "sfp" and entry["source"] == "./plugins/sfp"
    plugin = market / "plugins" / "sfp"
    manifest = json.loads((plugin / ".claude-plugin" / "plugin.json").read_text())
    assert entry["version"] == manifest["version"]
    assert (plugin / "sfp.pyz").read_bytes() == built["shiv"].read_bytes()
    assert "claude plugin install sfp@team-tools" in (plugin / "README.md").read_text()
    assert "claude plugin marketplace add" in done.stdout and "sfp@team-tools" in done.stdout
    # Another build: another version, so `claude plugin update` takes it.
    other = tmp_path / "other.pyz"
    other.write_bytes(built["shiv"].read_bytes() + b"\0")
    env = clean_env(tmp_path / "claude", home=tmp_path, SHIV_ROOT=str(tmp_path / "shiv"))
    subprocess.run([sys.executable, str(other), "plugin", str(market), "--marketplace", "team-tools"],
                   check=True, capture_output=True, env=env, cwd=tmp_path, timeout=60)
    again = json.loads((market / ".claude-plugin" / "marketplace.json").read_text())["plugins"][0]["version"]
    assert again != entry["version"] and again.split("+")[0] == entry["version"].split("+")[0]


def test_a_marketplace_name_is_checked(built: dict[str, Path], tmp_path: Path) -> None:
    done = run_plugin(built, tmp_path, str(tmp_path / "m"), "--marketplace", "Bad Name")
    assert done.returncode == 2 and "marketplace name" in done.stderr


def test_under_umask_000_nothing_the_hooks_run_is_writable_by_others(built: dict[str, Path], tmp_path: Path) -> None:
    env = clean_env(tmp_path / "claude", home=tmp_path, SHIV_ROOT=str(tmp_path / "shiv"))
    market = tmp_path / "claude" / "market"
    done = subprocess.run([sys.executable, str(built["shiv"]), "plugin", str(market), "--marketplace", "mine"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60,
                          preexec_fn=lambda: os.umask(0))
    assert done.returncode == 0, done.stderr
    written = [market, *market.rglob("*")]
    assert len(written) > 8
    open_to_others = [p for p in written if p.stat().st_mode & 0o022]
    assert open_to_others == []


def test_plugin_json_says_what_was_written(built: dict[str, Path], tmp_path: Path) -> None:
    done = run_plugin(built, tmp_path, str(tmp_path / "market"), "--marketplace", "local", "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["schema"] == "sfp.plugin/1" and document["marketplace"] == "local"
    assert document["plugin_path"] == str(tmp_path / "market" / "plugins" / "sfp")
    assert Path(document["pyz_path"]).read_bytes() == built["shiv"].read_bytes()
    manifest = json.loads((tmp_path / "market" / ".claude-plugin" / "marketplace.json").read_text())
    assert manifest["plugins"][0]["version"] == document["version"]
