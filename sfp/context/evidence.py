"""Evidence: quick checks that a project is ready to work on, from file names alone.

Three checks, named as in evidence.yaml (`enabled: false` turns one off):

- project-structure: the project folder exists and is readable; each known
  manifest there (the `manifests:` map of evidence.yaml) is a non-empty file,
  and package.json / composer.json parse as JSON (TOML manifests are not
  parsed: importing tomllib would cost more than every check). A folder with no manifest is fine (not every project
  is code).
- dependencies-check: a manifest that declares dependencies needs them
  installed where the ecosystem installs them per project. Node needs
  `node_modules` in the project or a parent folder (Node looks upwards), or
  Yarn Plug'n'Play's `.pnp.cjs`. Python needs a virtual environment: a
  folder with `pyvenv.cfg` named .venv, venv, env or .env in the project or
  a parent, or `$VIRTUAL_ENV` / `$CONDA_PREFIX` set; a project managed by
  Poetry or Pipenv (poetry.lock, Pipfile.lock) keeps its environment
  elsewhere and is not checked. PHP needs `vendor/`, Elixir (with
  mix.lock) `deps/`. Rust, Go, Java, Ruby and others install into a shared
  cache when they build, so there is nothing per project to look at.
  What is missing is a warning: the work may still be possible.
- config-files: every path in `required_files` exists (relative to the
  project; a trailing `/` asks for a folder). A missing one fails the check.

A failed check with `critical: true` makes the report critical (exit 1 for
`sfp evidence`); with `validation.fail_fast` the checks after it are skipped.
Nothing here runs a program: each check is a few stats and small reads.
"""

from __future__ import annotations

import json
import os
import stat
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from sfp.infra.record import Record

OK: Final = "ok"
WARNING: Final = "warning"
FAILED: Final = "failed"
SKIPPED: Final = "skipped"

CHECK_NAMES: Final = ("project-structure", "dependencies-check", "config-files")

DEFAULT_MANIFESTS: Final[Mapping[str, tuple[str, ...]]] = {
    "python": ("pyproject.toml", "setup.py", "setup.cfg", "requirements.txt", "Pipfile"),
    "node": ("package.json",),
    "rust": ("Cargo.toml",),
    "go": ("go.mod",),
    "ruby": ("Gemfile",),
    "php": ("composer.json",),
    "java": ("pom.xml", "build.gradle", "build.gradle.kts"),
    "elixir": ("mix.exs",),
    "dart": ("pubspec.yaml",),
    "swift": ("Package.swift",),
}
VENV_NAMES: Final = (".venv", "venv", "env", ".env")
MAX_MANIFEST_BYTES: Final = 1024 * 1024
MAX_PARENT_LEVELS: Final = 32


# NamedTuples, not dataclasses: this runs inside the prompt hook, where defining a dataclass costs ~1 ms.
class CheckSpec(Record):
    name: str
    critical: bool = False
    enabled: bool = True


DEFAULT_CHECKS: Final = tuple(CheckSpec(name) for name in CHECK_NAMES)


class EvidenceSettings(Record):
    checks: tuple[CheckSpec, ...] = DEFAULT_CHECKS
    required_files: tuple[str, ...] = ()
    manifests: Mapping[str, tuple[str, ...]] = DEFAULT_MANIFESTS
    fail_fast: bool = True
    timeout_ms: int = 30000


class CheckResult(Record):
    name: str
    status: str  # ok | warning | failed | skipped
    message: str
    critical: bool = False
    fix: str | None = None


class EvidenceReport(Record):
    project: Path
    checks: tuple[CheckResult, ...]
    duration_ms: float

    def problems(self) -> list[CheckResult]:
        return [c for c in self.checks if c.status in (WARNING, FAILED)]

    @property
    def critical_failure(self) -> bool:
        return any(c.status == FAILED and c.critical for c in self.checks)

    @property
    def status(self) -> str:
        statuses = {c.status for c in self.checks}
        return FAILED if FAILED in statuses else WARNING if WARNING in statuses else OK


def settings_from(data: Mapping[str, Any]) -> EvidenceSettings:
    """EvidenceSettings from evidence.yaml's merged data; the schema has checked every value."""
    default = EvidenceSettings()
    validation = data.get("validation") or {}
    checks = data.get("checks")
    manifests = data.get("manifests")
    return EvidenceSettings(
        checks=default.checks if checks is None else tuple(
            CheckSpec(c["name"], c.get("critical", False), c.get("enabled", True)) for c in checks),
        required_files=tuple(name for name in data.get("required_files", ()) if name),
        manifests=default.manifests if manifests is None else {kind: tuple(names) for kind, names in manifests.items()},
        fail_fast=validation.get("fail_fast", True),
        timeout_ms=validation.get("timeout", default.timeout_ms),
    )


# --- running ---------------------------------------------------------------------------------------

class _Project:
    """What the checks share: the folder, its file names (one listing) and the manifests parsed once."""

    def __init__(self, root: Path, names: frozenset[str], environ: Mapping[str, str]) -> None:
        self.root = root
        self.names = names
        self.environ = environ
        self.parsed: dict[str, Any] = {}

    def has_file(self, name: str) -> bool:
        return name in self.names and os.path.isfile(self.root / name)

    def manifest(self, name: str) -> Any:
        """The parsed JSON or TOML manifest, None when absent; raises ValueError when it doesn't parse."""
        if name not in self.parsed:
            self.parsed[name] = _parse_manifest(self.root / name) if self.has_file(name) else None
        value = self.parsed[name]
        if isinstance(value, ValueError):
            raise value
        return value


def run_evidence(
    project: Path,
    settings: EvidenceSettings,
    environ: Mapping[str, str] = os.environ,
    clock: Callable[[], float] = time.monotonic,
) -> EvidenceReport:
    started = clock()
    state = _open_project(project, environ)
    results: list[CheckResult] = []
    stop = ""
    for spec in settings.checks:
        if not spec.enabled:
            results.append(CheckResult(spec.name, SKIPPED, "turned off in evidence.yaml", spec.critical))
            continue
        if not stop and (clock() - started) * 1000 > settings.timeout_ms:
            stop = f"not run: the checks took over validation.timeout ({settings.timeout_ms} ms)"
        if stop:
            results.append(CheckResult(spec.name, SKIPPED, stop, spec.critical))
            continue
        result = _run_check(spec, state, settings)
        results.append(result)
        if result.status == FAILED and spec.critical and settings.fail_fast:
            stop = f"not run: {spec.name} failed and validation.fail_fast is on"
    return EvidenceReport(project, tuple(results), (clock() - started) * 1000)


def _run_check(spec: CheckSpec, state: _Project, settings: EvidenceSettings) -> CheckResult:
    check = _CHECKS.get(spec.name)
    if check is None:
        return CheckResult(spec.name, SKIPPED, f"unknown check; sfp knows: {', '.join(CHECK_NAMES)}", spec.critical)
    if spec.name != "project-structure" and not state.names and not os.path.isdir(state.root):
        return CheckResult(spec.name, SKIPPED, "no project folder to check", spec.critical)
    status, message, fix = check(state, settings)
    return CheckResult(spec.name, status, message, spec.critical, fix)


def _open_project(root: Path, environ: Mapping[str, str]) -> _Project:
    try:
        names = frozenset(os.listdir(root))
    except OSError:
        names = frozenset()
    return _Project(root, names, environ)


Outcome = tuple[str, str, str | None]  # (status, message, fix)


# --- project-structure -----------------------------------------------------------------------------

def check_project_structure(project: _Project, settings: EvidenceSettings) -> Outcome:
    try:
        info = os.stat(project.root)
    except OSError as exc:
        return FAILED, f"project folder {project.root} is not there ({exc.strerror})", "start Claude Code in the project's folder"
    if not stat.S_ISDIR(info.st_mode):
        return FAILED, f"{project.root} is not a folder", "start Claude Code in the project's folder"
    if not os.access(project.root, os.R_OK | os.X_OK):
        return FAILED, f"project folder {project.root} can't be read", f"check the permissions of {project.root}"
    found = [(kind, name) for kind, names in settings.manifests.items() for name in names if name in project.names]
    if not found:
        return OK, "no known manifest (fine for a project that is not code)", None
    problems = [problem for _, name in found if (problem := manifest_problem(project, name))]
    kinds = ", ".join(f"{kind} ({name})" for kind, name in found)
    if problems:
        return WARNING, "; ".join(problems), "fix the file: the project's own tools will fail on it too"
    return OK, kinds, None


def manifest_problem(project: _Project, name: str) -> str | None:
    path = project.root / name
    try:
        info = os.stat(path)
    except OSError as exc:
        return f"{name} can't be read ({exc.strerror})"
    if not stat.S_ISREG(info.st_mode):
        return f"{name} is not a file"
    if info.st_size == 0 and name not in ("requirements.txt", "setup.cfg", "Gemfile"):
        return f"{name} is empty"
    try:
        project.manifest(name)
    except ValueError as exc:
        return f"{name} does not parse: {exc}"
    return None


def _parse_manifest(path: Path) -> Any:
    """JSON or TOML manifests parsed (others: True); a ValueError saying what is wrong when they don't parse."""
    parser = _PARSERS.get(path.name)
    if parser is None:
        return True
    try:
        if os.stat(path).st_size > MAX_MANIFEST_BYTES:
            return True  # too big to be worth parsing on every session; its own tools will judge it
        return parser(path.read_bytes())
    except OSError as exc:
        return ValueError(f"cannot read ({exc.strerror})")
    except ValueError as exc:
        return ValueError(_first_line(str(exc)))


def _parse_json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except UnicodeDecodeError:
        raise ValueError("not UTF-8") from None


# TOML manifests are not parsed: tomllib's imports alone cost more than all the checks together.
_PARSERS: Final[Mapping[str, Callable[[bytes], Any]]] = {"package.json": _parse_json, "composer.json": _parse_json}


def _first_line(text: str) -> str:
    return text.splitlines()[0][:160] if text else "invalid"


# --- dependencies-check ----------------------------------------------------------------------------

def check_dependencies(project: _Project, settings: EvidenceSettings) -> Outcome:
    missing: list[tuple[str, str]] = []  # (what is missing, how to fix it)
    present: list[str] = []
    for rule in (_node_dependencies, _python_dependencies, _php_dependencies, _elixir_dependencies):
        verdict = rule(project, settings)
        if verdict is None:
            continue
        installed, message, fix = verdict
        if installed:
            present.append(message)
        else:
            missing.append((message, fix))
    if missing:
        return WARNING, "; ".join(m for m, _ in missing), "; ".join(f for _, f in missing)
    if present:
        return OK, ", ".join(present), None
    return OK, "no per-project dependencies to look for", None


Verdict = tuple[bool, str, str] | None  # (installed, message, fix), None: the rule does not apply


def _node_dependencies(project: _Project, settings: EvidenceSettings) -> Verdict:
    if "package.json" not in _manifest_names(settings, "node", ("package.json",)):
        return None
    manifest = _parsed_or_none(project, "package.json")
    if not isinstance(manifest, dict) or not any(
            isinstance(manifest.get(key), dict) and manifest[key]
            for key in ("dependencies", "devDependencies", "optionalDependencies")):
        return None
    if _in_project_or_parent(project.root, ("node_modules",), os.path.isdir) \
            or _in_project_or_parent(project.root, (".pnp.cjs", ".pnp.js"), os.path.isfile):
        return True, "node_modules present", ""
    installer = next((tool for lock, tool in _NODE_LOCKS if lock in project.names), "npm install")
    return False, "package.json declares dependencies but there is no node_modules", f"run `{installer}`"


_NODE_LOCKS: Final = (("pnpm-lock.yaml", "pnpm install"), ("yarn.lock", "yarn install"),
                      ("bun.lockb", "bun install"), ("bun.lock", "bun install"), ("package-lock.json", "npm ci"))


def _python_dependencies(project: _Project, settings: EvidenceSettings) -> Verdict:
    found = [name for name in _manifest_names(settings, "python", DEFAULT_MANIFESTS["python"]) if name in project.names]
    if not found or not _python_declares_dependencies(project, found):
        return None
    if "poetry.lock" in project.names or "Pipfile.lock" in project.names or "Pipfile" in found:
        return None  # Poetry and Pipenv keep their environments outside the project
    for variable in ("VIRTUAL_ENV", "CONDA_PREFIX"):
        active = project.environ.get(variable)
        if active and os.path.isdir(active):
            return True, f"Python environment active (${variable})", ""
    venv = _in_project_or_parent(project.root, VENV_NAMES, lambda p: os.path.isfile(os.path.join(p, "pyvenv.cfg")))
    if venv is not None:
        return True, f"virtual environment {_shown(venv, project.root)}", ""
    fix = "run `uv sync`" if "uv.lock" in project.names else \
        "create one: `python3 -m venv .venv` and install the project into it"
    return False, f"{found[0]} declares dependencies but no virtual environment was found", fix


def _python_declares_dependencies(project: _Project, found: list[str]) -> bool:
    if any(name in found for name in ("setup.py", "setup.cfg", "Pipfile")):
        return True
    if "requirements.txt" in found and _has_requirement_lines(project.root / "requirements.txt"):
        return True
    return "pyproject.toml" in found and pyproject_declares_dependencies(_read_head(project.root / "pyproject.toml"))


def pyproject_declares_dependencies(text: str) -> bool:
    """Whether a pyproject.toml lists dependencies: [project] dependencies or optional-dependencies,
    [dependency-groups], dependencies declared dynamic, or Poetry's dependencies other than python.
    A line scan, not a TOML parse."""
    table = ""
    lines = text.splitlines()
    for index, raw in enumerate(lines):
        line = raw.split("#", 1)[0].strip()
        if line.startswith("["):
            table = line.strip("[] ").replace(" ", "")
            continue
        key, equals, value = line.partition("=")
        key = key.strip().strip('"')
        if not equals or not key:
            continue
        if table in ("project.optional-dependencies", "dependency-groups") \
                or (table == "tool.poetry.dependencies" and key != "python"):
            return True
        if table == "project" and key == "dynamic" and "dependencies" in value:
            return True  # declared in another file the build backend reads
        if table == "project" and key in ("dependencies", "optional-dependencies"):
            rest = " ".join([value, *(later.split("#", 1)[0] for later in lines[index + 1: index + 3])])
            if rest.strip().lstrip("[{").strip()[:1] not in ("]", "}", ""):
                return True
    return False


def _read_head(path: Path, limit: int = 256 * 1024) -> str:
    try:
        with open(path, "rb") as file:
            return file.read(limit).decode("utf-8", errors="replace")
    except OSError:
        return ""


def _has_requirement_lines(path: Path) -> bool:
    try:
        with open(path, "rb") as file:
            head = file.read(64 * 1024)
    except OSError:
        return False
    return any(line.strip() and not line.strip().startswith(b"#") for line in head.splitlines())


def _php_dependencies(project: _Project, settings: EvidenceSettings) -> Verdict:
    if "composer.json" not in _manifest_names(settings, "php", ("composer.json",)):
        return None
    manifest = _parsed_or_none(project, "composer.json")
    if not isinstance(manifest, dict):
        return None
    require = manifest.get("require")
    require = require if isinstance(require, dict) else {}  # a project's own manifest: anything may be in it
    packages = [name for name in require if name != "php" and not str(name).startswith("ext-")]
    if not packages and not manifest.get("require-dev"):
        return None
    if os.path.isdir(project.root / "vendor"):
        return True, "vendor present", ""
    return False, "composer.json requires packages but there is no vendor folder", "run `composer install`"


def _elixir_dependencies(project: _Project, settings: EvidenceSettings) -> Verdict:
    if "mix.exs" not in project.names or "mix.lock" not in project.names:
        return None
    if os.path.isdir(project.root / "deps"):
        return True, "deps present", ""
    return False, "mix.lock lists dependencies but there is no deps folder", "run `mix deps.get`"


def _manifest_names(settings: EvidenceSettings, kind: str, fallback: Sequence[str]) -> tuple[str, ...]:
    return settings.manifests.get(kind, tuple(fallback))


def _parsed_or_none(project: _Project, name: str) -> Any:
    try:
        return project.manifest(name)
    except ValueError:
        return None


def _in_project_or_parent(root: Path, names: Sequence[str], test: Callable[[str], bool]) -> str | None:
    """The first `name` passing `test` in `root` or a folder above it (the nearest wins)."""
    folder = os.path.abspath(root)
    for _ in range(MAX_PARENT_LEVELS):
        for name in names:
            candidate = os.path.join(folder, name)
            if test(candidate):
                return candidate
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return None


def _shown(path: str, root: Path) -> str:
    relative = os.path.relpath(path, os.path.abspath(root))
    return relative if not relative.startswith("..") else path


# --- config-files ----------------------------------------------------------------------------------

def check_config_files(project: _Project, settings: EvidenceSettings) -> Outcome:
    if not settings.required_files:
        return OK, "no required files configured", None
    missing = [name for name in settings.required_files if not _present(project.root, name)]
    if missing:
        return (FAILED, f"missing: {', '.join(missing)}",
                "create them, or take them out of required_files in evidence.yaml")
    return OK, f"all {len(settings.required_files)} present", None


def _present(root: Path, name: str) -> bool:
    path = root / os.path.expanduser(name)
    return path.is_dir() if name.endswith("/") else path.exists()


_CHECKS: Final[Mapping[str, Callable[[_Project, EvidenceSettings], Outcome]]] = {
    "project-structure": check_project_structure,
    "dependencies-check": check_dependencies,
    "config-files": check_config_files,
}


# --- output ----------------------------------------------------------------------------------------

def evidence_summary(report: EvidenceReport, project_label: str) -> str | None:
    """For the model: the checks that failed or warned, with their fixes; None when all is well."""
    problems = report.problems()
    if not problems:
        return None
    lines = [f"[sfp] Project checks for {project_label}:"]
    for check in problems:
        fix = f" Fix: {check.fix}." if check.fix else ""
        lines.append(f"- {check.name} ({check.status}): {check.message}.{fix}")
    return "\n".join(lines)


def report_as_json(report: EvidenceReport) -> dict[str, Any]:
    """`sfp.evidence/1` (docs/json.md)."""
    return {
        "schema": "sfp.evidence/1",
        "project": str(report.project),
        "status": report.status,
        "critical_failure": report.critical_failure,
        "duration_ms": round(report.duration_ms, 2),
        "checks": [
            {"name": c.name, "status": c.status, "critical": c.critical, "message": c.message, "fix": c.fix}
            for c in report.checks
        ],
    }
