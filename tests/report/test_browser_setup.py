"""browser.py's own promises: a loud reason when Chromium can't be installed, and a usage line."""

from __future__ import annotations

import pytest

from report.browser import BrowserUnavailable, install, locate, main


def nothing(_name: str) -> str | None:
    return None


def only_apt(name: str) -> str | None:
    return "/usr/bin/apt-get" if name == "apt-get" else None


def test_without_apt_get_the_reason_says_so() -> None:
    with pytest.raises(BrowserUnavailable, match="no apt-get"):
        install(which=nothing)


def test_without_root_the_reason_gives_the_command() -> None:
    with pytest.raises(BrowserUnavailable, match=r"needs root: sudo /usr/bin/apt-get install -y chromium chromium-driver"):
        install(which=only_apt, euid=lambda: 1000)


def test_no_browser_on_path_is_not_found() -> None:
    assert locate(nothing) is None


def test_an_unknown_subcommand_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fetch"]) == 2 and "usage: browser.py install|locate" in capsys.readouterr().err
