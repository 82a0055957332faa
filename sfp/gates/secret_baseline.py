"""Fingerprints of secret findings, and the baseline file that lets a scan report only the new ones.

A fingerprint names one secret in one file: it is derived from the file's
path (relative to the project), the kind and the secret's value, and nothing
else, so lines moving up or down keep it while a changed secret gets a new
one. The value is found again by re-reading the finding's line with the
redaction table (`find_secrets`, as the scan did); only the fingerprint is
kept, never the value.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Final

from sfp.errors import UsageError
from sfp.gates.secret_scan import SecretFinding
from sfp.infra.record import Record
from sfp.infra.redact import find_secrets

SCHEMA: Final = "sfp.secrets-baseline/1"
# A baseline is committed: a plain hash of a weak password could be reversed by trying a dictionary. A salted,
# stretched hash makes each guess 10,000 times dearer and costs a scan about 2 ms a finding.
HASH_ROUNDS: Final = 10_000
# How far past its first line a secret may reach (a private key block: 16 KiB of text, up to 4 bytes each).
MULTILINE_REACH_BYTES: Final = 4 * 16384 + 1024
_HEX: Final = frozenset("0123456789abcdef")


class Fingerprinted(Record):
    finding: SecretFinding
    path: str  # relative to the project, with "/" (the finding's own path when outside it)
    fingerprint: str  # 64 hex digits


class Baseline(Record):
    """The recorded fingerprints, counted: a secret pasted a second time into the same file is new."""

    fingerprints: Counter[str]

    def __len__(self) -> int:
        return sum(self.fingerprints.values())


class Comparison(Record):
    new: tuple[Fingerprinted, ...]
    known: int  # findings the baseline holds


def fingerprint(path: str, kind: str, value: str) -> str:
    salt = f"{SCHEMA}\0{path}\0{kind}".encode()
    return hashlib.pbkdf2_hmac("sha256", value.encode("utf-8", "surrogatepass"), salt, HASH_ROUNDS).hex()


def relative_path(path: str, base: Path) -> str:
    """`path` relative to `base` with "/" separators; as given (with "/") when it lies outside `base`."""
    absolute = os.path.abspath(path)
    root = os.path.abspath(base)
    if absolute.startswith(root.rstrip(os.sep) + os.sep):
        return absolute[len(root.rstrip(os.sep)) + 1:].replace(os.sep, "/")
    return path.replace(os.sep, "/")


def fingerprint_findings(findings: Sequence[SecretFinding], base: Path) -> list[Fingerprinted]:
    """Each finding with its fingerprint, in the order given; each file is read once."""
    by_path: dict[str, list[int]] = {}
    for index, finding in enumerate(findings):
        by_path.setdefault(finding.path, []).append(index)
    values: dict[int, str] = {}
    for path, indexes in by_path.items():
        values.update(zip(indexes, _values_in_file(path, [findings[i] for i in indexes])))
    entries = []
    for index, finding in enumerate(findings):
        path = relative_path(finding.path, base)
        entries.append(Fingerprinted(finding, path, fingerprint(path, finding.kind, values[index])))
    return entries


def _values_in_file(path: str, findings: list[SecretFinding]) -> list[str]:
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError:
        data = b""  # gone since the scan: the fallback below still gives a stable fingerprint
    starts = _line_starts(data, {f.line for f in findings})
    taken: Counter[tuple[int, str]] = Counter()
    values = []
    for finding in findings:
        nth = taken[finding.line, finding.kind]
        taken[finding.line, finding.kind] += 1
        values.append(_value_at(data, starts.get(finding.line), finding, nth))
    return values


def _line_starts(data: bytes, lines: set[int]) -> dict[int, int]:
    """Where each of `lines` (1-based) starts in `data`, in one pass."""
    starts: dict[int, int] = {}
    line, at = 1, 0
    for wanted in sorted(lines):
        while line < wanted:
            found = data.find(b"\n", at)
            if found < 0:
                return starts
            line, at = line + 1, found + 1
        starts[wanted] = at
    return starts


def _value_at(data: bytes, start: int | None, finding: SecretFinding, nth: int) -> str:
    """The `nth` secret of the finding's kind that starts on its line; the line itself when none is found."""
    if start is None:
        return f"{finding.masked}\0(line gone)"
    end = data.find(b"\n", start)
    line_end = len(data) if end < 0 else end
    # The line alone first (cheap); a key block reaches past it, so look further only when that finds nothing.
    for reach in (line_end, min(len(data), line_end + MULTILINE_REACH_BYTES)):
        text = data[start:reach].decode("utf-8", "replace")
        first_line = text.find("\n") if "\n" in text else len(text)
        found = [text[m.start:m.end] for m in find_secrets(text) if m.kind == finding.kind and m.start < first_line]
        if len(found) > nth:
            return found[nth].strip("'\"")
    return data[start:line_end].decode("utf-8", "replace").strip()


# --- the baseline file ---------------------------------------------------------------------------------------


def baseline_document(entries: Iterable[Fingerprinted]) -> dict[str, object]:
    """The file's JSON: the fingerprint, path, kind and line of each finding - never its value."""
    rows = sorted(entries, key=lambda e: (e.path, e.finding.line, e.finding.kind, e.fingerprint))
    return {"schema": SCHEMA,
            "findings": [{"fingerprint": e.fingerprint, "path": e.path, "kind": e.finding.kind, "line": e.finding.line}
                         for e in rows]}


def write_baseline(path: Path, entries: Iterable[Fingerprinted]) -> None:
    from sfp.infra.storage import write_atomic

    write_atomic(path, json.dumps(baseline_document(entries), indent=2, ensure_ascii=False) + "\n")


def read_baseline(path: Path) -> Baseline:
    """The fingerprints recorded in `path`; a file that isn't a baseline is a usage error, never an empty one."""
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise UsageError(f"secrets baseline {path} is a folder; name a file") from None
    except OSError as exc:
        raise UsageError(f"cannot read secrets baseline {path}: {exc.strerror or exc}") from None
    try:
        document = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise _damaged(path, "not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise _damaged(path, f"not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except RecursionError:
        raise _damaged(path, "nested deeper than any baseline sfp writes") from None
    return Baseline(Counter(_fingerprints_of(document, path)))


def _fingerprints_of(document: object, path: Path) -> list[str]:
    if not isinstance(document, dict):
        raise _damaged(path, "not a JSON object")
    if document.get("schema") != SCHEMA:
        raise _damaged(path, f"schema is {json.dumps(document.get('schema'))}, not \"{SCHEMA}\"")
    findings = document.get("findings")
    if not isinstance(findings, list):
        raise _damaged(path, "no \"findings\" list")
    fingerprints = []
    for number, entry in enumerate(findings, 1):
        value = entry.get("fingerprint") if isinstance(entry, dict) else None
        if not (isinstance(value, str) and len(value) == 64 and _HEX.issuperset(value)):
            raise _damaged(path, f"finding {number} has no fingerprint of 64 hex digits")
        fingerprints.append(value)
    return fingerprints


def _damaged(path: Path, reason: str) -> UsageError:
    return UsageError(f"secrets baseline {path} is damaged: {reason}; "
                      "repair it, or record today's findings again with --update-baseline")


def compare(entries: Sequence[Fingerprinted], baseline: Baseline) -> Comparison:
    """The findings the baseline doesn't hold: fingerprints are matched one for one, in file order."""
    left = Counter(baseline.fingerprints)
    new = []
    for entry in entries:
        if left[entry.fingerprint] > 0:
            left[entry.fingerprint] -= 1
        else:
            new.append(entry)
    return Comparison(tuple(new), len(entries) - len(new))
