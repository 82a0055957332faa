"""`sfp doctor`: why hooks might not fire, and what to do about each thing found."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO

from sfp.health.doctor import diagnose, worst
from sfp.health.installed import BROKEN

ICONS = {"ok": "✅", "warn": "⚠️ ", "broken": "❌"}


def doctor(claude_dir: Path, project: Path, *, as_json: bool, probe: bool, out: IO[str]) -> int:
    findings = diagnose(claude_dir, project, probe_hooks=probe)
    overall = worst(findings)
    if as_json:
        out.write(json.dumps({"status": overall, "findings": [f._asdict() for f in findings]}, indent=2, ensure_ascii=False) + "\n")
    else:
        for finding in findings:
            out.write(f"{ICONS[finding.status]} {finding.title}\n")
            if finding.detail and finding.status != "ok":
                out.write(f"     {finding.detail}\n")
            if finding.fix and finding.status != "ok":
                out.write(f"     fix: {finding.fix}\n")
        out.write(f"\n{'nothing broken' if overall != BROKEN else 'something is broken: see the fixes above'}\n")
    return 1 if overall == BROKEN else 0
