"""Headless Chromium for the report's browser test: install it, find it, drive it through chromedriver.

    python tests/report/browser.py install    # Debian's chromium and chromium-driver, when missing

chromedriver is spoken to over its W3C WebDriver HTTP API with urllib (no selenium). Chromium runs with
a new empty profile and without its background traffic (on a closed network its calls to Google are
refused and would show up as errors); the driver gets a process group of its own, and everything in
it, and anything else using the profile, is killed when the session ends, whatever happened.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

PACKAGES = ("chromium", "chromium-driver")
BROWSERS = ("chromium", "chromium-browser")
DRIVERS = ("chromedriver",)
DRIVER_FALLBACKS = (Path("/usr/lib/chromium/chromedriver"), Path("/usr/bin/chromedriver"))
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars")
APT_TIMEOUT_S = 900.0
START_TIMEOUT_S = 30.0
REQUEST_TIMEOUT_S = 60.0
INSTALL_HINT = "run `python3 tests/report/browser.py install` as root (apt-get install chromium chromium-driver)"


class BrowserUnavailable(Exception):
    """Chromium or chromedriver can't be found or installed here; the browser test must be skipped, saying why."""


class WebDriverError(Exception):
    """chromedriver answered a command with an error."""


# --- install and locate -----------------------------------------------------------------------------------


def locate(which: Callable[[str], str | None] = shutil.which) -> tuple[Path, Path] | None:
    """(chromium, chromedriver) when both are installed."""
    browser = next((found for name in BROWSERS if (found := which(name))), None)
    driver = next((found for name in DRIVERS if (found := which(name))), None)
    if driver is None:
        driver = next((str(p) for p in DRIVER_FALLBACKS if os.access(p, os.X_OK)), None)
    return (Path(browser), Path(driver)) if browser and driver else None


def install(timeout: float = APT_TIMEOUT_S, which: Callable[[str], str | None] = shutil.which,
            euid: Callable[[], int] = os.geteuid) -> tuple[Path, Path]:
    """Chromium and chromedriver, installed with apt-get first when missing. Raises BrowserUnavailable."""
    found = locate(which)
    if found is not None:
        return found
    apt = which("apt-get")
    if apt is None:
        raise BrowserUnavailable("Chromium is not installed and there is no apt-get here (not Debian or Ubuntu): "
                                 "install Chromium and its chromedriver by hand")
    if euid() != 0:
        raise BrowserUnavailable(f"Chromium is not installed and installing it needs root: sudo {apt} install -y "
                                 + " ".join(PACKAGES))
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for step in ([apt, "update", "-q"], [apt, "install", "-y", "-q", "--no-install-recommends", *PACKAGES]):
        try:
            done = subprocess.run(step, capture_output=True, text=True, env=env, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise BrowserUnavailable(f"`{' '.join(step)}` took over {timeout:.0f} s (no network?)") from None
        if done.returncode != 0:
            tail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
            raise BrowserUnavailable(f"`{' '.join(step)}` failed (exit {done.returncode}; no network or no "
                                     f"package archive?): {tail}")
    found = locate(which)
    if found is None:
        raise BrowserUnavailable(f"apt-get installed {' and '.join(PACKAGES)}, yet chromium or chromedriver is "
                                 "still not on PATH")
    return found


# --- a WebDriver session --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Browser:
    """One chromedriver and the headless Chromium it starts, for `with Browser(...) as browser:`."""

    def __init__(self, chromium: Path, chromedriver: Path, workdir: Path) -> None:
        self.chromium = chromium
        self.chromedriver = chromedriver
        self.profile = workdir / "profile"
        self.driver_log = workdir / "chromedriver.log"
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.session = ""

    def __enter__(self) -> Browser:
        self.profile.mkdir(parents=True)
        try:
            self._start_driver()
            self._start_session()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _start_driver(self) -> None:
        with open(self.driver_log, "wb") as log:
            self.process = subprocess.Popen([str(self.chromedriver), f"--port={self.port}"], stdout=log,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BrowserUnavailable(f"chromedriver exited at once ({self._log_tail()})")
            try:
                if self._call("GET", "/status").get("ready"):
                    return
            except (OSError, WebDriverError):
                pass
            time.sleep(0.1)
        raise BrowserUnavailable(f"chromedriver did not answer within {START_TIMEOUT_S:.0f} s ({self._log_tail()})")

    def _start_session(self) -> None:
        options = {"binary": str(self.chromium), "args": [*FLAGS, f"--user-data-dir={self.profile}"],
                   "perfLoggingPrefs": {"enableNetwork": True, "enablePage": False}}
        capabilities = {"browserName": "chrome", "goog:chromeOptions": options,
                        "goog:loggingPrefs": {"browser": "ALL", "performance": "ALL"}}
        try:
            value = self._call("POST", "/session", {"capabilities": {"alwaysMatch": capabilities}})
        except WebDriverError as exc:
            raise BrowserUnavailable(f"Chromium would not start under chromedriver: {exc}") from None
        self.session = str(value["sessionId"])

    def close(self) -> None:
        """End the session, then kill the driver's process group and whatever still uses the profile."""
        if self.session:
            try:
                self._call("DELETE", f"/session/{self.session}", timeout=10)
            except (OSError, WebDriverError):
                pass
            self.session = ""
        if self.process is not None:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(self.process.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.process.wait(timeout=5)
                    break
                except subprocess.TimeoutExpired:
                    continue
            try:
                os.killpg(self.process.pid, signal.SIGKILL)  # children outliving the driver
            except ProcessLookupError:
                pass
            self.process.wait()
            self.process = None
        for pid in processes_using(str(self.profile)):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    # -- commands --------------------------------------------------------------------------------------

    def open(self, url: str) -> None:
        self.command("POST", "url", {"url": url})

    def window(self, width: int, height: int) -> None:
        self.command("POST", "window/rect", {"width": width, "height": height})

    def run_script(self, script: str, *args: object) -> Any:
        return self.command("POST", "execute/sync", {"script": script, "args": list(args)})

    def screenshot(self) -> bytes:
        return base64.b64decode(self.command("GET", "screenshot"))

    def logs(self, kind: str) -> list[dict[str, Any]]:
        """The browser's `kind` log ("browser": the console; "performance": DevTools events) since the last call."""
        entries: list[dict[str, Any]] = self.command("POST", "se/log", {"type": kind})
        return entries

    def devtools(self, method: str, params: dict[str, Any]) -> Any:
        return self.command("POST", "goog/cdp/execute", {"cmd": method, "params": params})

    def command(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return self._call(method, f"/session/{self.session}/{path}", body)

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None,
              timeout: float = REQUEST_TIMEOUT_S) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                reply = json.loads(answer.read() or b"{}")
        except urllib.error.HTTPError as exc:
            reply = json.loads(exc.read() or b"{}")
            value = reply.get("value") or {}
            raise WebDriverError(f"{method} {path}: {value.get('error')}: "
                                 f"{str(value.get('message', '')).splitlines()[0:1]}") from None
        return reply.get("value")

    def _log_tail(self) -> str:
        try:
            lines = self.driver_log.read_text(errors="replace").strip().splitlines()
        except OSError:
            return "no log"
        return " | ".join(lines[-3:]) or "no output"


def processes_using(text: str) -> list[int]:
    """Pids whose command line holds `text` (the profile folder: every Chromium process names it)."""
    found = []
    needle = text.encode()
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if needle in (entry / "cmdline").read_bytes() and int(entry.name) != os.getpid():
                found.append(int(entry.name))
        except (OSError, ValueError):
            continue
    return found


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args not in (["install"], ["locate"]):
        print("usage: browser.py install|locate", file=sys.stderr)
        return 2
    try:
        found = install() if args == ["install"] else locate()
    except BrowserUnavailable as exc:
        print(f"browser.py: the report's browser test will be SKIPPED: {exc}", file=sys.stderr)
        return 1
    if found is None:
        print(f"browser.py: Chromium or chromedriver is not installed: {INSTALL_HINT}", file=sys.stderr)
        return 1
    print(f"chromium {found[0]}\nchromedriver {found[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
