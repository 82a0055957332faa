"""`sfp scan-secrets [PATH...]`: the built-in secrets gate. Exit 1 when a file holds a hard-coded secret."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import IO

from sfp.commands.options import add_json, add_project, project_dir
from sfp.gates.secret_scan import ScanReport, load_scan_settings, scan


def scan_secrets(claude_dir: Path, project: Path | None, paths: list[str], *, as_json: bool, out: IO[str]) -> int:
    """Scan `paths` (default: the project given, else the current folder) with the project's `secrets:` config."""
    project_dir = project if project is not None else Path.cwd()
    settings = load_scan_settings(claude_dir, project_dir)
    # Without a project named, paths stay relative to the current folder, as a person typed them.
    roots = paths or ([str(project)] if project is not None else ["."])
    report = scan(roots, settings, project=str(project_dir))
    if as_json:
        import json

        out.write(json.dumps(report_as_json(report, settings.max_file_bytes), indent=2, ensure_ascii=False) + "\n")
    else:
        for finding in report.findings:
            out.write(f"{finding.path}:{finding.line}: {finding.kind} (value: {finding.masked})\n")
        out.write(summary(report, settings.max_file_bytes) + "\n")
    return 1 if report.findings else 0


def summary(report: ScanReport, max_file_bytes: int) -> str:
    found = len(report.findings)
    text = (f"{found} secret{_s(found)} in {report.files_with_findings()} file{_s(report.files_with_findings())} "
            f"(scanned {report.files_scanned} file{_s(report.files_scanned)}")
    skipped = []
    if report.skipped_binary:
        skipped.append(f"{report.skipped_binary} binary")
    if report.skipped_large:
        skipped.append(f"{report.skipped_large} over {_size(max_file_bytes)}")
    if skipped:
        text += "; skipped " + ", ".join(skipped)
    text += ")"
    if found:
        text += ("\nmove them to environment variables; for a false positive add `sfp: allow-secret` in a comment "
                 "on the line (or alone on the line above), or a glob to secrets.exclude in sfp.yaml")
    return text


def report_as_json(report: ScanReport, max_file_bytes: int) -> dict[str, object]:
    return {
        "findings": [{"path": f.path, "line": f.line, "kind": f.kind, "masked": f.masked} for f in report.findings],
        "files_scanned": report.files_scanned,
        "files_with_secrets": report.files_with_findings(),
        "skipped": {"binary": report.skipped_binary, "too_large": report.skipped_large},
        "max_file_bytes": max_file_bytes,
    }


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def _size(limit: int) -> str:
    return f"{limit / (1024 * 1024):g} MB" if limit >= 1024 * 1024 else f"{limit} bytes"


# --- the command line -----------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="files and folders to scan (default: --project, else the current folder)")
    add_json(parser, "print the findings and counts as JSON")
    add_project(parser, "project whose sfp.yaml (secrets:) applies and whose files are scanned by default")


def run(args: argparse.Namespace, claude_dir: Path, out: IO[str]) -> int:
    project = project_dir(args.project) if args.project else None
    return scan_secrets(claude_dir, project, args.paths, as_json=args.json, out=out)
