"""The secrets gate's scanner: which files, what in them, and that it agrees with redaction exactly."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sfp.errors import ConfigError, UsageError
from sfp.infra.redact import examples, find_secrets, mask_value, patterns
from sfp.gates.secret_scan import (
    SecretFinding, ScanSettings, iter_files, read_candidate, scan, scan_bytes, scan_files, scan_text, load_scan_settings,
)

# Fakes, each assembled at run time so that this file holds none of them whole.
PEM = ("-----BEGIN RSA PRIVATE" + " KEY-----\n" + "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n" * 2
       + "-----END RSA PRIVATE KEY-----")
def _example_and_value(text: str) -> tuple[str, str]:
    [match] = find_secrets(text)
    return text, text[match.start:match.end]


# One text per kind, from the table's own synthetic examples (no source file holds one whole).
EXAMPLES = {kind: _example_and_value(text) for kind, text in examples().items()}
SECRET_LINE = "DB_PASS" + "WORD = 'Tr0ub4dor&3x'"
NOISE = "import os\n\n\ndef main() -> None:\n    print('hello, world')  # key: value\n"


def test_every_kind_of_the_table_has_an_example() -> None:
    assert set(EXAMPLES) == {p.kind for p in patterns()}


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_each_kind_is_found_on_its_line_and_masked(kind: str) -> None:
    text, value = EXAMPLES[kind]
    [finding] = scan_text(NOISE + text + "\n" + NOISE, "app.py")
    line = NOISE.count("\n") + 1 + text.count("\n", 0, text.index(value))
    assert finding == SecretFinding("app.py", line, kind, mask_value(value))
    assert value.strip("'") not in finding.masked and finding.masked.endswith("***")


def test_a_file_without_anchors_costs_no_decoding() -> None:
    assert scan_bytes(b"\xff\xfe not utf-8 \x80 but no secret either\n" * 100, "x") == []


def test_lines_are_counted_in_undecodable_files() -> None:
    data = b"\xff\x80\n\n" + EXAMPLES["github-token"][0].encode() + b"\n"
    [finding] = scan_bytes(data, "x")
    assert finding.line == 3


# --- scanning agrees with redaction ------------------------------------------------------------------------

FRAGMENTS = [text for text, _ in EXAMPLES.values()] + [
    "token_type = 'header'", "password = input()", "x = 1", "# a comment", "", "   ", "ké = 'ü'", "\t",
    "Bearer", "-----BEGIN RSA PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----", "token:", "= 'abcd1234'",
    "AKIA", "sk-", "://u:", "@", "password=", "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ff",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=12), st.lists(st.sampled_from([" ", "\n", "", "; "]),
                                                                    min_size=12, max_size=12))
@example(pieces=["aws_id = 'AKIA" + "EG634T6ACDX620KY'"] * 4 + ["data:\n  password: SHVudGVyMng5cQ==\nkind: Secret"]
         + ["aws_id = 'AKIA" + "EG634T6ACDX620KY'"] * 4 + ["kind: Secret\ndata:\n  password: SHVudGVyMng5cQ=="],
         glue=[" ", " ", " ", "\n", " ", " ", " ", " ", "\n", " ", " ", " "])
def test_scanning_reports_exactly_what_the_table_finds(pieces: list[str], glue: list[str]) -> None:
    text = "".join(piece + sep for piece, sep in zip(pieces, glue))
    expected = [(text.count("\n", 0, m.start) + 1, mask_value(text[m.start:m.end])) for m in find_secrets(text)]
    # The same values on the same lines. Not always under the same name: a row that reads context lines
    # away (Kubernetes' `kind: Secret` around `data:`) may see less of it in the lines the scanner decodes
    # than in the whole text, and the value is then named by the generic row (each kind's own example is
    # found as its kind: tests/infra/test_redact.py::test_every_row_has_an_example_found_as_its_own_kind_and_masked).
    assert [(f.line, f.masked) for f in scan_text(text)] == expected
    # and redaction masks at least what the scanner reports
    masked = find_secrets(text, stand_ins=True)
    assert all(any(r.start <= m.start and m.end <= r.end for r in masked) for m in find_secrets(text))


# --- the allow marker --------------------------------------------------------------------------------------



def test_the_marker_allows_its_own_line() -> None:
    assert scan_text(f"{SECRET_LINE}  # sfp: allow-secret\n") == []


def test_a_marker_alone_on_a_line_allows_the_next_line_only() -> None:
    found = scan_text(f"// sfp: allow-secret\n{SECRET_LINE}\n{SECRET_LINE}\n")
    assert [f.line for f in found] == [3]


def test_a_marker_after_a_secret_does_not_reach_the_next_line() -> None:
    found = scan_text(f"{SECRET_LINE}  # sfp: allow-secret\n{SECRET_LINE}\n")
    assert [f.line for f in found] == [2]


def test_a_marker_above_a_key_block_allows_the_block() -> None:
    assert scan_text(f"# sfp: allow-secret\n{PEM}\n") == []


# --- which files --------------------------------------------------------------------------------------------


def write(path: Path, text: str | bytes = "x = 1\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def listed(root: Path, project: str = ".", exclude: tuple[str, ...] = ()) -> set[str]:
    return {os.path.relpath(p, root) for p in iter_files([str(root)], project=project, exclude=exclude)}


def test_the_walk_skips_vcs_dependency_cache_and_build_folders(tmp_path: Path) -> None:
    for name in ("app.py", "src/lib.py", ".git/config", "node_modules/x/index.js", ".venv/lib/a.py", "venv/a.py",
                 "__pycache__/a.pyc", ".mypy_cache/a", "dist/a.js", "build/a.js", "target/a", "pkg.egg-info/PKG-INFO",
                 ".tox/a", "lib/site-packages/a.py", "myenv/pyvenv.cfg", "myenv/lib/a.py", "env/settings.py"):
        write(tmp_path / name)
    # `env` holding no pyvenv.cfg is a folder of the project's own
    assert listed(tmp_path) == {"app.py", "src/lib.py", "env/settings.py"}


def test_the_walk_does_not_follow_symlinks(tmp_path: Path) -> None:
    outside = write(tmp_path / "outside" / "secret.py")
    project = tmp_path / "project"
    write(project / "app.py")
    (project / "link.py").symlink_to(outside)
    (project / "linkdir").symlink_to(outside.parent)
    assert listed(project) == {"app.py"}


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    write(root / ".gitignore", "secrets.env\nlogs/\n")
    write(root / "app.py")
    write(root / "secrets.env")
    write(root / "logs" / "today.log")
    write(root / "node_modules" / "dep" / "index.js")
    write(root / "src" / "new.py")  # untracked, not ignored
    git(root, "add", "-f", ".gitignore", "app.py", "node_modules")
    return root


def test_in_a_git_work_tree_ignored_files_are_left_out(repo: Path) -> None:
    # a committed node_modules is still somebody else's code
    assert listed(repo) == {".gitignore", "app.py", "src/new.py"}


def test_a_subfolder_of_a_work_tree_lists_only_its_own_files(repo: Path) -> None:
    assert [p for p in iter_files([str(repo / "src")])] == [str(repo / "src" / "new.py")]


def test_a_file_named_explicitly_is_scanned_even_when_ignored(repo: Path) -> None:
    write(repo / "secrets.env", SECRET_LINE + "\n")
    report = scan([str(repo / "secrets.env")])
    assert [f.kind for f in report.findings] == ["secret-assignment"]
    assert scan([str(repo)]).findings == ()


def test_paths_keep_the_root_they_were_given_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "src" / "a.py")
    monkeypatch.chdir(tmp_path)
    assert list(iter_files(["."])) == ["src/a.py"]
    assert list(iter_files(["src"])) == ["src/a.py"]
    assert list(iter_files(["src", "src/a.py"])) == ["src/a.py"]  # named twice, scanned once


def test_exclude_globs_are_relative_to_the_project(tmp_path: Path) -> None:
    for name in ("app.py", "tests/fixtures/keys.py", "tests/test_app.py", "docs/setup.md", "vendor/lib/x.py"):
        write(tmp_path / name)
    exclude = ("tests/fixtures/**", "*.md", "vendor")
    assert listed(tmp_path, project=str(tmp_path), exclude=exclude) == {"app.py", "tests/test_app.py"}
    # from a subfolder, the globs still mean project paths
    assert listed(tmp_path / "tests", project=str(tmp_path), exclude=exclude) == {"test_app.py"}


def test_binary_oversized_and_special_files_are_skipped(tmp_path: Path) -> None:
    binary = write(tmp_path / "logo.png", b"\x89PNG\r\n\x1a\n\0\0" + SECRET_LINE.encode())
    late_nul = write(tmp_path / "data.txt", SECRET_LINE.encode() + b"\n" + b"a" * 9000 + b"\0")
    big = write(tmp_path / "big.txt", SECRET_LINE + "\n" + "x" * 100)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert read_candidate(str(binary), 1000).status == "binary"
    assert read_candidate(str(late_nul), 100_000).status == "text"  # a NUL past the first 8 KB doesn't count
    assert read_candidate(str(big), 50).status == "large"
    assert read_candidate(str(fifo), 1000).status == "unreadable"  # and it didn't wait for a writer
    assert read_candidate(str(tmp_path / "gone"), 1000).status == "unreadable"
    tally = scan_files([str(binary), str(late_nul), str(big)], max_bytes=120)
    assert (tally.scanned, tally.binary, tally.large) == (0, 1, 2)


def test_a_big_text_file_is_read_whole(tmp_path: Path) -> None:
    path = write(tmp_path / "big.py", "x = 1\n" * 20000 + SECRET_LINE + "\n")
    [finding] = scan([str(path)]).findings
    assert finding.line == 20001


# --- a whole scan -----------------------------------------------------------------------------------------------


def test_scan_sorts_by_path_then_line_and_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "b.py", f"{NOISE}{SECRET_LINE}\n")
    write(tmp_path / "a.py", f"{SECRET_LINE}\n{NOISE}{SECRET_LINE}\n")
    write(tmp_path / "clean.py")
    write(tmp_path / "img.bin", b"\0\1\2")
    monkeypatch.chdir(tmp_path)
    report = scan([])
    assert [(f.path, f.line) for f in report.findings] == [("a.py", 1), ("a.py", 7), ("b.py", 6)]
    assert (report.files_scanned, report.files_with_findings(), report.skipped_binary) == (3, 2, 1)


def test_worker_processes_find_the_same_as_one(tmp_path: Path) -> None:
    for i in range(40):
        write(tmp_path / f"m{i}.py", NOISE * i + (SECRET_LINE + "\n" if i % 3 == 0 else ""))
    serial = scan([str(tmp_path)], ScanSettings(jobs=1))
    parallel = scan([str(tmp_path)], ScanSettings(jobs=2))
    assert parallel == serial and len(serial.findings) == 14


def test_a_path_that_does_not_exist_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file or folder: .*nope"):
        scan([str(tmp_path / "nope")])


def test_settings_come_from_the_secrets_section(tmp_path: Path) -> None:
    claude = tmp_path / "claude"
    assert load_scan_settings(claude, None) == ScanSettings()
    (claude / "sfp").mkdir(parents=True)
    (claude / "sfp" / "sfp.yaml").write_text("secrets:\n  exclude: [a/**]\n  max_file_bytes: 10\n")
    assert load_scan_settings(claude, None) == ScanSettings(("a/**",), 10)


@pytest.mark.parametrize("section, message", [
    ("[]", "should be a mapping"), ("{exclude: tests/**}", "should be a list"), ("{exclude: [1]}", "should be a string"),
    ("{max_file_bytes: 0}", "must be at least 1"), ("{max_file_bytes: 5MB}", "should be a whole number"),
    ("{max_file_bytes: true}", "should be a whole number"),
])
def test_bad_settings_are_config_errors_with_their_line(tmp_path: Path, section: str, message: str) -> None:
    claude = tmp_path / "claude"
    (claude / "sfp").mkdir(parents=True)
    (claude / "sfp" / "sfp.yaml").write_text(f"secrets: {section}\n")
    with pytest.raises(ConfigError, match=rf"sfp\.yaml:1:\d+: `secrets.*{message}"):
        load_scan_settings(claude, None)


def test_anchor_spans_widen_to_whole_lines_and_merge() -> None:
    from sfp.gates.secret_scan import _line_regions

    data = b"aa\nbbbb\ncc\ndd\nee"
    # two spans on line 2, one crossing lines 3-4, one on the last line (no newline after it)
    assert _line_regions(data, [(5, 6), (3, 4), (9, 12), (15, 16)]) == [(3, 7), (8, 13), (14, 16)]
    assert _line_regions(data, [(0, 1), (1, 12)]) == [(0, 13)]


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_the_cheap_pre_check_lets_every_kind_through(kind: str) -> None:
    from sfp.infra.redact import may_hold_secret

    assert may_hold_secret(EXAMPLES[kind][0])  # the guard skips the table when this says no
