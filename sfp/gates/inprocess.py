"""Gates sfp runs in process (`builtin:` in gates.yaml), on the gate's files only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from sfp.gates.runner import Builtin
from sfp.gates.secret_scan import ALLOW_MARKER, ScanSettings, scan_files

ALLOW_TEXT = ALLOW_MARKER.decode()


def builtins(secrets: ScanSettings = ScanSettings()) -> Mapping[str, Builtin]:
    return {"secrets": secrets_gate(secrets)}


def secrets_gate(settings: ScanSettings) -> Builtin:
    """sfp's secrets scan (sfp/gates/secret_scan.py) on the files it is given, less `secrets.exclude`."""

    def run(cwd: Path, files: Sequence[str]) -> tuple[bool, str]:
        from sfp.gates.globs import matching

        excluded = set(matching(files, settings.exclude)) if settings.exclude else set()
        kept = [f for f in files if f not in excluded]
        tally = scan_files([str(cwd / f) for f in kept], settings.max_file_bytes)
        if not tally.findings:
            return True, f"no secrets in {tally.scanned} file{'s' if tally.scanned != 1 else ''}\n"
        names = dict(zip((str(cwd / f) for f in kept), kept))
        found = sorted(tally.findings, key=lambda f: (f.path, f.line))
        lines = [f"{names.get(f.path, f.path)}:{f.line}: {f.kind} {f.masked}" for f in found]
        lines.append(f"Move each secret out of the file (an environment variable, a secrets store). Not a secret? "
                     f"Put `{ALLOW_TEXT}` in a comment on that line (or alone on the line before it).")
        return False, "\n".join(lines) + "\n"

    return run
