"""Shared fixtures: a private claude dir, ways to run sfp as a person does, and a marker for processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from helpers import ROOT, Run, alive_with, clean_env

# The property tests draw the same examples on every run (CI must not pass or fail by luck);
# HYPOTHESIS_PROFILE=explore draws new ones each time, for hunting.
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture
def claude_dir(tmp_path: Path) -> Path:
    path = tmp_path / "claude"
    path.mkdir()
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = tmp_path / "project"
    path.mkdir()
    return path


SfpRunner = Callable[..., Run]


@pytest.fixture
def sfp(claude_dir: Path, tmp_path: Path) -> SfpRunner:
    """Run `python -m sfp ARGS` from the source tree with a private claude dir and a private shiv cache
    (`sfp prune` and `uninstall --purge` clean shiv extractions: never this machine's)."""

    def run(*args: str, input: bytes | str | None = None, env: dict[str, str] | None = None,
            cwd: Path | None = None, timeout: float = 60) -> Run:
        data = input.encode() if isinstance(input, str) else input
        environ = env if env is not None else clean_env(claude_dir, SHIV_ROOT=str(tmp_path / "shiv"))
        environ = {**environ, "PYTHONPATH": str(ROOT)}
        done = subprocess.run([sys.executable, "-m", "sfp", *args], input=data, capture_output=True,
                              env=environ, cwd=cwd or tmp_path, timeout=timeout)
        return Run(done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"))

    return run


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """dist-like builds of this tree: {"shiv": path, "lean": path}, made once per test session."""
    out = tmp_path_factory.mktemp("dist")
    paths = {"shiv": out / "sfp.pyz", "lean": out / "sfp-lean.pyz"}
    for kind, path in paths.items():
        args = [sys.executable, str(ROOT / "build.py"), "-o", str(path)] + (["--lean"] if kind == "lean" else [])
        subprocess.run(args, check=True, capture_output=True, cwd=ROOT)
    yield paths


@pytest.fixture
def marker() -> Iterator[str]:
    """A `sleep` duration no other process uses (dash's sleep takes no extra args), e.g. 300.123456789,
    so a test can find the processes it started; whatever still holds it afterwards is killed."""
    value = f"300.{uuid.uuid4().int % 10**9:09d}"
    try:
        yield value
    finally:
        for pid in alive_with(value):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
