"""Fixtures for the end-to-end tests: the real client, a fake model server, a sandbox to run in.

Every test that uses the client runs once per version in CLIENT_VERSIONS (the session-scoped
`client_version` fixture is parametrized; test ids end in `[claude-<version>]`). A case that can't pass
on one version says so with `@pytest.mark.xfail_on_client(VERSION, reason=...)` (a strict xfail: it must
fail there) or `@pytest.mark.skip_on_client(VERSION, reason=...)`.

When a client can't be installed (no npm, no registry) every test that needs it is skipped
with the reason, and the run ends with a warning that names it: never a silent pass.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from e2e.client import CLIENT_VERSIONS, PYZ, ClientUnavailable, Sandbox, build_pyz, ensure_client, pyz_is_stale
from e2e.model_server import ModelServer

# A prebuilt sfp zipapp to test instead of dist/sfp.pyz.
PYZ_VARIABLE = "SFP_E2E_PYZ"
SKIP_PREFIX = "e2e: real Claude Code {version} unavailable"
_unavailable: dict[str, str] = {}
VERSION_MARKS = ("xfail_on_client", "skip_on_client")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "xfail_on_client(version, reason): a strict xfail on that client version only")
    config.addinivalue_line("markers", "skip_on_client(version, reason): skipped on that client version only")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Turn the version marks into a strict xfail / a skip on the one version they name."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        version = callspec.params.get("client_version") if callspec is not None else None
        if version is None:
            continue
        for mark in item.iter_markers("xfail_on_client"):
            if version in mark.args:
                item.add_marker(pytest.mark.xfail(strict=True, reason=f"on {version}: {mark.kwargs['reason']}"))
        for mark in item.iter_markers("skip_on_client"):
            if version in mark.args:
                item.add_marker(pytest.mark.skip(reason=f"on {version}: {mark.kwargs['reason']}"))


@pytest.fixture(scope="session", params=CLIENT_VERSIONS, ids=lambda version: f"claude-{version}")
def client_version(request: pytest.FixtureRequest) -> str:
    """The client version this test runs against (one of CLIENT_VERSIONS)."""
    version: str = request.param
    return version


@pytest.fixture(scope="session")
def claude_bin(client_version: str) -> Path:
    """The native client binary of `client_version`, installed once into .cache/claude-code-<version>
    (or $SFP_E2E_CLIENT_PREFIX/<version>) if it isn't there yet."""
    if client_version in _unavailable:
        pytest.skip(_unavailable[client_version])
    try:
        return ensure_client(version=client_version)
    except ClientUnavailable as exc:
        _unavailable[client_version] = f"{SKIP_PREFIX.format(version=client_version)}: {exc}"
        pytest.skip(_unavailable[client_version])


@pytest.fixture(scope="session")
def sfp_pyz() -> Path:
    """dist/sfp.pyz as `make build` makes it, rebuilt first if it is missing or older than a source;
    $SFP_E2E_PYZ, when set, names a zipapp to test instead (used as it is, never rebuilt)."""
    if os.environ.get(PYZ_VARIABLE):
        given = Path(os.environ[PYZ_VARIABLE]).resolve()
        if not given.is_file():
            pytest.fail(f"${PYZ_VARIABLE} names no file: {given}")
        return given
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
    for version, reason in _unavailable.items():
        prefix = SKIP_PREFIX.format(version=version)
        skipped = [r for r in terminalreporter.stats.get("skipped", []) if prefix in str(r.longrepr)]
        terminalreporter.write_sep("!", f"{len(skipped)} e2e tests on Claude Code {version} SKIPPED, NOT PASSED",
                                   red=True, bold=True)
        terminalreporter.write_line(reason, red=True)
