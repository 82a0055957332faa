"""The page: self-contained (nothing to fetch, no script), light and dark, every recorded name safe."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from html.parser import HTMLParser

from sfp.report.datasets import Days, Report, build_report
from sfp.report.page import render_page
from sfp.report.records import GateEvent, HookTiming, Made, Records

KEY = "ghp_" + "Qz8Lm2Vx" * 5
AT = datetime(2026, 2, 10, 12, tzinfo=timezone.utc)
DAY = Days(date(2026, 2, 10), date(2026, 2, 10))


def report(records: Records) -> Report:
    return build_report(records, DAY, timezone.utc, generated="generated now", window="everything recorded")


def page(records: Records, source: str = "/home/me/.claude") -> str:
    return render_page(report(records), version="9.9.9", source=source)


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(html)
    return parser.tags


LIVED = Records(gate_runs=(GateEvent(AT, "/p/a", {"gates": [{"name": "lint", "status": "failed", "duration_ms": 5}]}),),
                hook_timings=(HookTiming(AT, "Stop", 12.0),), backups=(Made(AT, "/p/a"),))


def test_the_page_fetches_nothing_and_runs_nothing() -> None:
    html = page(LIVED)
    found = tags_of(html)
    assert not [t for t, _ in found if t in ("script", "link", "img", "iframe", "object", "embed", "base")]
    assert not [a for _, attrs in found for a in attrs if a.startswith("on") or a in ("src", "srcset")]
    assert [attrs["href"] for t, attrs in found if t == "a"] == ["#all", "#hooks", "#project-1"]
    assert not re.search(r"https?:|url\(|@import|//[a-z]", html)
    policy = next(attrs["content"] for t, attrs in found if t == "meta" and attrs.get("http-equiv"))
    assert policy is not None and policy.startswith("default-src 'none'")


def test_light_and_dark_both_have_their_palette() -> None:
    html = page(LIVED)
    assert "@media (prefers-color-scheme: dark)" in html and 'content="light dark"' in html
    for series in range(4):
        assert html.count(f"--s{series}: #") == 2  # one colour per scheme
        assert f"svg .bar.s{series}" in html


def test_sections_in_order_all_projects_hooks_then_each_project() -> None:
    html = page(LIVED)
    ids = [attrs["id"] for t, attrs in tags_of(html) if t == "section"]
    assert ids == ["all", "hooks", "project-1"]
    assert html.count("<svg class=\"chart\"") == 9  # four for all projects, one hook event, four for /p/a


def test_an_empty_claude_dir_gives_a_page_that_says_so() -> None:
    html = page(Records())
    assert "No data yet" in html and "<svg" not in html and html.rstrip().endswith("</html>")


def test_recorded_names_and_the_source_are_redacted_and_escaped() -> None:
    evil = f"/p/<b>{KEY}</b>"
    records = Records(gate_runs=(GateEvent(AT, evil, {"gates": [{"name": f"<i>{KEY}", "status": "failed",
                                                                 "duration_ms": 5}]}),),
                      hook_timings=(HookTiming(AT, f"<u>{KEY}", 1.0),))
    html = page(records, source=f"/home/{KEY}/.claude")
    assert KEY not in html and KEY[:10] not in html
    assert "<b>" not in html and "<i>" not in html and "<u>" not in html
    assert "/p/&lt;b&gt;***&lt;/b&gt;" in html
