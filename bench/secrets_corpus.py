#!/usr/bin/env python3
"""Recall and false positives of sfp's secrets scanner on the labeled corpus in ../shared.

Usage: python bench/secrets_corpus.py [--corpus FILE] [--show] [--lines]

The corpus (../shared/fixtures/secrets-corpus/secrets-corpus.json, described in the README beside it)
holds secrets and look-alikes from three peers' own test data. Each sample is written to a temporary
folder as `<id>/<file>`, the folder is scanned once by `sfp.gates.secret_scan.scan` (what
`sfp scan-secrets` runs), and a sample counts as found when a finding is in its file on one of its
lines (`lines: null`: any line). A look-alike found that way is a false positive. Printed: overall,
per source and per kind, beside the peers' figures the corpus records; `--show` lists the misses and
false positives. Nothing of the corpus is copied into the repository; when ../shared is absent the
script says so and exits 0.
"""

from __future__ import annotations

import argparse
import base64
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sfp.gates.secret_scan import SecretFinding, scan  # noqa: E402

CORPUS: Path = ROOT.parent / "shared" / "fixtures" / "secrets-corpus" / "secrets-corpus.json"
GOAL_RECALL = 0.80
GOAL_FALSE_POSITIVES = 9  # gitleaks' figure on the corpus
PEERS = ("gitleaks", "detect-secrets", "secretlint")


class Sample(NamedTuple):
    id: str
    source: str
    kind: str
    is_secret: bool
    file: str
    lines: frozenset[int] | None  # None: any line
    rule: str
    text: str


class Judged(NamedTuple):
    sample: Sample
    hits: tuple[SecretFinding, ...]  # the findings that land in the sample's file, on its lines


class Counts(NamedTuple):
    found: int
    positives: int
    false_positives: int
    negatives: int

    @property
    def recall(self) -> float:
        return self.found / self.positives if self.positives else 1.0


def load_corpus(path: Path = CORPUS) -> tuple[list[Sample], dict[str, Any]]:
    """The samples with their texts decoded, and the peers' figures the corpus records."""
    data = json.loads(path.read_text(encoding="utf-8"))
    texts = data["texts"]
    samples = [_sample(raw, texts) for raw in data["samples"]]
    return samples, data.get("peers", {})


def _sample(raw: dict[str, Any], texts: dict[str, str]) -> Sample:
    lines = None if raw["lines"] is None else frozenset(raw["lines"])
    text = base64.b64decode(texts[raw["text"]]).decode("utf-8", "replace")
    return Sample(raw["id"], raw["source"], raw["kind"], raw["label"] == "secret", raw["file"], lines,
                  raw.get("rule") or "", text)


def judge(samples: Sequence[Sample]) -> list[Judged]:
    """Lay the samples out in a temporary folder, scan it once, and give each sample its findings."""
    folder = Path(tempfile.mkdtemp(prefix="sfp-secrets-corpus-"))
    try:
        by_path = {}
        for sample in samples:
            path = folder / sample.id / sample.file
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(sample.text.encode("utf-8"))
            by_path[str(path)] = sample
        hits: dict[str, list[SecretFinding]] = {s.id: [] for s in samples}
        for finding in scan([str(folder)]).findings:
            owner = by_path.get(finding.path)
            if owner is not None and (owner.lines is None or finding.line in owner.lines):
                hits[owner.id].append(finding)
        return [Judged(s, tuple(hits[s.id])) for s in samples]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def count(judged: Iterable[Judged]) -> Counts:
    found = positives = false_positives = negatives = 0
    for item in judged:
        if item.sample.is_secret:
            positives += 1
            found += bool(item.hits)
        else:
            negatives += 1
            false_positives += bool(item.hits)
    return Counts(found, positives, false_positives, negatives)


def count_by(judged: Sequence[Judged], field: str) -> dict[str, Counts]:
    names = sorted({getattr(j.sample, field) for j in judged})
    return {name: count(j for j in judged if getattr(j.sample, field) == name) for name in names}


def goal_met(counts: Counts) -> bool:
    return counts.recall >= GOAL_RECALL and counts.false_positives <= GOAL_FALSE_POSITIVES


def report(judged: Sequence[Judged], peers: dict[str, Any]) -> list[str]:
    overall = count(judged)
    lines = [f"sfp: recall {overall.recall:.3f} ({overall.found}/{overall.positives}), "
             f"false positives {overall.false_positives} of {overall.negatives} look-alikes"]
    named = [p for p in PEERS if p in peers]
    lines += [f"  {p}: recall {peers[p]['recall']:.3f}, false positives {peers[p]['false_positives']}" for p in named]
    lines.append(f"goal (recall >= {GOAL_RECALL:.2f}, false positives <= {GOAL_FALSE_POSITIVES}): "
                 + ("met" if goal_met(overall) else "NOT MET"))
    head = f"{'':16} {'sfp recall':>16} {'FP':>8}" + "".join(f" {p:>18} {'FP':>3}" for p in named)
    for field, peer_field in (("source", "per_source"), ("kind", "per_kind")):
        lines += ["", f"per {field}:", head]
        for name, counts in count_by(judged, field).items():
            row = (f"{name:16} {counts.recall:5.2f} {counts.found:>4}/{counts.positives:<5}"
                   f" {counts.false_positives:>3}/{counts.negatives:<4}")
            lines.append(row + "".join(_peer_cell(peers[p].get(peer_field, {}).get(name)) for p in named))
    return lines


def _peer_cell(figures: dict[str, int] | None) -> str:
    if not figures or not figures.get("positives"):
        return f" {'-':>18} {'-':>3}"
    recall = figures["found"] / figures["positives"]
    false_positives = figures.get("false_positives", "-")
    return f" {recall:8.2f} {figures['found']:>4}/{figures['positives']:<4} {false_positives:>3}"


def wrong_ones(judged: Sequence[Judged], with_lines: bool) -> list[str]:
    misses = [j for j in judged if j.sample.is_secret and not j.hits]
    false_positives = [j for j in judged if not j.sample.is_secret and j.hits]
    lines = ["", f"misses ({len(misses)}):"]
    for item in misses:
        lines += _describe(item.sample, with_lines)
    lines += ["", f"false positives ({len(false_positives)}):"]
    for item in false_positives:
        lines += _describe(item.sample, with_lines)
        lines += [f"    -> line {f.line}: {f.kind} {f.masked}" for f in item.hits]
    return lines


def _describe(sample: Sample, with_lines: bool) -> list[str]:
    where = "any line" if sample.lines is None else "line " + ",".join(map(str, sorted(sample.lines)))
    described = [f"  {sample.id} [{sample.source}/{sample.kind}/{sample.rule}] {sample.file}, {where}"]
    if with_lines:
        text = sample.text.splitlines()
        shown = text if sample.lines is None else [text[n - 1] for n in sorted(sample.lines) if 0 < n <= len(text)]
        described += [f"    | {line[:240]}" for line in shown[:10]]
    return described


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="the corpus file (default: in ../shared)")
    parser.add_argument("--show", action="store_true", help="list the misses and false positives")
    parser.add_argument("--lines", action="store_true", help="with --show: print the samples' lines (unmasked)")
    args = parser.parse_args(argv)
    if not args.corpus.is_file():
        print(f"bench: SKIPPED the secrets corpus: {args.corpus} is absent (it lives in ../shared beside the repo)")
        return 0
    samples, peers = load_corpus(args.corpus)
    started = time.perf_counter()
    judged = judge(samples)
    took = time.perf_counter() - started
    print("\n".join(report(judged, peers)))
    print(f"\n{len(samples):,} samples written and scanned in {took:.2f} s")
    if args.show:
        print("\n".join(wrong_ones(judged, args.lines)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
