"""`sfp scan-secrets`: what a person and a gate see - lines, the masked value, the summary, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import SfpRunner
from sfp.gates.secret_baseline import fingerprint

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
        "schema": "sfp.secrets/1",
        "findings": [
            {"path": "src/app.py", "line": 3, "kind": "github-token", "masked": "ghp_***",
             "fingerprint": fingerprint("src/app.py", "github-token", GH_PAT)},
            {"path": "src/settings.py", "line": 3, "kind": "secret-assignment", "masked": "Tr0u***",
             "fingerprint": fingerprint("src/settings.py", "secret-assignment", VALUE)},
        ],
        "scanned_file_count": 3,
        "secret_file_count": 2,
        "skipped_binary_count": 1,
        "skipped_large_count": 0,
        "max_file_bytes": 5 * 1024 * 1024,
        "baseline": None,
    }
    assert VALUE not in run.out and GH_PAT not in run.out


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


# --- --baseline ---------------------------------------------------------------------------------------------

OTHER_PAT = "ghp_" + "c3D4" * 9


def test_a_missing_baseline_is_recorded_and_the_run_passes(sfp: SfpRunner, project: Path) -> None:
    make_project(project)
    run = sfp("scan-secrets", "--baseline", "secrets-baseline.json", cwd=project)
    assert run.code == 0, run.err
    assert run.out.splitlines() == [
        "src/app.py:3: github-token (value: ghp_***)",
        "src/settings.py:3: secret-assignment (value: Tr0u***)",
        "recorded 2 secrets in secrets-baseline.json (fingerprints only, never the values); "
        "later runs with --baseline secrets-baseline.json report only secrets not in it",
        "scanned 3 files; skipped 1 binary",
    ]
    saved = (project / "secrets-baseline.json").read_text()
    assert json.loads(saved) == {"schema": "sfp.secrets-baseline/1", "findings": [
        {"fingerprint": fingerprint("src/app.py", "github-token", GH_PAT), "path": "src/app.py",
         "kind": "github-token", "line": 3},
        {"fingerprint": fingerprint("src/settings.py", "secret-assignment", VALUE), "path": "src/settings.py",
         "kind": "secret-assignment", "line": 3},
    ]}
    assert VALUE not in saved and GH_PAT not in saved


def test_with_a_baseline_only_new_secrets_count_even_after_lines_move(sfp: SfpRunner, project: Path) -> None:
    make_project(project)
    assert sfp("scan-secrets", "--baseline", "base.json", cwd=project).code == 0
    again = sfp("scan-secrets", "--baseline", "base.json", cwd=project)
    assert (again.code, again.out) == (0, "0 new secrets in 0 files (2 known from base.json; scanned 4 files; "
                                          "skipped 1 binary)\n")
    settings = project / "src" / "settings.py"
    settings.write_text("import os\n\n\n" + settings.read_text() + f"other = '{OTHER_PAT}'\n")
    run = sfp("scan-secrets", "--baseline", "base.json", cwd=project)
    assert run.code == 1
    assert run.out.splitlines()[:2] == [
        "src/settings.py:7: github-token (value: ghp_***)",
        "1 new secret in 1 file (2 known from base.json; scanned 4 files; skipped 1 binary)",
    ]


def test_a_changed_secret_is_new_to_the_baseline(sfp: SfpRunner, project: Path) -> None:
    make_project(project)
    sfp("scan-secrets", "--baseline", "base.json", cwd=project)
    app = project / "src" / "app.py"
    app.write_text(app.read_text().replace(GH_PAT, OTHER_PAT))
    run = sfp("scan-secrets", "--baseline", "base.json", "--json", cwd=project)
    assert run.code == 1
    report = json.loads(run.out)
    assert [(f["path"], f["line"], f["fingerprint"]) for f in report["findings"]] == [
        ("src/app.py", 3, fingerprint("src/app.py", "github-token", OTHER_PAT))]
    assert report["baseline"] == {"path": "base.json", "recorded": False, "known_count": 1}
    assert report["secret_file_count"] == 1


def test_the_same_baseline_serves_a_scan_from_elsewhere_with_project(sfp: SfpRunner, project: Path) -> None:
    make_project(project)
    sfp("scan-secrets", "--baseline", "base.json", cwd=project)
    run = sfp("scan-secrets", "--project", str(project), "--baseline", str(project / "base.json"), cwd=project.parent)
    assert run.code == 0, run.out


def test_update_baseline_rewrites_it_and_says_what_changed(sfp: SfpRunner, project: Path) -> None:
    make_project(project)
    sfp("scan-secrets", "--baseline", "base.json", cwd=project)
    (project / "src" / "settings.py").write_text(f"other = '{OTHER_PAT}'\n")
    run = sfp("scan-secrets", "--baseline", "base.json", "--update-baseline", cwd=project)
    assert run.code == 0, run.err
    assert ("recorded 2 secrets in base.json (fingerprints only, never the values); 1 new since it was last "
            "recorded, 1 no longer found;") in run.out
    assert sfp("scan-secrets", "--baseline", "base.json", cwd=project).code == 0
    assert {f["kind"] for f in json.loads((project / "base.json").read_text())["findings"]} == {"github-token"}


def test_update_baseline_replaces_a_damaged_file(sfp: SfpRunner, project: Path) -> None:
    make_project(project)
    (project / "base.json").write_text("{oops")
    run = sfp("scan-secrets", "--baseline", "base.json", "--update-baseline", cwd=project)
    assert run.code == 0 and "recorded 2 secrets in base.json (fingerprints only, never the values); later" in run.out


def test_a_damaged_baseline_is_a_one_line_error_and_stays_as_it_was(sfp: SfpRunner, project: Path) -> None:
    make_project(project)
    (project / "base.json").write_text('{"schema": "sfp.secrets-baseline/1", "findings": {}}')
    run = sfp("scan-secrets", "--baseline", "base.json", cwd=project)
    assert (run.code, run.out) == (2, "")
    assert run.err == ('sfp: error: secrets baseline base.json is damaged: no "findings" list; repair it, '
                       "or record today's findings again with --update-baseline\n")
    assert (project / "base.json").read_text() == '{"schema": "sfp.secrets-baseline/1", "findings": {}}'


def test_update_baseline_needs_a_baseline_and_formats_exclude_each_other(sfp: SfpRunner, project: Path) -> None:
    run = sfp("scan-secrets", "--update-baseline", cwd=project)
    assert run.code == 2 and run.err == "sfp: error: --update-baseline needs --baseline FILE: the file to rewrite\n"
    run = sfp("scan-secrets", "--json", "--sarif", cwd=project)
    assert run.code == 2 and "choose one" in run.err and run.err.count("\n") == 1


def test_a_baseline_in_a_missing_folder_is_a_one_line_error(sfp: SfpRunner, project: Path) -> None:
    make_project(project)
    run = sfp("scan-secrets", "--baseline", "nope/base.json", cwd=project)
    assert run.code == 1 and run.out == "" and run.err.startswith("sfp: error: cannot write nope/base.json")
    assert run.err.count("\n") == 1


# --- --sarif --------------------------------------------------------------------------------------------------


def test_sarif_is_a_log_ci_can_read_without_the_secrets(sfp: SfpRunner, project: Path) -> None:
    make_project(project)
    run = sfp("scan-secrets", "--sarif", cwd=project)
    assert run.code == 1, run.err
    log = json.loads(run.out)
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    [sarif_run] = log["runs"]
    assert sarif_run["tool"]["driver"]["name"] == "sfp"
    results = sarif_run["results"]
    assert [(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
             r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in results] == [
        ("github-token", "src/app.py", 3), ("secret-assignment", "src/settings.py", 3)]
    assert results[0]["partialFingerprints"] == {"sfpSecret/v1": fingerprint("src/app.py", "github-token", GH_PAT)}
    assert VALUE not in run.out and GH_PAT not in run.out and GH_PAT[4:] not in run.out


def test_sarif_against_a_baseline_holds_only_the_new_secrets(sfp: SfpRunner, project: Path) -> None:
    make_project(project)
    recorded = sfp("scan-secrets", "--sarif", "--baseline", "base.json", cwd=project)
    assert recorded.code == 0 and json.loads(recorded.out)["runs"][0]["results"] == []
    (project / "new.py").write_text(f"T = '{OTHER_PAT}'\n")
    run = sfp("scan-secrets", "--sarif", "--baseline", "base.json", cwd=project)
    assert run.code == 1
    [result] = json.loads(run.out)["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "new.py"
    assert result["baselineState"] == "new"
