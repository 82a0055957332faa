"""The SARIF 2.1.0 log of a scan: the shape CI systems require, and no secret in it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sfp import __version__
from sfp.gates.secret_baseline import Fingerprinted, fingerprint_findings
from sfp.gates.secret_sarif import FINGERPRINT_KEY, SCHEMA_URI, sarif_log
from sfp.gates.secret_scan import scan_files
from sfp.infra.redact import patterns

GH = "ghp_" + "a1B2" * 9  # assembled, so this file holds no secret whole
PASSWORD = "Tr0ub4dor" + "&3xQ"
KINDS = list(dict.fromkeys(p.kind for p in patterns()))


def scanned(root: Path, files: dict[str, str]) -> list[Fingerprinted]:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return fingerprint_findings(scan_files([str(root / name) for name in files]).findings, root)


def run_of(log: dict[str, Any]) -> dict[str, Any]:
    [run] = log["runs"]
    assert isinstance(run, dict)
    return run


def test_the_log_has_the_required_shape(tmp_path: Path) -> None:
    entries = scanned(tmp_path, {"src/app.py": f"import os\ngh = '{GH}'\n", "settings.py": f"DB_PASS{''}WORD = '{PASSWORD}'\n"})
    log = sarif_log(entries, KINDS, tmp_path)
    assert log["version"] == "2.1.0" and log["$schema"] == SCHEMA_URI
    run = run_of(log)
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"], driver["semanticVersion"]) == ("sfp", __version__, __version__)
    assert [rule["id"] for rule in driver["rules"]] == KINDS
    assert all(rule["defaultConfiguration"] == {"level": "error"} and rule["shortDescription"]["text"]
               and rule["fullDescription"]["text"] for rule in driver["rules"])
    assert run["originalUriBaseIds"]["SRCROOT"]["uri"] == tmp_path.as_uri() + "/"
    github, password = sorted(run["results"], key=lambda r: r["ruleId"])
    assert github["ruleId"] == "github-token" and driver["rules"][github["ruleIndex"]]["id"] == "github-token"
    assert github["level"] == "error" and "ghp_***" in github["message"]["text"]
    assert github["locations"] == [{"physicalLocation": {
        "artifactLocation": {"uri": "src/app.py", "uriBaseId": "SRCROOT"}, "region": {"startLine": 2}}}]
    assert github["partialFingerprints"] == {FINGERPRINT_KEY: next(e.fingerprint for e in entries
                                                                   if e.finding.kind == "github-token")}
    assert password["ruleId"] == "secret-assignment" and "Tr0u***" in password["message"]["text"]
    assert "baselineState" not in github


def test_no_secret_value_appears_anywhere_in_the_log(tmp_path: Path) -> None:
    entries = scanned(tmp_path, {"a.py": f"gh = '{GH}'\n", "b.py": f"DB_PASS{''}WORD = '{PASSWORD}'\n"})
    text = json.dumps(sarif_log(entries, KINDS, tmp_path))
    assert len(entries) == 2 and GH not in text and GH[4:12] not in text and PASSWORD not in text


def test_a_kind_found_but_not_listed_still_gets_a_rule(tmp_path: Path) -> None:
    entries = scanned(tmp_path, {"a.py": f"gh = '{GH}'\n"})
    driver = run_of(sarif_log(entries, ["jwt"], tmp_path))["tool"]["driver"]
    assert [rule["id"] for rule in driver["rules"]] == ["jwt", "github-token"]
    assert run_of(sarif_log(entries, ["jwt"], tmp_path))["results"][0]["ruleIndex"] == 1


def test_paths_are_percent_encoded_and_a_file_outside_the_root_is_an_absolute_uri(tmp_path: Path) -> None:
    inside = scanned(tmp_path / "root", {"my notes/a b.py": f"gh = '{GH}'\n"})
    outside = scanned(tmp_path / "elsewhere", {"x.py": f"gh = '{GH}'\n"})
    # fingerprinted against another root than the one the log is for
    moved = [e._replace(path=str(tmp_path / "elsewhere" / "x.py")) for e in outside]
    results = run_of(sarif_log([*inside, *moved], KINDS, tmp_path / "root"))["results"]
    locations = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in results]
    assert locations == [{"uri": "my%20notes/a%20b.py", "uriBaseId": "SRCROOT"},
                         {"uri": (tmp_path / "elsewhere" / "x.py").as_uri()}]


def test_results_against_a_baseline_are_marked_new(tmp_path: Path) -> None:
    entries = scanned(tmp_path, {"a.py": f"gh = '{GH}'\n"})
    [result] = run_of(sarif_log(entries, KINDS, tmp_path, against_baseline=True))["results"]
    assert result["baselineState"] == "new"


def test_a_clean_scan_is_a_log_with_an_empty_result_list(tmp_path: Path) -> None:
    run = run_of(sarif_log([], KINDS, tmp_path))
    assert run["results"] == [] and len(run["tool"]["driver"]["rules"]) == len(KINDS)
