"""Fixtures for the end-to-end tests: the real client, a fake model server, a sandbox to run in.

When the client can't be installed (no npm, no registry) every test that needs it is skipped
with the reason, and the run ends with a warning that names it: never a silent pass.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from e2e.client import (CLIENT_VERSION, DEFAULT_PREFIX, PYZ, ClientUnavailable, Sandbox, build_pyz, ensure_client,
                        pyz_is_stale)
from e2e.model_server import ModelServer

# Where the client is installed; CI may point this at a cached folder.
PREFIX_VARIABLE = "SFP_E2E_CLIENT_PREFIX"
SKIP_PREFIX = f"e2e: real Claude Code {CLIENT_VERSION} unavailable"
_unavailable: list[str] = []


@pytest.fixture(scope="session")
def claude_bin() -> Path:
    """The native client binary, installed once into .cache/claude-code if it isn't there yet."""
    if _unavailable:
        pytest.skip(_unavailable[0])
    try:
        return ensure_client(Path(os.environ.get(PREFIX_VARIABLE) or DEFAULT_PREFIX))
    except ClientUnavailable as exc:
        _unavailable.append(f"{SKIP_PREFIX}: {exc}")
        pytest.skip(_unavailable[0])


@pytest.fixture(scope="session")
def sfp_pyz() -> Path:
    """dist/sfp.pyz as `make build` makes it, rebuilt first if it is missing or older than a source."""
    if pyz_is_stale(PYZ):
        failure = build_pyz()
        if failure is not None:
            pytest.fail(f"`python build.py` failed ({failure})")
    return PYZ


@pytest.fixture
def model() -> Iterator[ModelServer]:
    """A fresh model server with an empty script: `model.push(...)` the turns a test needs."""
    with ModelServer() as server:
        yield server


@pytest.fixture
def sandbox(claude_bin: Path, model: ModelServer, tmp_path: Path) -> Sandbox:
    return Sandbox(claude_bin, tmp_path, model.url)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _unavailable:
        return
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if SKIP_PREFIX in str(r.longrepr)]
    terminalreporter.write_sep("!", f"{len(skipped)} e2e tests SKIPPED, NOT PASSED", red=True, bold=True)
    terminalreporter.write_line(_unavailable[0], red=True)
