"""Install, locate and run the real Claude Code client for the end-to-end tests.

    python tests/e2e/client.py install     # idempotent; prints each version and its native binary

Each client version in CLIENT_VERSIONS goes into its own prefix,
<project>/.cache/claude-code-<version> (gitignored), and nothing is written
outside .cache: npm's cache and logs are pointed there too. Each
session runs in a sandbox: a temp HOME and claude dir, a git-initialised
project, and an environment scrubbed of the caller's ANTHROPIC_*, CLAUDE_* and
SFP_* (and GIT_*) variables, so the client only ever talks to the local model server.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CLIENT_PACKAGE = "@anthropic-ai/claude-code"
# Every version the e2e suite runs against, oldest first: each test runs once per version. The one
# place that names them.
CLIENT_VERSIONS = ("2.1.197", "2.1.332")
CLIENT_VERSION = CLIENT_VERSIONS[0]
ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache"
# Where the versions are installed, each in a prefix of its own; CI may point this at a cached folder.
PREFIX_VARIABLE = "SFP_E2E_CLIENT_PREFIX"
INSTALL_TIMEOUT = 900.0
SESSION_TIMEOUT = 60.0
PYZ = ROOT / "dist" / "sfp.pyz"
# sfp's CLI (install, plugin, restore...) and the client's own subcommands (plugin validate).
COMMAND_TIMEOUT = 60.0
# GIT_DIR and friends would send the client's (and sfp's) git calls to the caller's repository.
SCRUBBED_PREFIXES = ("ANTHROPIC_", "CLAUDE_", "SFP_", "GIT_")
HOOK_EVENTS = ("SessionStart", "UserPromptSubmit", "PreToolUse", "PostToolUse", "Stop", "PreCompact", "PostCompact",
               "TaskCreated", "TaskCompleted", "SessionEnd")
# What fires in every scripted session that compacts (task events only when a task tool runs).
SESSION_EVENTS = tuple(e for e in HOOK_EVENTS if e not in ("TaskCreated", "TaskCompleted"))
TOOL_EVENTS = frozenset({"PreToolUse", "PostToolUse"})
EDIT_TOOLS = "Write|Edit|MultiEdit"
# 2.1.332 offers no TaskCreate/TaskUpdate to its default model unless this is set (2.1.197 ignores it).
TASK_TOOLS_ENV = {"CLAUDE_CODE_ENABLE_TODO_TOOLS": "1"}


def client_prefix(version: str = CLIENT_VERSION, outer: Mapping[str, str] = os.environ) -> Path:
    """The npm prefix `version` is installed under: .cache/claude-code-<version>, or
    $SFP_E2E_CLIENT_PREFIX/<version>."""
    base = outer.get(PREFIX_VARIABLE)
    return Path(base) / version if base else CACHE / f"claude-code-{version}"


DEFAULT_PREFIX = client_prefix()


class ClientUnavailable(Exception):
    """The client can't be installed or run here; the e2e tests must be skipped, saying why."""


class SessionTimeout(AssertionError):
    """A `claude -p` run outlived its time limit and was killed with its process group."""


# ---------------------------------------------------------------------------------------------
# Install and locate


def installed_version(prefix: Path) -> str | None:
    """The version of the client package npm put under `prefix`, if any."""
    manifest = prefix / "node_modules" / CLIENT_PACKAGE / "package.json"
    try:
        version = json.loads(manifest.read_text(encoding="utf-8")).get("version")
    except (OSError, ValueError):
        return None
    return version if isinstance(version, str) else None


def native_binary_candidates(prefix: Path) -> list[Path]:
    """Native `claude` executables npm installed: the per-platform package holds the real binary
    (`bin/claude.exe` of the main package is only a copy of it once its postinstall script has run)."""
    scope = prefix / "node_modules" / "@anthropic-ai"
    found = sorted(scope.glob("claude-code-*/claude")) + [scope / "claude-code" / "bin" / "claude.exe"]
    return [path for path in found if path.is_file() and os.access(path, os.X_OK)]


def reported_version(binary: Path, timeout: float = 30.0) -> str | None:
    """What `claude --version` says, run with a throwaway HOME so it can't touch the real one."""
    with tempfile.TemporaryDirectory(prefix="claude-version-") as home:
        env = {**scrubbed_env(os.environ), "HOME": home, "CLAUDE_CONFIG_DIR": str(Path(home) / ".claude")}
        try:
            done = subprocess.run([str(binary), "--version"], capture_output=True, text=True, env=env,
                                  timeout=timeout, cwd=home)
        except (OSError, subprocess.SubprocessError):
            return None
    words = done.stdout.split()
    return words[0] if done.returncode == 0 and words else None


def locate_client(prefix: Path | None = None, version: str = CLIENT_VERSION) -> Path | None:
    """The installed native binary that runs and reports `version`, or None."""
    prefix = client_prefix(version) if prefix is None else prefix
    if installed_version(prefix) != version:
        return None
    for binary in native_binary_candidates(prefix):
        if reported_version(binary) == version:
            _versions[binary] = version
            return binary
    return None


_versions: dict[Path, str] = {}


def binary_version(binary: Path) -> str:
    """The client version of `binary` (known once it was located; else asked of the binary)."""
    if binary not in _versions:
        _versions[binary] = reported_version(binary) or "unknown"
    return _versions[binary]


def npm_install_command(npm: str, prefix: Path, version: str = CLIENT_VERSION) -> list[str]:
    # --ignore-scripts: the postinstall only copies the platform binary over a stub, and we run
    # the platform binary directly, so no package script needs to run on this machine.
    return [npm, "install", "--no-audit", "--no-fund", "--ignore-scripts", "--no-save",
            "--fetch-retries=1", "--fetch-timeout=60000", "--prefix", str(prefix),
            f"{CLIENT_PACKAGE}@{version}"]


def install_client(prefix: Path | None = None, version: str = CLIENT_VERSION,
                   timeout: float = INSTALL_TIMEOUT) -> None:
    """`npm install` the client under `prefix`; raises ClientUnavailable saying what went wrong."""
    prefix = client_prefix(version) if prefix is None else prefix
    npm = shutil.which("npm")
    if npm is None:
        raise ClientUnavailable("npm is not on PATH (install Node.js >= 18 to run the e2e tests)")
    prefix.mkdir(parents=True, exist_ok=True)
    npm_cache = prefix.parent / f"npm-cache-{prefix.name}"
    env = {**os.environ, "npm_config_cache": str(npm_cache), "npm_config_update_notifier": "false"}
    try:
        done = subprocess.run(npm_install_command(npm, prefix, version), capture_output=True, text=True,
                              env=env, timeout=timeout, cwd=prefix)
    except subprocess.TimeoutExpired:
        raise ClientUnavailable(f"npm install {CLIENT_PACKAGE}@{version} took over {timeout:.0f} s") from None
    finally:
        # The tarballs are only needed once; keep .cache to the installed client.
        shutil.rmtree(npm_cache, ignore_errors=True)
    if done.returncode != 0:
        raise ClientUnavailable(f"npm install {CLIENT_PACKAGE}@{version} failed (exit {done.returncode}; "
                                f"registry unreachable?): {npm_error_summary(done.stderr or done.stdout)}")


def npm_error_summary(output: str, limit: int = 3) -> str:
    """The first few `npm error` lines that say what failed, without stack frames or log paths."""
    lines = [line.removeprefix("npm error").strip() for line in output.splitlines()
             if line.startswith("npm error")]
    telling = [line for line in lines if line and not line.startswith(("at ", "A complete log", "syscall ", "errno "))]
    return "; ".join(telling[:limit]) or output.strip()[-300:]


def ensure_client(prefix: Path | None = None, version: str = CLIENT_VERSION) -> Path:
    """The native client binary, installing it first unless the right version is already there."""
    prefix = client_prefix(version) if prefix is None else prefix
    with _install_lock(prefix):
        binary = locate_client(prefix, version)
        if binary is None:
            install_client(prefix, version)
            binary = locate_client(prefix, version)
    if binary is None:
        found = ", ".join(str(p) for p in native_binary_candidates(prefix)) or "none"
        raise ClientUnavailable(f"npm installed {CLIENT_PACKAGE}@{version} under {prefix} but no native "
                                f"binary there reports version {version} (candidates: {found})")
    return binary


class _install_lock:
    """An exclusive lock so parallel test processes don't run two npm installs into one folder."""

    def __init__(self, prefix: Path) -> None:
        self._path = prefix.parent / f".{prefix.name}.lock"
        self._fd = -1

    def __enter__(self) -> None:
        import fcntl

        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        os.close(self._fd)


# ---------------------------------------------------------------------------------------------
# Run sessions


def scrubbed_env(outer: Mapping[str, str]) -> dict[str, str]:
    """The caller's environment minus anything that would point the client (or sfp) elsewhere."""
    return {k: v for k, v in outer.items() if not k.startswith(SCRUBBED_PREFIXES)}


def client_env(home: Path, base_url: str, outer: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The environment of a sandboxed, offline client session talking to `base_url`."""
    return {
        **scrubbed_env(outer),
        "HOME": str(home),
        "CLAUDE_CONFIG_DIR": str(home / ".claude"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "TMPDIR": str(home / "tmp"),
        "ANTHROPIC_BASE_URL": base_url,
        "ANTHROPIC_API_KEY": "sk-test",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_AUTOUPDATER": "1",
        "DISABLE_ERROR_REPORTING": "1",
    }


def hook_settings(command: str, events: Iterable[str] = HOOK_EVENTS, matcher: str = EDIT_TOOLS,
                  timeout: int = 10) -> dict[str, Any]:
    """settings.json content that runs `command` for each of `events` (tool events on `matcher`)."""
    hooks: dict[str, Any] = {}
    for event in events:
        group: dict[str, Any] = {"hooks": [{"type": "command", "command": command, "timeout": timeout}]}
        if event in TOOL_EVENTS:
            group = {"matcher": matcher, **group}
        hooks.setdefault(event, []).append(group)
    return {"hooks": hooks}


def merge_hooks(*settings: Mapping[str, Any]) -> dict[str, Any]:
    """Several hook_settings() in one: each event runs every group given for it, in order."""
    hooks: dict[str, list[Any]] = {}
    for one in settings:
        for event, groups in one.get("hooks", {}).items():
            hooks.setdefault(event, []).extend(groups)
    return {"hooks": hooks}


@dataclass(frozen=True)
class Result:
    """One `claude -p` run: exit code, raw output, and the parsed `--output-format json` object."""

    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> dict[str, Any]:
        try:
            parsed = json.loads(self.stdout)
        except ValueError:
            raise AssertionError(f"claude printed no JSON result:\n{self.describe()}") from None
        if not isinstance(parsed, dict):
            raise AssertionError(f"claude's JSON result is not an object:\n{self.describe()}")
        return parsed

    @property
    def session_id(self) -> str:
        session = self.output.get("session_id")
        if not isinstance(session, str) or not session:
            raise AssertionError(f"claude's result names no session_id:\n{self.describe()}")
        return session

    @property
    def ok(self) -> bool:
        return self.code == 0 and self.output.get("is_error") is False

    def describe(self) -> str:
        return (f"$ {' '.join(self.args)}\nexit {self.code} after {self.seconds:.1f} s\n"
                f"--- stdout\n{self.stdout[-4000:]}\n--- stderr\n{self.stderr[-4000:]}")


def run_client(args: Sequence[str], cwd: Path, env: Mapping[str, str],
               timeout: float = SESSION_TIMEOUT) -> Result:
    """Run the client (or any command) to completion; on timeout kill its whole process group (hooks
    included)."""
    started = time.monotonic()
    process = subprocess.Popen(list(args), cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process.pid)
        stdout, stderr = process.communicate()
        result = Result(tuple(args), -9, stdout, stderr, time.monotonic() - started)
        raise SessionTimeout(f"{Path(args[0]).name} ran over {timeout:.0f} s and was killed:\n{result.describe()}") from None
    finally:
        if process.poll() is None:
            _kill_group(process.pid)
            process.wait()
    return Result(tuple(args), process.returncode, stdout, stderr, time.monotonic() - started)


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@dataclass
class Sandbox:
    """A throwaway HOME, claude dir and git project in which the client runs against `base_url`."""

    binary: Path
    root: Path
    base_url: str
    runs: list[Result] = field(default_factory=list)
    # More environment for every run in the sandbox (TASK_TOOLS_ENV, say); it wins over client_env().
    extra_env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for folder in (self.claude_dir, self.home / "tmp", self.project):
            folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "init", "-q", str(self.project)], check=True, capture_output=True,
                       env={**scrubbed_env(os.environ), "HOME": str(self.home)})

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def claude_dir(self) -> Path:
        return self.home / ".claude"

    @property
    def project(self) -> Path:
        return self.root / "project"

    @property
    def version(self) -> str:
        """The client version this sandbox runs (one of CLIENT_VERSIONS)."""
        return binary_version(self.binary)

    @property
    def env(self) -> dict[str, str]:
        return {**client_env(self.home, self.base_url), **self.extra_env}

    def write_settings(self, settings: Mapping[str, Any]) -> Path:
        path = self.claude_dir / "settings.json"
        path.write_text(json.dumps(settings, indent=2), encoding="utf-8")
        return path

    def command(self, prompt: str, resume: str | None, permission_mode: str | None,
                extra: Sequence[str]) -> list[str]:
        args = [str(self.binary), "-p", "--output-format", "json"]
        if permission_mode:
            args += ["--permission-mode", permission_mode]
        if resume:
            args += ["--resume", resume]
        return [*args, *extra, prompt]

    def run(self, prompt: str, *, resume: str | None = None, permission_mode: str | None = "acceptEdits",
            extra: Sequence[str] = (), timeout: float = SESSION_TIMEOUT, check: bool = True) -> Result:
        """`claude -p PROMPT` in the project; with `check`, fail unless it ended without error."""
        result = run_client(self.command(prompt, resume, permission_mode, extra), self.project, self.env,
                            timeout)
        self.runs.append(result)
        if check and not result.ok:
            raise AssertionError(f"claude -p failed:\n{result.describe()}")
        return result

    def client(self, *args: str, timeout: float = COMMAND_TIMEOUT) -> Result:
        """The client's own subcommands (`plugin validate DIR`), in the sandbox, unchecked."""
        return run_client([str(self.binary), *args], self.project, self.env, timeout)

    def install_pyz(self, pyz: Path) -> Path:
        """A copy of `pyz` in the sandbox's ~/.local/bin, as the README installs it: hooks then run
        this copy, whatever rebuilds dist/sfp.pyz meanwhile."""
        target = self.home / ".local" / "bin" / "sfp.pyz"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(pyz, target)
        target.chmod(0o755)
        return target

    def install_sfp(self, pyz: Path, context: str | None = None) -> Path:
        """sfp as the README installs it: a copy on the sandbox's PATH, `sfp install`, and (given
        `context`) a `.context/CLAUDE.md`, which keeps the health check quiet. Returns the copy."""
        installed = self.install_pyz(pyz)
        done = self.sfp(installed, "install")
        assert done.code == 0, done.describe()
        if context is not None:
            folder = self.claude_dir / ".context"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "CLAUDE.md").write_text(context, encoding="utf-8")
        return installed

    def sfp(self, pyz: Path, *args: str, timeout: float = COMMAND_TIMEOUT) -> Result:
        """`<python> PYZ ARGS` in the project with the sandbox's HOME and claude dir, unchecked."""
        return run_client([sys.executable, str(pyz), *args], self.project, self.env, timeout)

    def transcript(self, session_id: str) -> list[dict[str, Any]]:
        """The session's transcript records (tolerating a torn last line)."""
        records: list[dict[str, Any]] = []
        for path in (self.claude_dir / "projects").glob(f"*/{session_id}.jsonl"):
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    records.append(json.loads(line))
                except ValueError:
                    continue
        return records


# ---------------------------------------------------------------------------------------------
# sfp under the client


def pyz_build_inputs() -> list[Path]:
    return [*ROOT.glob("sfp/**/*.py"), *ROOT.glob("config/*.yaml"), ROOT / "build.py"]


def pyz_is_stale(pyz: Path = PYZ) -> bool:
    """True when `pyz` is missing or older than a file it is built from."""
    if not pyz.exists():
        return True
    built = pyz.stat().st_mtime
    return any(path.stat().st_mtime > built for path in pyz_build_inputs())


def build_pyz() -> str | None:
    """Build dist/sfp.pyz as `make build` does; None when it worked, else what build.py said."""
    done = subprocess.run([sys.executable, str(ROOT / "build.py")], capture_output=True, text=True, cwd=ROOT,
                          timeout=INSTALL_TIMEOUT)
    return None if done.returncode == 0 else f"exit {done.returncode}:\n{done.stdout}{done.stderr}"


def sfp_log(claude_dir: Path) -> list[dict[str, Any]]:
    """sfp's log lines (`<claude-dir>/logs/sfp.log`), each parsed; a line that isn't a JSON object fails."""
    path = claude_dir / "logs" / "sfp.log"
    assert path.exists(), f"sfp wrote no log at {path}: did any hook run sfp?"
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        assert isinstance(record, dict), line
        records.append(record)
    return records


def logged(records: Iterable[Mapping[str, Any]], event: str, session: str) -> list[Mapping[str, Any]]:
    """The log records of `event` in `session`."""
    return [r for r in records if r.get("event") == event and r.get("session") == session]


def main(argv: Sequence[str] | None = None) -> int:
    """`install` or `locate` every version in CLIENT_VERSIONS: one `<version> <binary>` line each."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args not in (["install"], ["locate"]):
        print("usage: client.py install|locate", file=sys.stderr)
        return 2
    failed = 0
    for version in CLIENT_VERSIONS:
        try:
            binary = ensure_client(version=version) if args == ["install"] else locate_client(version=version)
        except ClientUnavailable as exc:
            print(f"client.py: Claude Code {version} unavailable: {exc}", file=sys.stderr)
            failed = 1
            continue
        if binary is None:
            print(f"client.py: Claude Code {version} is not installed under {client_prefix(version)}",
                  file=sys.stderr)
            failed = 1
            continue
        print(version, binary)
    return failed


if __name__ == "__main__":
    sys.exit(main())
