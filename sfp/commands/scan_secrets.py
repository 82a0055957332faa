"""`sfp scan-secrets [PATH...]`: the built-in secrets gate. Exit 1 when a file holds a hard-coded secret.

With `--baseline FILE` the findings recorded there are known and only new ones count; `--sarif` prints a
SARIF 2.1.0 log for CI, `--json` the findings and counts.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import IO

from sfp.commands.options import add_json, add_project, project_dir
from sfp.errors import UsageError
from sfp.gates.secret_baseline import (
    Baseline,
    Fingerprinted,
    compare,
    fingerprint_findings,
    read_baseline,
    write_baseline,
)
from sfp.gates.secret_scan import ScanReport, SecretFinding, load_scan_settings, scan
from sfp.infra.record import Record

SCHEMA = "sfp.secrets/1"


class Output(Record):
    format: str  # "text", "json" or "sarif"
    baseline: Path | None = None
    update_baseline: bool = False


class Outcome(Record):
    """What one run reports: the findings that count, with their fingerprints when they were needed."""

    findings: tuple[SecretFinding, ...]
    entries: tuple[Fingerprinted, ...]  # the findings with their fingerprints; () in plain text without a baseline
    baseline: BaselineNote | None = None


class BaselineNote(Record):
    file: Path
    recorded: bool  # written now, rather than compared with
    known: int  # findings the baseline holds, left out of `findings`
    change: tuple[int, int] | None = None  # (new, gone) against the file that was replaced


def scan_secrets(claude_dir: Path, project: Path | None, paths: list[str], output: Output, out: IO[str]) -> int:
    """Scan `paths` (default: the project given, else the current folder) with the project's `secrets:` config."""
    project_dir = project if project is not None else Path.cwd()
    settings = load_scan_settings(claude_dir, project_dir)
    # Read before the scan: a damaged baseline fails at once, not after scanning a big tree.
    known = _known(output)
    # Without a project named, paths stay relative to the current folder, as a person typed them.
    roots = paths or ([str(project)] if project is not None else ["."])
    report = scan(roots, settings, project=str(project_dir))
    outcome = _outcome(report, project_dir, output, known)
    if output.format == "json":
        out.write(json.dumps(report_as_json(report, outcome, settings.max_file_bytes), indent=2,
                             ensure_ascii=False) + "\n")
    elif output.format == "sarif":
        out.write(json.dumps(_sarif(outcome, project_dir, against_baseline=output.baseline is not None),
                             indent=2, ensure_ascii=False) + "\n")
    else:
        out.write(render_text(report, outcome, settings.max_file_bytes))
    return 1 if outcome.findings else 0


def _known(output: Output) -> Baseline | None:
    """The baseline to compare with: None when there is none yet, or when this run rewrites it."""
    if output.baseline is None or output.update_baseline or not output.baseline.exists():
        return None
    return read_baseline(output.baseline)


def _outcome(report: ScanReport, project_dir: Path, output: Output, known: Baseline | None) -> Outcome:
    if output.baseline is None and output.format == "text":
        return Outcome(report.findings, ())  # fingerprints cost a re-read and a stretched hash: only when used
    entries = fingerprint_findings(report.findings, project_dir)
    if output.baseline is None:
        return Outcome(report.findings, tuple(entries))
    if known is not None:
        compared = compare(entries, known)
        return Outcome(tuple(e.finding for e in compared.new), compared.new,
                       BaselineNote(output.baseline, False, compared.known))
    change = _change(output.baseline, entries) if output.update_baseline else None
    write_baseline(output.baseline, entries)
    return Outcome((), (), BaselineNote(output.baseline, True, len(entries), change))


def _change(path: Path, entries: list[Fingerprinted]) -> tuple[int, int] | None:
    """(new, gone) against the baseline being replaced; None when there was none, or none readable."""
    if not path.exists():
        return None
    try:
        old = read_baseline(path)
    except UsageError:
        return None  # a damaged file is being replaced on purpose
    compared = compare(entries, old)
    return len(compared.new), len(old) - compared.known


def _sarif(outcome: Outcome, project_dir: Path, *, against_baseline: bool) -> dict[str, object]:
    from sfp.gates.secret_sarif import sarif_log
    from sfp.infra.redact import patterns

    kinds = list(dict.fromkeys(p.kind for p in patterns()))
    return sarif_log(outcome.entries, kinds, project_dir, against_baseline=against_baseline)


# --- what a person reads ---------------------------------------------------------------------------------------


def render_text(report: ScanReport, outcome: Outcome, max_file_bytes: int) -> str:
    note = outcome.baseline
    if note is not None and note.recorded:
        # Every finding is listed, so the person sees what is being accepted.
        lines = [_finding_line(f) for f in report.findings]
        lines += [_recorded_line(note), _scanned(report, max_file_bytes).strip("()")]
    else:
        lines = [_finding_line(f) for f in outcome.findings]
        lines.append(summary(report, max_file_bytes, outcome.findings, note))
    return "\n".join(lines) + "\n"


def _finding_line(finding: SecretFinding) -> str:
    return f"{finding.path}:{finding.line}: {finding.kind} (value: {finding.masked})"


def _recorded_line(note: BaselineNote) -> str:
    text = f"recorded {note.known} secret{_s(note.known)} in {note.file} (fingerprints only, never the values)"
    if note.change is not None:
        new, gone = note.change
        text += f"; {new} new since it was last recorded, {gone} no longer found"
    return text + f"; later runs with --baseline {note.file} report only secrets not in it"


def summary(report: ScanReport, max_file_bytes: int, findings: tuple[SecretFinding, ...] | None = None,
            note: BaselineNote | None = None) -> str:
    shown = report.findings if findings is None else findings
    files = len({f.path for f in shown})
    new = "new " if note is not None else ""
    text = f"{len(shown)} {new}secret{_s(len(shown))} in {files} file{_s(files)} "
    if note is not None:
        text += f"({note.known} known from {note.file}; " + _scanned(report, max_file_bytes)[1:]
    else:
        text += _scanned(report, max_file_bytes)
    if shown:
        text += ("\nmove them to environment variables; for a false positive add `sfp: allow-secret` in a comment "
                 "on the line (or alone on the line above), or a glob to secrets.exclude in sfp.yaml")
    return text


def _scanned(report: ScanReport, max_file_bytes: int) -> str:
    text = f"(scanned {report.files_scanned} file{_s(report.files_scanned)}"
    skipped = []
    if report.skipped_binary:
        skipped.append(f"{report.skipped_binary} binary")
    if report.skipped_large:
        skipped.append(f"{report.skipped_large} over {_size(max_file_bytes)}")
    if skipped:
        text += "; skipped " + ", ".join(skipped)
    return text + ")"


def report_as_json(report: ScanReport, outcome: Outcome, max_file_bytes: int) -> dict[str, object]:
    note = outcome.baseline
    return {
        "schema": SCHEMA,
        "findings": [{"path": f.path, "line": f.line, "kind": f.kind, "masked": f.masked, "fingerprint": e.fingerprint}
                     for e in outcome.entries for f in [e.finding]],
        "scanned_file_count": report.files_scanned,
        "secret_file_count": len({f.path for f in outcome.findings}),
        "skipped_binary_count": report.skipped_binary,
        "skipped_large_count": report.skipped_large,
        "max_file_bytes": max_file_bytes,
        "baseline": None if note is None else {"path": str(note.file), "recorded": note.recorded,
                                               "known_count": note.known},
    }


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def _size(limit: int) -> str:
    return f"{limit / (1024 * 1024):g} MB" if limit >= 1024 * 1024 else f"{limit} bytes"


# --- the command line -----------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="files and folders to scan (default: --project, else the current folder)")
    add_json(parser, f"print the findings and counts as JSON (schema {SCHEMA})")
    parser.add_argument("--sarif", action="store_true", help="print a SARIF 2.1.0 log (for CI code scanning)")
    parser.add_argument("--baseline", metavar="FILE",
                        help="report only secrets not recorded in FILE; when FILE doesn't exist, record today's there")
    parser.add_argument("--update-baseline", action="store_true",
                        help="with --baseline: record today's findings in FILE again, replacing what it held")
    add_project(parser, "project whose sfp.yaml (secrets:) applies and whose files are scanned by default")


def run(args: argparse.Namespace, claude_dir: Path, out: IO[str]) -> int:
    if args.json and args.sarif:
        raise UsageError("--json and --sarif print different formats: choose one")
    if args.update_baseline and not args.baseline:
        raise UsageError("--update-baseline needs --baseline FILE: the file to rewrite")
    project = project_dir(args.project) if args.project else None
    output = Output("json" if args.json else "sarif" if args.sarif else "text",
                    Path(args.baseline).expanduser() if args.baseline else None, args.update_baseline)
    return scan_secrets(claude_dir, project, args.paths, output, out)

