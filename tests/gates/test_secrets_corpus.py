"""The secrets scanner on the labeled corpus in ../shared: recall >= 0.80 with no more false positives than gitleaks.

The corpus is read where it lies (../shared/fixtures/secrets-corpus/) and never copied into the
repository; without it the test is skipped and says why. The measuring itself is bench/secrets_corpus.py's,
so the test and `make bench` count the same way.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import pytest

from helpers import ROOT


def corpus_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("secrets_corpus_bench", ROOT / "bench" / "secrets_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # NamedTuples look their module up while the class is made
    spec.loader.exec_module(module)
    return module


BENCH = corpus_bench()


@pytest.fixture(scope="module")
def judged() -> list[object]:
    if not BENCH.CORPUS.is_file():
        pytest.skip(f"the secrets corpus is absent: {BENCH.CORPUS} (it lives in ../shared beside the repository)")
    samples, _ = BENCH.load_corpus(BENCH.CORPUS)
    result: list[object] = BENCH.judge(samples)
    return result


def test_recall_is_at_least_080_with_at_most_9_false_positives(judged: list[object]) -> None:
    counts = BENCH.count(judged)
    assert counts.recall >= 0.80, f"recall {counts.recall:.3f} ({counts.found}/{counts.positives})"
    assert counts.false_positives <= 9, f"{counts.false_positives} false positives"


def test_a_finding_counts_only_in_its_samples_file_and_lines() -> None:
    # The counting rule itself: a finding on another line of a sample with `lines` is not a hit.
    sample = BENCH.Sample("x-1", "src", "generic", True, "a.txt", frozenset({2}), "rule",
                          "nothing\nnothing\nAPI_KEY=" + "q8ZrT1kx7Wm2Pd4L" + "\n")
    [item] = BENCH.judge([sample])
    assert item.hits == ()
    [item] = BENCH.judge([sample._replace(lines=frozenset({3}))])
    assert [f.line for f in item.hits] == [3]
    assert BENCH.count([item]) == BENCH.Counts(1, 1, 0, 0)
