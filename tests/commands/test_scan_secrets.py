"""`sfp scan-secrets`: what a person and a gate see - lines, the masked value, the summary, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import SfpRunner

VALUE = "Tr0ub4dor" + "&3xQ"  # assembled, so this file holds no secret whole
SECRET = f"DB_PASS{''}WORD = '{VALUE}'\n"
GH_PAT = "ghp_" + "a1B2" * 9


def make_project(project: Path) -> None:
    (project / "src").mkdir()
    (project / "src" / "settings.py").write_text(f"DEBUG = True\n\n{SECRET}")
    (project / "src" / "app.py").write_text(f"import os\ntoken = os.environ['TOKEN']\ngh = '{GH_PAT}'\n")
    (project / "README.md").write_text("# app\nSet TOKEN in the environment.\n")
    (project / "logo.png").write_bytes(b"\x89PNG\0\0" + SECRET.encode())


def test_findings_are_listed_by_path_and_line_with_the_value_masked(sfp: SfpRunner, project: Path) -> None:
    make_project(project)
    run = sfp("scan-secrets", cwd=project)
    assert run.code == 1, run.err
    lines = run.out.splitlines()
    assert lines[:3] == [
        "src/app.py:3: github-token (value: ghp_***)",
        "src/settings.py:3: secret-assignment (value: Tr0u***)",
        "2 secrets in 2 files (scanned 3 files; skipped 1 binary)",
    ]
    assert "sfp: allow-secret" in lines[3] and "secrets.exclude" in lines[3]
    assert VALUE not in run.out + run.err and GH_PAT not in run.out + run.err


def test_a_clean_tree_exits_0_with_a_summary(sfp: SfpRunner, project: Path) -> None:
    (project / "app.py").write_text("password = input('Password: ')  # not a literal\n")
    run = sfp("scan-secrets", str(project))
    assert (run.code, run.out, run.err) == (0, "0 secrets in 0 files (scanned 1 file)\n", "")


def test_paths_name_files_and_folders_to_scan(sfp: SfpRunner, project: Path) -> None:
    make_project(project)
    run = sfp("scan-secrets", "src/settings.py", "README.md", cwd=project)
    assert run.code == 1
    assert run.out.splitlines()[0] == "src/settings.py:3: secret-assignment (value: Tr0u***)"
    assert "1 secret in 1 file (scanned 2 files)" in run.out


def test_a_missing_path_is_a_usage_error(sfp: SfpRunner, project: Path) -> None:
    run = sfp("scan-secrets", "nope", cwd=project)
    assert run.code == 2 and run.out == ""
    assert run.err == "sfp: error: no such file or folder: nope\n"


def test_json_lists_findings_and_counts(sfp: SfpRunner, project: Path) -> None:
    make_project(project)
    run = sfp("scan-secrets", "--json", cwd=project)
    assert run.code == 1
    report = json.loads(run.out)
    assert report == {
        "findings": [
            {"path": "src/app.py", "line": 3, "kind": "github-token", "masked": "ghp_***"},
            {"path": "src/settings.py", "line": 3, "kind": "secret-assignment", "masked": "Tr0u***"},
        ],
        "files_scanned": 3,
        "files_with_secrets": 2,
        "skipped": {"binary": 1, "too_large": 0},
        "max_file_bytes": 5 * 1024 * 1024,
    }


def test_the_project_config_excludes_files(sfp: SfpRunner, project: Path) -> None:
    make_project(project)
    (project / ".sfp").mkdir()
    (project / ".sfp" / "sfp.yaml").write_text("secrets:\n  exclude: [\"src/settings.py\", \"*.png\"]\n")
    sfp("trust", str(project))
    run = sfp("scan-secrets", "--project", str(project), cwd=project.parent)
    assert run.code == 1, run.err
    # the project's files are scanned (its .sfp/sfp.yaml too), named from the folder given
    assert run.out.splitlines()[0] == f"{project}/src/app.py:3: github-token (value: ghp_***)"
    assert "1 secret in 1 file (scanned 3 files)" in run.out


def test_files_over_the_size_cap_are_counted(sfp: SfpRunner, project: Path) -> None:
    make_project(project)
    (project / ".sfp").mkdir()
    (project / ".sfp" / "sfp.yaml").write_text("secrets:\n  max_file_bytes: 40\n")
    sfp("trust", str(project))
    run = sfp("scan-secrets", cwd=project)
    assert (run.code, run.out) == (0, "0 secrets in 0 files (scanned 2 files; skipped 1 binary, 2 over 40 bytes)\n")


def test_a_bad_secrets_section_is_a_config_error(sfp: SfpRunner, project: Path) -> None:
    (project / ".sfp").mkdir()
    (project / ".sfp" / "sfp.yaml").write_text("secrets:\n  exclude: tests/**\n")
    sfp("trust", str(project))
    run = sfp("scan-secrets", cwd=project)
    assert run.code == 2 and "secrets.exclude" in run.err


def test_the_allow_marker_silences_a_line(sfp: SfpRunner, project: Path) -> None:
    (project / "fixture.py").write_text(f"# sfp: allow-secret\n{SECRET}{SECRET.rstrip()}  # sfp: allow-secret\n")
    run = sfp("scan-secrets", cwd=project)
    assert run.code == 0, run.out
