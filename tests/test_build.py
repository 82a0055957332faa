"""build.py: one executable file holding only sfp and its default configs, the same bytes every time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from helpers import DATA, ROOT, clean_env

KINDS = ["shiv", "lean"]


def build(tmp_path: Path, name: str, lean: bool = False) -> Path:
    out = tmp_path / name
    args = [sys.executable, str(ROOT / "build.py"), "-o", str(out)] + (["--lean"] if lean else [])
    subprocess.run(args, check=True, capture_output=True, cwd=ROOT)
    return out


@pytest.mark.parametrize("lean", [False, True], ids=["shiv", "lean"])
def test_two_builds_are_byte_identical(tmp_path: Path, lean: bool) -> None:
    first = build(tmp_path, "a.pyz", lean)
    os.utime(ROOT / "sfp" / "__init__.py")  # a touched source must not change the output
    second = build(tmp_path, "b.pyz", lean)
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.parametrize("kind", KINDS)
def test_the_file_is_an_executable_zip_with_an_env_shebang(built: dict[str, Path], kind: str) -> None:
    path = built[kind]
    assert path.read_bytes().startswith(b"#!/usr/bin/env python3\n")
    assert os.access(path, os.X_OK)
    assert zipfile.is_zipfile(path)


def test_shiv_build_holds_only_sfp_configs_and_the_bootstrap(built: dict[str, Path]) -> None:
    names = zipfile.ZipFile(built["shiv"]).namelist()
    ours = [n for n in names if n.startswith("site-packages/")]
    assert ours and all(n.startswith("site-packages/sfp/") for n in ours)
    assert "site-packages/sfp/_defaults/gates.yaml" in names
    assert "site-packages/sfp/_manifest.json" in names
    others = {n.split("/")[0] for n in names if not n.startswith("site-packages/")}
    assert others == {"_bootstrap", "environment.json", "__main__.py"}
    assert not [n for n in names if n.endswith(".pyc") or "tests" in n]


def test_lean_build_holds_only_sfp_and_main(built: dict[str, Path]) -> None:
    names = zipfile.ZipFile(built["lean"]).namelist()
    assert {n.split("/")[0] for n in names} == {"sfp", "__main__.py"}
    assert "sfp/_defaults/fallback.yaml" in names


def test_manifest_lists_every_shipped_file_with_its_sum(built: dict[str, Path]) -> None:
    archive = zipfile.ZipFile(built["lean"])
    manifest = json.loads(archive.read("sfp/_manifest.json"))
    shipped = {n.removeprefix("sfp/") for n in archive.namelist()
               if n.startswith("sfp/") and not n.endswith("/") and not n.endswith(".pyc")}  # bytecode is derived
    assert set(manifest) == shipped - {"_manifest.json"}
    import hashlib

    assert manifest["cli.py"] == [hashlib.sha256(archive.read("sfp/cli.py")).hexdigest(), len(archive.read("sfp/cli.py"))]


@pytest.mark.parametrize("kind", KINDS)
def test_smoke_version_health_and_hook(built: dict[str, Path], kind: str, tmp_path: Path) -> None:
    claude = tmp_path / "claude"
    env = clean_env(claude, home=tmp_path, SHIV_ROOT=str(tmp_path / "shiv"))

    def run(*a: str, data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([sys.executable, str(built[kind]), *a], input=data,
                              capture_output=True, env=env, cwd=tmp_path, timeout=60)

    version = run("--version")
    assert version.returncode == 0 and version.stdout.decode().startswith("sfp ")
    health = run("health", "--json")
    report = json.loads(health.stdout)
    integrity = next(c for c in report["checks"] if c["name"] == "plugin_integrity")
    assert integrity["details"]["files_checked"] > 10 and integrity["details"]["installed_in"] == []
    assert integrity["status"] == "degraded" and "sfp install" in integrity["details"]["fix"]  # files fine, not installed
    (claude / ".context").mkdir(parents=True)
    hook = run("hook", data=(DATA / "payloads" / "00-SessionStart.json").read_bytes())
    assert hook.returncode == 0 and b"Traceback" not in hook.stderr
    answer = json.loads(hook.stdout)  # .context/ without its CLAUDE.md: degraded, so it speaks
    assert "context_integrity" in answer["hookSpecificOutput"]["additionalContext"]


def test_a_damaged_shiv_cache_is_reported_unhealthy(built: dict[str, Path], tmp_path: Path) -> None:
    env = clean_env(tmp_path / "claude", home=tmp_path, SHIV_ROOT=str(tmp_path / "shiv"))
    command = [sys.executable, str(built["shiv"]), "health", "--json"]
    assert subprocess.run(command, capture_output=True, env=env, timeout=60).returncode in (0, 1)
    [extracted] = (tmp_path / "shiv").glob("sfp.pyz_*/site-packages/sfp/infra/log.py")
    extracted.write_text(extracted.read_text() + "\n# edited\n")
    done = subprocess.run(command, capture_output=True, env=env, timeout=60)
    report = json.loads(done.stdout)
    integrity = next(c for c in report["checks"] if c["name"] == "plugin_integrity")
    assert integrity["status"] == "unhealthy" and "log.py differs" in integrity["message"]
    assert done.returncode == 1
