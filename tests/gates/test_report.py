"""Feedback for Claude: the head and tail of each failing gate's output, the budget shared between gates."""

from __future__ import annotations

from sfp.gates.report import head_and_tail, share


def test_share_gives_no_one_more_than_it_needs_and_passes_the_rest_on() -> None:
    assert share([100, 5000, 5000], 3000) == [100, 1450, 1450]
    assert share([10, 20], 1000) == [10, 20]
    assert sum(share([7, 9000, 300, 4000], 2500)) <= 2500


def test_head_and_tail_keep_both_ends_and_count_what_was_cut() -> None:
    lines = [f"line {i}" for i in range(1, 101)]
    kept = head_and_tail(lines, 400, max_lines=40)
    assert kept[0] == "line 1" and kept[-1] == "line 100"
    [note] = [k for k in kept if k.startswith("[…")]
    cut = int(note.split()[1])
    assert cut == 100 - (len(kept) - 1) and sum(len(k) + 1 for k in kept) <= 400 + len(note)
    assert head_and_tail(lines[:5], 400) == lines[:5]  # what fits is whole
    assert len(head_and_tail(lines, 100_000, max_lines=10)) <= 11  # the line cap holds too


def test_one_line_longer_than_the_share_is_clipped() -> None:
    [clipped] = head_and_tail(["x" * 5000], 300)
    assert clipped.endswith("…") and len(clipped) < 300
    assert head_and_tail(["x" * 5000, "the last line"], 300)[-1] == "the last line"
