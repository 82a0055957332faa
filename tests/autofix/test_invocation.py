"""sfp.autofix.invocation: which files a formatter may touch (inside the project, not excluded), and how npx is run."""

from __future__ import annotations

from pathlib import Path

import pytest

from autofix.fakes import calls, put, python_formatter, shim
from sfp.autofix.formatters import AutoFixSettings, FORMATTED, SKIPPED
from sfp.autofix.invocation import exclusion, npx_package
from sfp.autofix.run import auto_fix
from sfp.kpi.store import read_events


# --- which file -------------------------------------------------------------------------------------


def test_the_file_is_found_by_a_relative_path_too(claude_dir: Path, project: Path, bin_dir: Path, env: dict[str, str]) -> None:
    shim(bin_dir, "fmt", "upper")
    python_formatter(claude_dir, "fmt")
    put(project / "pkg" / "m.py", "y = 2\n")
    assert auto_fix("pkg/m.py", project, claude_dir, session=None, environ=env).status == FORMATTED


def test_a_file_outside_the_project_is_never_touched(
        claude_dir: Path, project: Path, tmp_path: Path, bin_dir: Path, env: dict[str, str]) -> None:
    shim(bin_dir, "fmt", "upper")
    python_formatter(claude_dir, "fmt")
    outside = put(tmp_path / "elsewhere" / "app.py")
    (project / "link.py").symlink_to(outside)  # inside by name, outside once resolved
    (project / "linked_dir").symlink_to(outside.parent, target_is_directory=True)
    sibling = put(tmp_path / "project-evil" / "app.py")  # shares the project's name as a prefix
    for given in (outside, project / "link.py", project / "linked_dir" / "app.py", project / ".." / "elsewhere" / "app.py", sibling):
        result = auto_fix(given, project, claude_dir, session="s1", environ=env)
        assert result.status == SKIPPED and (result.reason or "").startswith("outside the project"), given
    assert outside.read_text() == "x = 1\n" and sibling.read_text() == "x = 1\n" and calls(env) == []
    assert list(read_events(claude_dir)) == []


def test_a_symlink_inside_the_project_formats_its_real_file(
        claude_dir: Path, project: Path, bin_dir: Path, env: dict[str, str]) -> None:
    shim(bin_dir, "fmt", "upper")
    python_formatter(claude_dir, "fmt")
    real = put(project / "real.py")
    (project / "alias.py").symlink_to(real)
    result = auto_fix(project / "alias.py", project, claude_dir, session=None, environ=env)
    assert result.status == FORMATTED and result.path == real.resolve()
    assert (project / "alias.py").is_symlink()


def test_missing_files_and_folders_are_skipped(claude_dir: Path, project: Path, bin_dir: Path, env: dict[str, str]) -> None:
    shim(bin_dir, "fmt", "upper")
    python_formatter(claude_dir, "fmt")
    (project / "pkg.py").mkdir()
    assert auto_fix(project / "gone.py", project, claude_dir, session=None, environ=env).reason == "no such file"
    assert auto_fix(project / "pkg.py", project, claude_dir, session=None, environ=env).reason == "not a regular file"
    assert calls(env) == []



# --- files that are never touched -------------------------------------------------------------------


@pytest.mark.parametrize("relative", ["build/gen.py", "src/pkg.egg-info/x.py", "a/node_modules/b/c.py", ".venv/lib/x.py"])
def test_files_in_excluded_folders_are_left_alone(
        relative: str, claude_dir: Path, project: Path, bin_dir: Path, env: dict[str, str]) -> None:
    shim(bin_dir, "fmt", "upper")
    python_formatter(claude_dir, "fmt", "exclude_dirs: [build, '*.egg-info', node_modules, .venv]\n")
    target = put(project / relative)
    result = auto_fix(target, project, claude_dir, session="s1", environ=env)
    assert result.status == SKIPPED and "excluded folder" in (result.reason or "")
    assert target.read_text() == "x = 1\n" and calls(env) == []


def test_only_folders_inside_the_project_count_for_exclusion(
        claude_dir: Path, tmp_path: Path, bin_dir: Path, env: dict[str, str]) -> None:
    project = tmp_path / "build" / "proj"  # "build" above the project is not an excluded folder of it
    shim(bin_dir, "fmt", "upper")
    python_formatter(claude_dir, "fmt", "exclude_dirs: [build]\n")
    assert auto_fix(put(project / "app.py"), project, claude_dir, session=None, environ=env).status == FORMATTED


@pytest.mark.parametrize("name", ["app.min.py", "generated_pb2.py", "snap/deep/x.py"])
def test_files_matching_an_excluded_pattern_are_left_alone(
        name: str, claude_dir: Path, project: Path, bin_dir: Path, env: dict[str, str]) -> None:
    shim(bin_dir, "fmt", "upper")
    python_formatter(claude_dir, "fmt", "exclude_patterns: ['*.min.py', '*_pb2.py', 'snap/*']\n")
    target = put(project / name)
    result = auto_fix(target, project, claude_dir, session=None, environ=env)
    assert result.status == SKIPPED and "excluded by pattern" in (result.reason or "")
    assert target.read_text() == "x = 1\n"



# --- pure parts -------------------------------------------------------------------------------------


def test_exclusion_matches_folders_and_names_inside_the_project() -> None:
    settings = AutoFixSettings(exclude_dirs=("dist", "*.egg-info"), exclude_patterns=("*.min.js", "gen/*.py"))
    assert exclusion(Path("dist/a.js"), settings) == "in excluded folder dist (exclude_dirs: dist)"
    assert exclusion(Path("x/y.egg-info/a.py"), settings) is not None
    assert exclusion(Path("src/dist.js"), settings) is None  # a file named like a folder is not in it
    assert exclusion(Path("web/app.min.js"), settings) == "excluded by pattern *.min.js"
    assert exclusion(Path("gen/a.py"), settings) == "excluded by pattern gen/*.py"
    assert exclusion(Path("src/gen/a.py"), settings) is None


@pytest.mark.parametrize(("args", "package"), [
    (["prettier", "--write"], "prettier"), (["--yes", "prettier@3.2.1", "--write"], "prettier"),
    (["-p", "prettier", "prettier-cli"], "prettier-cli"), (["@scope/fmt@1"], "@scope/fmt"), (["--write"], None),
])
def test_npx_package(args: list[str], package: str | None) -> None:
    assert npx_package(args) == package

