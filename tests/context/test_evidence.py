"""Evidence checks: project structure, installed dependencies, required files; criticality and fail_fast."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import DATA, ROOT
from sfp.config.layers import load_config
from sfp.context.evidence import (
    FAILED,
    OK,
    SKIPPED,
    WARNING,
    CheckResult,
    CheckSpec,
    EvidenceReport,
    EvidenceSettings,
    evidence_summary,
    pyproject_declares_dependencies,
    report_as_json,
    run_evidence,
    settings_from,
)

NO_ENV: dict[str, str] = {}


def check(project: Path, name: str, settings: EvidenceSettings | None = None,
          environ: dict[str, str] | None = None) -> CheckResult:
    report = run_evidence(project, settings or EvidenceSettings(), NO_ENV if environ is None else environ)
    [result] = [c for c in report.checks if c.name == name]
    return result


def write(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def make_venv(folder: Path) -> Path:
    write(folder / "pyvenv.cfg", "home = /usr/bin\n")
    return folder


NODE_DEPS = json.dumps({"name": "web", "dependencies": {"left-pad": "^1.3.0"}})
PY_DEPS = '[project]\nname = "api"\ndependencies = [\n  "fastapi>=0.110",\n]\n'


# --- project-structure -----------------------------------------------------------------------------------

def test_a_missing_project_folder_fails_and_the_others_are_skipped(tmp_path: Path) -> None:
    report = run_evidence(tmp_path / "gone", EvidenceSettings(), NO_ENV)
    assert [(c.name, c.status) for c in report.checks] == [
        ("project-structure", FAILED), ("dependencies-check", SKIPPED), ("config-files", SKIPPED)]
    assert "is not there" in report.checks[0].message
    assert not report.critical_failure  # not critical by default


def test_a_file_is_not_a_project_folder(tmp_path: Path) -> None:
    result = check(write(tmp_path / "file"), "project-structure")
    assert result.status == FAILED and "is not a folder" in result.message


def test_a_folder_without_manifests_is_fine(project: Path) -> None:
    result = check(project, "project-structure")
    assert result.status == OK and "no known manifest" in result.message


def test_known_manifests_are_named_with_their_kind(project: Path) -> None:
    write(project / "pyproject.toml", PY_DEPS)
    write(project / "package.json", "{}")
    write(project / "go.mod", "module x\n")
    result = check(project, "project-structure")
    assert result.status == OK
    assert result.message == "python (pyproject.toml), node (package.json), go (go.mod)"


def json_error(text: str) -> str:
    """This Python's own message for `text` (3.13 words a trailing comma differently from 3.11 and 3.12)."""
    try:
        json.loads(text)
    except ValueError as exc:
        return str(exc)
    raise AssertionError(f"{text!r} parses")


@pytest.mark.parametrize(("name", "content", "problem"), [
    ("package.json", '{"name": "x",}', "package.json does not parse: " + json_error('{"name": "x",}')),
    ("composer.json", "\xff", "composer.json does not parse"),
    ("pyproject.toml", "", "pyproject.toml is empty"),
    ("Cargo.toml", "", "Cargo.toml is empty"),
])
def test_a_broken_manifest_is_a_warning(project: Path, name: str, content: str, problem: str) -> None:
    if content == "\xff":
        (project / name).write_bytes(b"\xff{}")
    else:
        write(project / name, content)
    result = check(project, "project-structure")
    assert result.status == WARNING and result.message.startswith(problem), result.message


def test_an_empty_requirements_file_is_not_a_broken_manifest(project: Path) -> None:
    write(project / "requirements.txt")
    assert check(project, "project-structure").status == OK


def test_a_manifest_folder_is_a_warning(project: Path) -> None:
    (project / "package.json").mkdir()
    result = check(project, "project-structure")
    assert result.status == WARNING and "package.json is not a file" in result.message


def test_manifests_come_from_the_settings(project: Path) -> None:
    write(project / "deno.json", "{}")
    settings = EvidenceSettings(manifests={"deno": ("deno.json",)})
    assert check(project, "project-structure", settings).message == "deno (deno.json)"


# --- dependencies-check ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("lock", "fix"), [
    (None, "run `npm install`"), ("package-lock.json", "run `npm ci`"), ("pnpm-lock.yaml", "run `pnpm install`"),
    ("yarn.lock", "run `yarn install`"), ("bun.lockb", "run `bun install`"),
])
def test_node_dependencies_without_node_modules_warn_with_the_right_installer(
        project: Path, lock: str | None, fix: str) -> None:
    write(project / "package.json", NODE_DEPS)
    if lock:
        write(project / lock)
    result = check(project, "dependencies-check")
    assert result.status == WARNING
    assert result.message == "package.json declares dependencies but there is no node_modules"
    assert result.fix == fix


def test_node_modules_here_or_in_a_parent_or_plug_and_play_is_installed(tmp_path: Path) -> None:
    workspace = tmp_path / "repo"
    package = workspace / "packages" / "web"
    write(package / "package.json", NODE_DEPS)
    (workspace / "node_modules").mkdir(parents=True)
    assert check(package, "dependencies-check").status == OK
    shutil.rmtree(workspace / "node_modules")
    write(workspace / ".pnp.cjs")
    assert check(package, "dependencies-check").status == OK


def test_a_package_json_without_dependencies_needs_nothing(project: Path) -> None:
    write(project / "package.json", json.dumps({"name": "x", "dependencies": {}, "scripts": {"t": "x"}}))
    result = check(project, "dependencies-check")
    assert result.status == OK and result.message == "no per-project dependencies to look for"


def test_python_dependencies_without_a_virtual_environment_warn(project: Path) -> None:
    write(project / "pyproject.toml", PY_DEPS)
    result = check(project, "dependencies-check")
    assert result.status == WARNING
    assert result.message == "pyproject.toml declares dependencies but no virtual environment was found"
    assert result.fix is not None and "python3 -m venv .venv" in result.fix
    write(project / "uv.lock")
    assert check(project, "dependencies-check").fix == "run `uv sync`"


@pytest.mark.parametrize("name", [".venv", "venv", "env", ".env"])
def test_a_virtual_environment_in_the_project_is_installed(project: Path, name: str) -> None:
    write(project / "requirements.txt", "requests==2.32\n")
    make_venv(project / name)
    result = check(project, "dependencies-check")
    assert result.status == OK and result.message == f"virtual environment {name}"


def test_a_folder_named_venv_without_pyvenv_cfg_is_not_an_environment(project: Path) -> None:
    write(project / "requirements.txt", "requests\n")
    (project / ".venv").mkdir()
    write(project / ".env", "SECRET=1\n")  # a dotenv file, not a folder
    assert check(project, "dependencies-check").status == WARNING


def test_a_virtual_environment_in_a_parent_folder_is_installed(tmp_path: Path) -> None:
    make_venv(tmp_path / "mono" / ".venv")
    member = tmp_path / "mono" / "services" / "api"
    write(member / "pyproject.toml", PY_DEPS)
    result = check(member, "dependencies-check")
    assert result.status == OK and result.message.endswith(str(tmp_path / "mono" / ".venv"))


@pytest.mark.parametrize("variable", ["VIRTUAL_ENV", "CONDA_PREFIX"])
def test_an_active_environment_is_installed(project: Path, tmp_path: Path, variable: str) -> None:
    write(project / "pyproject.toml", PY_DEPS)
    active = make_venv(tmp_path / "elsewhere")
    assert check(project, "dependencies-check", environ={variable: str(active)}).status == OK
    gone = {variable: str(tmp_path / "deleted")}
    assert check(project, "dependencies-check", environ=gone).status == WARNING


@pytest.mark.parametrize("marker", ["poetry.lock", "Pipfile.lock", "Pipfile"])
def test_poetry_and_pipenv_projects_are_not_checked(project: Path, marker: str) -> None:
    write(project / "pyproject.toml", PY_DEPS)
    write(project / marker)
    assert check(project, "dependencies-check").status == OK


@pytest.mark.parametrize(("files", "declares"), [
    ({"requirements.txt": "# only comments\n\n"}, False),
    ({"requirements.txt": "-r base.txt\n"}, True),
    ({"setup.py": "from setuptools import setup\nsetup()\n"}, True),
    ({"pyproject.toml": '[tool.ruff]\nline-length = 100\n'}, False),
])
def test_which_python_projects_declare_dependencies(project: Path, files: dict[str, str], declares: bool) -> None:
    for name, text in files.items():
        write(project / name, text)
    assert check(project, "dependencies-check").status == (WARNING if declares else OK)


@pytest.mark.parametrize(("text", "declares"), [
    (PY_DEPS, True),
    ('[project]\ndependencies = []\n', False),
    ('[project]\ndependencies = [\n]\n', False),
    ('[project]\ndependencies = [ # none yet\n]\n', False),
    ('[project]\ndependencies = ["x"]\n', True),
    ('[project]\nname = "x"\ndynamic = ["version", "dependencies"]\n', True),
    ('[project]\nname = "x"\ndynamic = ["version"]\n', False),
    ('[project.optional-dependencies]\ntest = ["pytest"]\n', True),
    ('[dependency-groups]\ndev = ["pytest"]\n', True),
    ('[tool.poetry.dependencies]\npython = "^3.11"\n', False),
    ('[tool.poetry.dependencies]\npython = "^3.11"\nrequests = "*"\n', True),
    ('[tool.black]\ndependencies = ["not really"]\n', False),
    ('# [project]\n# dependencies = ["x"]\n', False),
    ("", False),
])
def test_pyproject_dependency_scan(text: str, declares: bool) -> None:
    assert pyproject_declares_dependencies(text) is declares


def test_composer_packages_need_vendor(project: Path) -> None:
    write(project / "composer.json", json.dumps({"require": {"php": ">=8.2", "ext-json": "*"}}))
    assert check(project, "dependencies-check").status == OK
    write(project / "composer.json", json.dumps({"require": {"php": ">=8.2", "monolog/monolog": "^3"}}))
    result = check(project, "dependencies-check")
    assert result.status == WARNING and result.fix == "run `composer install`"
    (project / "vendor").mkdir()
    assert check(project, "dependencies-check").status == OK


def test_elixir_lock_needs_deps(project: Path) -> None:
    write(project / "mix.exs")
    write(project / "mix.lock")
    assert check(project, "dependencies-check").fix == "run `mix deps.get`"


def test_ecosystems_with_a_shared_cache_are_not_checked(project: Path) -> None:
    write(project / "Cargo.toml", '[package]\nname = "x"\n[dependencies]\nserde = "1"\n')
    write(project / "go.mod", "module x\nrequire golang.org/x/text v0.3.0\n")
    write(project / "Gemfile", "gem 'rails'\n")
    assert check(project, "dependencies-check").status == OK


def test_several_missing_installs_are_all_named(project: Path) -> None:
    write(project / "package.json", NODE_DEPS)
    write(project / "pyproject.toml", PY_DEPS)
    result = check(project, "dependencies-check")
    assert "node_modules" in result.message and "virtual environment" in result.message
    assert result.fix is not None and "npm install" in result.fix and "venv" in result.fix


# --- config-files ----------------------------------------------------------------------------------------

def test_required_files_missing_fail_and_are_named(project: Path) -> None:
    write(project / ".env.example")
    (project / "config").mkdir()
    settings = EvidenceSettings(required_files=(".env.example", "config/", "Makefile", "docs/"))
    result = check(project, "config-files", settings)
    assert result.status == FAILED and result.message == "missing: Makefile, docs/"
    write(project / "Makefile")
    write(project / "docs")  # a file, but a folder was asked for
    assert check(project, "config-files", settings).message == "missing: docs/"


def test_no_required_files_is_fine(project: Path) -> None:
    assert check(project, "config-files").message == "no required files configured"


def test_all_required_files_present(project: Path) -> None:
    write(project / "a.yaml")
    assert check(project, "config-files", EvidenceSettings(required_files=("a.yaml",))).status == OK


# --- running: critical, fail_fast, enabled, timeout -----------------------------------------------------

def failing_settings(critical: bool, fail_fast: bool) -> EvidenceSettings:
    return EvidenceSettings(
        checks=(CheckSpec("config-files", critical=critical), CheckSpec("project-structure"),
                CheckSpec("dependencies-check")),
        required_files=("missing.txt",), fail_fast=fail_fast)


def test_a_critical_failure_with_fail_fast_skips_the_rest(project: Path) -> None:
    report = run_evidence(project, failing_settings(critical=True, fail_fast=True), NO_ENV)
    assert [c.status for c in report.checks] == [FAILED, SKIPPED, SKIPPED]
    assert report.critical_failure and report.status == FAILED
    assert "fail_fast" in report.checks[1].message


def test_without_fail_fast_every_check_runs(project: Path) -> None:
    report = run_evidence(project, failing_settings(critical=True, fail_fast=False), NO_ENV)
    assert [c.status for c in report.checks] == [FAILED, OK, OK] and report.critical_failure


def test_a_failure_that_is_not_critical_is_not_a_critical_failure(project: Path) -> None:
    report = run_evidence(project, failing_settings(critical=False, fail_fast=True), NO_ENV)
    assert [c.status for c in report.checks] == [FAILED, OK, OK] and not report.critical_failure


def test_disabled_and_unknown_checks_are_skipped(project: Path) -> None:
    settings = EvidenceSettings(checks=(CheckSpec("config-files", enabled=False), CheckSpec("lint-check")))
    report = run_evidence(project, settings, NO_ENV)
    assert [(c.status, c.message) for c in report.checks] == [
        (SKIPPED, "turned off in evidence.yaml"),
        (SKIPPED, "unknown check; sfp knows: project-structure, dependencies-check, config-files")]
    assert report.status == OK


def test_checks_after_the_timeout_are_skipped(project: Path) -> None:
    ticks = itertools.count(0.0, 0.02)  # every clock reading is 20 ms later
    settings = EvidenceSettings(timeout_ms=50)
    report = run_evidence(project, settings, NO_ENV, clock=lambda: next(ticks))
    assert [c.status for c in report.checks] == [OK, OK, SKIPPED]
    assert "validation.timeout (50 ms)" in report.checks[2].message


def test_no_program_is_run(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("evidence must not start a process")

    monkeypatch.setattr(subprocess, "Popen", refuse)
    monkeypatch.setattr(os, "system", refuse)
    write(project / "package.json", NODE_DEPS)
    write(project / "pyproject.toml", PY_DEPS)
    run_evidence(project, EvidenceSettings(required_files=("x",)), NO_ENV)
    run_evidence(ROOT, EvidenceSettings(), os.environ)


# --- settings and output ---------------------------------------------------------------------------------

def test_the_compat_config_gives_the_three_checks(claude_dir: Path) -> None:
    write(claude_dir / "sfp" / "evidence.yaml", (DATA / "compat" / "evidence.yaml").read_text())
    settings = settings_from(load_config("evidence", claude_dir, None).data)
    assert settings.checks == (CheckSpec("project-structure"), CheckSpec("dependencies-check"), CheckSpec("config-files"))
    assert settings.fail_fast is True and settings.timeout_ms == 30000 and settings.required_files == ()
    assert settings.manifests["node"] == ("package.json",)


def test_the_built_in_config_says_what_the_code_defaults_say(claude_dir: Path) -> None:
    assert settings_from(load_config("evidence", claude_dir, None).data) == EvidenceSettings()


def test_settings_from_takes_what_is_given_and_defaults_the_rest(claude_dir: Path) -> None:
    from sfp.config.layers import load_config

    (claude_dir / "sfp").mkdir(parents=True, exist_ok=True)
    (claude_dir / "sfp" / "evidence.yaml").write_text(
        "checks:\n  - {name: config-files, critical: true}\n  - {name: dependencies-check, enabled: false}\n"
        "required_files: [a, '']\nmanifests: {deno: [deno.json]}\nvalidation: {fail_fast: false}\n")
    settings = settings_from(load_config("evidence", claude_dir, None).data)
    assert settings.checks == (CheckSpec("config-files", critical=True), CheckSpec("dependencies-check", enabled=False))
    assert settings.required_files == ("a",) and settings.manifests["deno"] == ("deno.json",)
    assert settings.fail_fast is False and settings.timeout_ms == 30000
    assert settings_from({}) == EvidenceSettings()


@pytest.mark.parametrize("bad", ["validation: {timeout: true}", "validation: {timeout: 0}", "checks: [junk]",
                                 "checks: [{critical: true}]", "required_files: [5]"])
def test_evidence_settings_of_the_wrong_kind_are_errors_with_their_line(claude_dir: Path, bad: str) -> None:
    from sfp.config.layers import load_config
    from sfp.errors import ConfigError

    (claude_dir / "sfp").mkdir(parents=True, exist_ok=True)
    (claude_dir / "sfp" / "evidence.yaml").write_text(bad + "\n")
    with pytest.raises(ConfigError, match=r"evidence\.yaml:1:\d+: "):
        load_config("evidence", claude_dir, None)


def test_the_summary_lists_only_problems_with_their_fixes(project: Path) -> None:
    ok = run_evidence(project, EvidenceSettings(), NO_ENV)
    assert evidence_summary(ok, "~/p") is None
    write(project / "package.json", NODE_DEPS)
    report = run_evidence(project, EvidenceSettings(required_files=(".env",)), NO_ENV)
    assert evidence_summary(report, "~/p") == (
        "[sfp] Project checks for ~/p:\n"
        "- dependencies-check (warning): package.json declares dependencies but there is no node_modules."
        " Fix: run `npm install`.\n"
        "- config-files (failed): missing: .env. Fix: create them, or take them out of required_files in evidence.yaml.")


def test_report_as_json_shape(project: Path) -> None:
    data = report_as_json(run_evidence(project, EvidenceSettings(), NO_ENV))
    assert set(data) == {"schema", "project", "status", "critical_failure", "duration_ms", "checks"}
    assert data["schema"] == "sfp.evidence/1"
    assert [c["name"] for c in data["checks"]] == ["project-structure", "dependencies-check", "config-files"]
    assert set(data["checks"][0]) == {"name", "status", "critical", "message", "fix"}
    json.dumps(data)


def test_this_repository_passes() -> None:
    report = run_evidence(ROOT, EvidenceSettings(), {})
    assert report.checks[0] == CheckResult("project-structure", OK, "python (pyproject.toml)")
    assert isinstance(report, EvidenceReport) and report.status == OK


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    # Deeper than tmp_path so no parent of a test project holds a node_modules or .venv of another test.
    path = tmp_path / "work" / "project"
    path.mkdir(parents=True)
    yield path
