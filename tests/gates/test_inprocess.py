"""The in-process secrets gate: only the files it is given, less secrets.exclude; each finding with file,
line, kind and the value masked, and the marker that allows a false positive."""

from __future__ import annotations

from pathlib import Path

from sfp.gates.inprocess import secrets_gate
from sfp.gates.secret_scan import ScanSettings

KEY = "AKIA" + "Q3EGRIXZ" * 2  # not sequential: "ABCDEFGHIJ…" is a stand-in the scanner passes over


def test_findings_name_file_line_kind_the_masked_value_and_the_marker(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a b.py").write_text(f"x = 1\nkey = '{KEY}'\n")
    (tmp_path / "other.py").write_text(f"key = '{KEY}'\n")
    passed, output = secrets_gate(ScanSettings())(tmp_path, ["sub/a b.py"])
    assert not passed and KEY not in output
    first, hint = output.splitlines()
    assert first.startswith("sub/a b.py:2: aws-access-key-id AKIA") and first.endswith("***")
    assert "other.py" not in output and "`sfp: allow-secret`" in hint


def test_allowed_and_excluded_files_pass(tmp_path: Path) -> None:
    (tmp_path / "allowed.py").write_text(f"key = '{KEY}'  # sfp: allow-secret\n")
    (tmp_path / "fixtures").mkdir()
    (tmp_path / "fixtures" / "keys.py").write_text(f"key = '{KEY}'\n")
    gate = secrets_gate(ScanSettings(exclude=("fixtures/**",)))
    assert gate(tmp_path, ["allowed.py", "fixtures/keys.py"]) == (True, "no secrets in 1 file\n")
