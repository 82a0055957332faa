"""Secret findings as a SARIF 2.1.0 log, the format CI systems (code scanning) read.

One rule per kind of the redaction table; one result per finding, located by
path and line, its message showing the masked value only, and the baseline's
fingerprint as its partial fingerprint so a CI system tracks a secret across
edits the way `--baseline` does.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Final
from urllib.parse import quote

from sfp.gates.secret_baseline import Fingerprinted

VERSION: Final = "2.1.0"
SCHEMA_URI: Final = "https://json.schemastore.org/sarif-2.1.0.json"
ROOT_ID: Final = "SRCROOT"  # the uriBaseId the results' relative paths hang from
FINGERPRINT_KEY: Final = "sfpSecret/v1"
ADVICE: Final = ("Read it from an environment variable or a git-ignored file instead; for a deliberate test "
                 "fixture, put `sfp: allow-secret` in a comment on the line.")


def sarif_log(entries: Sequence[Fingerprinted], kinds: Sequence[str], base: Path, *,
              against_baseline: bool = False) -> dict[str, object]:
    """The log of one run: `kinds` become the rules (kinds found but not listed are added), `entries` the results."""
    from sfp import __version__

    rule_ids = list(dict.fromkeys([*kinds, *(e.finding.kind for e in entries)]))
    index = {kind: n for n, kind in enumerate(rule_ids)}
    driver = {"name": "sfp", "version": __version__, "semanticVersion": __version__,
              "rules": [_rule(kind) for kind in rule_ids]}
    run: dict[str, object] = {
        "tool": {"driver": driver},
        "originalUriBaseIds": {ROOT_ID: {"uri": _folder_uri(base)}},
        "results": [_result(e, index[e.finding.kind], against_baseline) for e in entries],
    }
    return {"$schema": SCHEMA_URI, "version": VERSION, "runs": [run]}


def _rule(kind: str) -> dict[str, object]:
    return {
        "id": kind,
        "name": "".join(word.capitalize() for word in kind.replace("_", "-").split("-")),
        "shortDescription": {"text": f"Hard-coded secret: {kind}"},
        "fullDescription": {"text": f"A value of the shape sfp's secrets table calls {kind}, written into a file."},
        "help": {"text": ADVICE},
        "defaultConfiguration": {"level": "error"},
    }


def _result(entry: Fingerprinted, rule_index: int, against_baseline: bool) -> dict[str, object]:
    finding = entry.finding
    result: dict[str, object] = {
        "ruleId": finding.kind,
        "ruleIndex": rule_index,
        "level": "error",
        "message": {"text": f"{finding.kind} (value: {finding.masked}). {ADVICE}"},
        "locations": [{"physicalLocation": {"artifactLocation": _artifact(entry),
                                            "region": {"startLine": finding.line}}}],
        "partialFingerprints": {FINGERPRINT_KEY: entry.fingerprint},
    }
    if against_baseline:
        result["baselineState"] = "new"  # only findings the baseline lacks are reported
    return result


def _artifact(entry: Fingerprinted) -> dict[str, str]:
    if os.path.isabs(entry.path) or entry.path == ".." or entry.path.startswith("../"):
        # Outside the scanned root: an absolute file URI, which SARIF allows without a base.
        return {"uri": Path(os.path.abspath(entry.finding.path)).as_uri()}
    return {"uri": quote(entry.path, safe="/"), "uriBaseId": ROOT_ID}


def _folder_uri(base: Path) -> str:
    # A base URI must end with "/" for relative URIs to resolve beneath it rather than beside it.
    return Path(os.path.abspath(base)).as_uri().rstrip("/") + "/"
