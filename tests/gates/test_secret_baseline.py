"""Fingerprints that follow a secret, not its line, and the baseline file that holds them."""

from __future__ import annotations

import hashlib
import json
import stat
from collections import Counter
from pathlib import Path

import pytest

from sfp.errors import UsageError
from sfp.gates.secret_baseline import (
    SCHEMA, Baseline, Fingerprinted, compare, fingerprint, fingerprint_findings, read_baseline, relative_path,
    write_baseline,
)
from sfp.gates.secret_scan import SecretFinding, scan_files

# Assembled at run time, so this file holds no secret whole.
GH = "ghp_" + "a1B2" * 9
GH_OTHER = "ghp_" + "c3D4" * 9
PASSWORD = "Tr0ub4dor" + "&3xQ"
PEM_HEAD, PEM_FOOT = "-----BEGIN RSA PRIV" + "ATE KEY-----", "-----END RSA PRIV" + "ATE KEY-----"
KEY_LINE = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun"


def entries_of(tmp_path: Path, name: str, text: str) -> list[Fingerprinted]:
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_text(text)
    findings = scan_files([str(tmp_path / name)]).findings
    return fingerprint_findings(findings, tmp_path)


def test_a_fingerprint_survives_lines_moving(tmp_path: Path) -> None:
    [before] = entries_of(tmp_path, "app.py", f"gh = '{GH}'\n")
    [after] = entries_of(tmp_path, "app.py", "import os\n\n\n" + f"gh = '{GH}'\n")
    assert (before.finding.line, after.finding.line) == (1, 4)
    assert before.fingerprint == after.fingerprint and len(before.fingerprint) == 64


def test_a_fingerprint_changes_with_the_secret_the_path_and_the_kind(tmp_path: Path) -> None:
    [first] = entries_of(tmp_path, "app.py", f"gh = '{GH}'\n")
    [changed] = entries_of(tmp_path, "app.py", f"gh = '{GH_OTHER}'\n")
    [moved] = entries_of(tmp_path, "src/app.py", f"gh = '{GH}'\n")
    assert len({first.fingerprint, changed.fingerprint, moved.fingerprint}) == 3
    assert moved.path == "src/app.py"
    assert fingerprint("app.py", "github-token", GH) == first.fingerprint
    assert fingerprint("app.py", "jwt", GH) != first.fingerprint


def test_quotes_around_a_value_are_not_part_of_it(tmp_path: Path) -> None:
    [single] = entries_of(tmp_path, "settings.py", f"DB_PASS{''}WORD = '{PASSWORD}'\n")
    [double] = entries_of(tmp_path, "settings.py", f'DB_PASS{""}WORD = "{PASSWORD}"\n')
    assert single.fingerprint == double.fingerprint == fingerprint("settings.py", "secret-assignment", PASSWORD)


def test_two_secrets_of_one_kind_on_one_line_are_told_apart(tmp_path: Path) -> None:
    first, second = entries_of(tmp_path, "app.py", f"pair = ('{GH}', '{GH_OTHER}')\n")
    assert first.fingerprint == fingerprint("app.py", "github-token", GH)
    assert second.fingerprint == fingerprint("app.py", "github-token", GH_OTHER)


def test_a_key_block_is_fingerprinted_by_its_body_not_its_header(tmp_path: Path) -> None:
    def key(body: str) -> str:
        return f"x = 1\n{PEM_HEAD}\n{body}\n{body}\n{PEM_FOOT}\n"

    [one] = entries_of(tmp_path, "id_rsa", key(KEY_LINE))
    [other] = entries_of(tmp_path, "id_rsa", key(KEY_LINE[::-1]))
    [moved] = entries_of(tmp_path, "id_rsa", "\n\n" + key(KEY_LINE))
    assert one.finding.kind == "private-key" and one.finding.line == 2
    assert one.fingerprint != other.fingerprint and one.fingerprint == moved.fingerprint


def test_a_file_gone_since_the_scan_still_gets_a_stable_fingerprint(tmp_path: Path) -> None:
    gone = SecretFinding(str(tmp_path / "gone.py"), 3, "github-token", "ghp_***")
    [one], [two] = fingerprint_findings([gone], tmp_path), fingerprint_findings([gone], tmp_path)
    assert one.fingerprint == two.fingerprint and one.path == "gone.py"


def test_the_hash_is_stretched_so_a_weak_password_is_not_one_sha256_away() -> None:
    plain = hashlib.sha256(f"app.py\0secret-assignment\0{PASSWORD}".encode()).hexdigest()
    assert fingerprint("app.py", "secret-assignment", PASSWORD) != plain


def test_paths_are_relative_to_the_base_with_slashes(tmp_path: Path) -> None:
    assert relative_path(str(tmp_path / "src" / "a.py"), tmp_path) == "src/a.py"
    assert relative_path("/elsewhere/a.py", tmp_path) == "/elsewhere/a.py"
    assert relative_path(str(tmp_path) + "-other/a.py", tmp_path) == str(tmp_path) + "-other/a.py"


# --- the file --------------------------------------------------------------------------------------------


def test_the_baseline_holds_fingerprints_paths_kinds_and_lines_but_no_value(tmp_path: Path) -> None:
    entries = entries_of(tmp_path, "app.py", f"gh = '{GH}'\nDB_PASS{''}WORD = '{PASSWORD}'\n")
    target = tmp_path / "baseline.json"
    write_baseline(target, entries)
    text = target.read_text()
    assert GH not in text and PASSWORD not in text and GH[4:] not in text
    assert json.loads(text) == {"schema": SCHEMA, "findings": [
        {"fingerprint": entries[0].fingerprint, "path": "app.py", "kind": "github-token", "line": 1},
        {"fingerprint": entries[1].fingerprint, "path": "app.py", "kind": "secret-assignment", "line": 2},
    ]}
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert read_baseline(target).fingerprints == {entries[0].fingerprint: 1, entries[1].fingerprint: 1}


DAMAGED: dict[str, tuple[str | bytes, str]] = {
    "not JSON": ("{\"schema\": ", "not JSON (line 1, column 12"),
    "not UTF-8": (b"\xff\xfe{}", "not UTF-8 text"),
    "a list": ("[]", "not a JSON object"),
    "another schema": (json.dumps({"schema": "sfp.secrets/1", "findings": []}), 'schema is "sfp.secrets/1"'),
    "no schema": (json.dumps({"findings": []}), "schema is null"),
    "no findings": (json.dumps({"schema": SCHEMA}), 'no "findings" list'),
    "a bad fingerprint": (json.dumps({"schema": SCHEMA, "findings": [{"fingerprint": "f" * 64}, {"fingerprint": "x"}]}),
                          "finding 2 has no fingerprint of 64 hex digits"),
    "an entry not an object": (json.dumps({"schema": SCHEMA, "findings": ["f" * 64]}),
                               "finding 1 has no fingerprint"),
}


@pytest.mark.parametrize("case", sorted(DAMAGED))
def test_a_damaged_baseline_is_a_usage_error_not_an_empty_one(tmp_path: Path, case: str) -> None:
    content, reason = DAMAGED[case]
    target = tmp_path / "baseline.json"
    target.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(UsageError) as raised:
        read_baseline(target)
    message = str(raised.value)
    assert message.startswith(f"secrets baseline {target} is damaged: ") and reason in message
    assert "--update-baseline" in message and "\n" not in message


def test_a_folder_or_an_unreadable_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="is a folder"):
        read_baseline(tmp_path)
    with pytest.raises(UsageError, match="cannot read secrets baseline"):
        read_baseline(tmp_path / "missing.json")


def test_compare_matches_fingerprints_one_for_one(tmp_path: Path) -> None:
    first, again, other = entries_of(tmp_path, "app.py", f"a = '{GH}'\nb = '{GH}'\nc = '{GH_OTHER}'\n")
    assert first.fingerprint == again.fingerprint
    result = compare([first, again, other], Baseline(Counter([first.fingerprint])))
    assert result.known == 1 and [e.finding.line for e in result.new] == [2, 3]
    everything = Baseline(Counter([first.fingerprint, first.fingerprint, other.fingerprint]))
    assert compare([first, again, other], everything) == ((), 3)


def test_a_baseline_nested_too_deeply_is_a_damaged_baseline(tmp_path: Path) -> None:
    from sfp.errors import UsageError
    from sfp.gates.secret_baseline import read_baseline

    path = tmp_path / "base.json"
    path.write_text("[" * 100000)
    with pytest.raises(UsageError, match="nested deeper"):
        read_baseline(path)
