"""The report in a real browser: headless Chromium loads the page `sfp report` wrote from a lived-in
claude dir, draws every chart at its size with the marks the records call for, logs no error, asks
the network for nothing, and paints a screenshot that is not blank, in light and in dark mode.

One browser for the whole module; skipped, saying why, where Chromium and chromedriver are not installed
(`python3 tests/report/browser.py install` installs them as root).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from helpers import ROOT, clean_env
from report import lived_in
from report.browser import INSTALL_HINT, Browser, BrowserUnavailable, locate, processes_using
from report.png import Image, decode

WINDOW = (1280, 1000)
MEASURE = """
return Array.from(document.querySelectorAll('svg.chart')).map(svg => {
  const box = svg.getBoundingClientRect();
  const painted = Array.from(svg.querySelectorAll('rect.bar, circle.point')).filter(mark => {
    const r = mark.getBoundingClientRect(); return r.width > 0 && r.height > 0; });
  return {section: svg.closest('section').querySelector('h2').textContent, chart: svg.dataset.chart,
          width: box.width, height: box.height,
          view_width: svg.viewBox.baseVal.width, view_height: svg.viewBox.baseVal.height,
          bars: svg.querySelectorAll('rect.bar').length, points: svg.querySelectorAll('circle.point').length,
          painted: painted.length, text: svg.querySelectorAll('text').length};
});
"""
EMPTY_FIGURES = """
return Array.from(document.querySelectorAll('figure.empty')).map(f =>
  [f.closest('section').querySelector('h2').textContent, f.dataset.chart]);
"""


@dataclass(frozen=True)
class Seen:
    page: Path
    planted: lived_in.LivedIn
    charts: list[dict[str, Any]]
    empty_figures: list[list[str]]
    console: list[dict[str, Any]]
    requests: list[str]
    resources: list[str]
    light: Image
    dark: Image
    leftover: list[int]


@pytest.fixture(scope="module")
def seen(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seen]:
    found = locate()
    if found is None:
        pytest.skip(f"report browser test SKIPPED: chromium or chromedriver is not installed; {INSTALL_HINT}")
    root = tmp_path_factory.mktemp("report-browser")
    claude, alpha, beta = (_folder(root / name) for name in ("claude", "alpha", "beta"))
    planted = lived_in.plant(claude, alpha, beta, now=time.time())
    page = root / "report.html"
    done = subprocess.run([sys.executable, "-m", "sfp", "report", "--out", str(page)], capture_output=True,
                          text=True, env={**clean_env(planted.claude_dir), "PYTHONPATH": str(ROOT)}, timeout=60)
    assert done.returncode == 0, done.stderr
    try:
        with Browser(*found, root / "browser") as browser:
            yield _look(browser, page, planted)
    except BrowserUnavailable as exc:
        pytest.skip(f"report browser test SKIPPED: {exc}")


def _folder(path: Path) -> Path:
    path.mkdir()
    return path


def _look(browser: Browser, page: Path, planted: lived_in.LivedIn) -> Seen:
    browser.window(*WINDOW)
    browser.logs("browser")
    browser.logs("performance")  # what the start-up tab did is not the report's
    browser.open(page.as_uri())
    charts = browser.run_script(MEASURE)
    empty = browser.run_script(EMPTY_FIGURES)
    resources = browser.run_script("return performance.getEntriesByType('resource').map(e => e.name)")
    light = decode(browser.screenshot())
    browser.devtools("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    dark = decode(browser.screenshot())
    requests = [url for url in _requested(browser.logs("performance")) if url != page.as_uri()]
    console = browser.logs("browser")
    profile = str(browser.profile)
    browser.close()
    return Seen(page, planted, charts, empty, console, requests, resources, light, dark, _survivors(profile))


def _requested(entries: list[dict[str, Any]]) -> list[str]:
    urls = []
    for entry in entries:
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def _survivors(profile: str, wait_s: float = 5.0) -> list[int]:
    deadline = time.monotonic() + wait_s
    while (alive := processes_using(profile)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive


def charts_of(seen: Seen, section: str) -> dict[str, dict[str, Any]]:
    return {c["chart"]: c for c in seen.charts if c["section"] == section}


# --- what the page shows ------------------------------------------------------------------------------------


def test_every_chart_is_drawn_at_its_size(seen: Seen) -> None:
    assert len(seen.charts) >= 4 + 3 + 4 * 3 - 2  # all projects, three hook events, three projects less two empties
    for chart in seen.charts:
        assert chart["width"] > 300 and chart["height"] > 100, chart
        # drawn at the chart's own proportions, neither squashed nor cut
        assert abs(chart["width"] / chart["height"] - chart["view_width"] / chart["view_height"]) < 0.02, chart
        assert chart["painted"] == chart["bars"] + chart["points"] > 0, chart
        assert chart["text"] >= 4, chart  # a title, axis labels and titles


def test_all_projects_together_have_a_mark_for_each_day_gate_and_failure(seen: Seen) -> None:
    charts = charts_of(seen, "All projects")
    runs = lived_in.all_runs()
    assert charts["pass-rate"]["points"] == lived_in.days_with_runs(runs)
    assert charts["slowest-gates"]["bars"] == 2 * len(lived_in.gate_names(runs))  # median and slowest run
    assert charts["failures-by-gate"]["bars"] == len(lived_in.failing_gates(runs))
    handoff_days = [days for days, _ in lived_in.HANDOFFS]
    assert charts["backups-handoffs"]["bars"] == lived_in.made_bars([lived_in.BACKUP_DAYS_AGO], handoff_days)


def test_each_project_has_its_own_section(seen: Seen) -> None:
    alpha, beta = charts_of(seen, str(seen.planted.alpha)), charts_of(seen, str(seen.planted.beta))
    assert alpha["pass-rate"]["points"] == lived_in.days_with_runs(lived_in.ALPHA_RUNS)
    assert alpha["failures-by-gate"]["bars"] == len(lived_in.failing_gates(lived_in.ALPHA_RUNS))
    assert alpha["backups-handoffs"]["bars"] == lived_in.made_bars([lived_in.BACKUP_DAYS_AGO], [1])
    assert beta["slowest-gates"]["bars"] == 2 * len(lived_in.gate_names(lived_in.BETA_RUNS))
    assert beta["backups-handoffs"]["bars"] == lived_in.made_bars([], [0])
    unknown = charts_of(seen, "unknown project")
    assert unknown["pass-rate"]["points"] == lived_in.days_with_runs(lived_in.UNNAMED_RUNS)
    # nothing failed there and nothing was backed up: said in words, not drawn as an empty frame
    assert sorted(seen.empty_figures) == [["unknown project", "backups-handoffs"],
                                          ["unknown project", "failures-by-gate"]]


def test_hook_latencies_have_a_median_and_p95_point_per_day(seen: Seen) -> None:
    charts = charts_of(seen, "Hook latencies")
    expected = {f"hook-{event.lower()}": 2 * days for event, days in lived_in.hook_events().items()}
    assert {key: chart["points"] for key, chart in charts.items()} == expected


# --- what the browser saw -------------------------------------------------------------------------------------


def test_no_console_errors_or_warnings(seen: Seen) -> None:
    assert [entry for entry in seen.console if entry.get("level") in ("SEVERE", "WARNING")] == []


def test_no_network_request_is_attempted(seen: Seen) -> None:
    assert seen.requests == [] and seen.resources == []


def test_the_screenshot_is_not_blank_in_light_or_dark_mode(seen: Seen) -> None:
    for image in (seen.light, seen.dark):
        colours = image.colours()
        background, count = colours.most_common(1)[0]
        assert len(colours) > 50  # text, lines and bars are antialiased: many shades, not one fill
        assert 1 - count / (image.width * image.height) > 0.1  # a tenth of the screen is drawn on
    light_bg = seen.light.colours().most_common(1)[0][0]
    dark_bg = seen.dark.colours().most_common(1)[0][0]
    assert sum(light_bg) > 3 * 200 and sum(dark_bg) < 3 * 64  # the page follows prefers-color-scheme


def test_the_browser_and_its_driver_are_gone_afterwards(seen: Seen) -> None:
    assert seen.leftover == []
