"""The report as one HTML page: its own styles, inline SVG, no script, nothing fetched.

The Content-Security-Policy forbids every fetch (scripts, styles, fonts, images, frames), so even a
link someone manages to plant in a name could not call out; the styles are the page's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from sfp.report.charts import PALETTE_SIZE, format_value, render_chart
from sfp.report.datasets import Chart, HookRow, Report, Scope
from sfp.report.markup import text

POLICY: Final = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
FONTS: Final = ('system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", "Liberation Sans", '
                'Arial, sans-serif')
LIGHT: Final = ("#2563eb", "#e8590c", "#0f9d58", "#9c36b5")
DARK: Final = ("#74a7ff", "#ffa94d", "#51cf66", "#da77f2")

STYLE: Final = """
:root { color-scheme: light dark; --bg: #f5f6f8; --card: #ffffff; --text: #1f2328; --muted: #5b6570;
  --grid: #e6e9ed; --axis: #9aa3ad; --border: #e1e4e8; --accent: #2563eb; LIGHT }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0f1216; --card: #181c22; --text: #e7e9ec; --muted: #9ba5b1; --grid: #272d35; --axis: #5d6773;
    --border: #262c34; --accent: #74a7ff; DARK }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); font: 15px/1.5 FONTS; }
header, main, footer { max-width: 1240px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 32px; padding-bottom: 8px; }
h1 { font-size: 26px; margin: 0 0 4px; letter-spacing: -0.01em; }
h2 { font-size: 20px; margin: 0 0 4px; }
.meta, .note { color: var(--muted); margin: 0; }
nav { display: flex; flex-wrap: wrap; gap: 8px; margin: 16px 0 0; }
nav a { color: var(--accent); text-decoration: none; border: 1px solid var(--border); background: var(--card);
  border-radius: 999px; padding: 2px 12px; font-size: 13px; max-width: 100%; overflow: hidden;
  text-overflow: ellipsis; white-space: nowrap; }
section { margin: 28px 0; }
.facts { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0 16px; padding: 0; }
.facts div { background: var(--card); border: 1px solid var(--border); border-radius: 10px; padding: 8px 16px;
  min-width: 110px; }
.facts dt { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: 0.04em; }
.facts dd { margin: 0; font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 540px), 1fr)); gap: 16px; }
figure { margin: 0; background: var(--card); border: 1px solid var(--border); border-radius: 12px; padding: 8px; }
figure.empty { padding: 16px 20px; }
figure.empty h3 { font-size: 14px; margin: 0 0 4px; }
figure.empty p { color: var(--muted); margin: 0; }
svg.chart { display: block; width: 100%; height: auto; }
svg text { font-family: FONTS; font-size: 11px; fill: var(--muted); }
svg .chart-title { font-size: 14px; font-weight: 600; fill: var(--text); }
svg .legend, svg .label { font-size: 12px; fill: var(--text); }
svg .axis-title { font-size: 11px; letter-spacing: 0.03em; }
svg .value { font-size: 11px; fill: var(--text); font-variant-numeric: tabular-nums; }
svg .grid { stroke: var(--grid); stroke-width: 1; }
svg .axis { stroke: var(--axis); stroke-width: 1; }
svg .line { fill: none; stroke-width: 2.25; stroke-linejoin: round; stroke-linecap: round; }
svg .point { stroke: var(--card); stroke-width: 1.5; }
svg .bar, svg .point { cursor: default; }
svg .bar:hover, svg .point:hover { opacity: 0.75; }
SERIES
table { border-collapse: collapse; width: 100%; background: var(--card); border: 1px solid var(--border);
  border-radius: 12px; overflow: hidden; margin: 12px 0 16px; font-variant-numeric: tabular-nums; }
th, td { text-align: right; padding: 6px 14px; border-bottom: 1px solid var(--border); }
th:first-child, td:first-child { text-align: left; }
th { color: var(--muted); font-weight: 600; font-size: 12px; text-transform: uppercase; letter-spacing: 0.04em; }
tr:last-child td { border-bottom: 0; }
.nothing { background: var(--card); border: 1px solid var(--border); border-radius: 12px; padding: 24px 28px; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 0.92em; }
footer { color: var(--muted); font-size: 13px; padding-bottom: 32px; }
"""


def stylesheet() -> str:
    series = "\n".join(f"svg .line.s{n} {{ stroke: var(--s{n}); }}\n"
                       f"svg .point.s{n}, svg .bar.s{n}, svg .swatch.s{n} {{ fill: var(--s{n}); }}"
                       for n in range(PALETTE_SIZE))
    return (STYLE.replace("FONTS", FONTS).replace("SERIES", series)
            .replace("LIGHT", _palette(LIGHT)).replace("DARK", _palette(DARK)))


def _palette(colours: Sequence[str]) -> str:
    return " ".join(f"--s{n}: {colour};" for n, colour in enumerate(colours))


def render_page(report: Report, *, version: str, source: str) -> str:
    """The whole page; `source` (the claude dir) and every recorded name are redacted and escaped."""
    sections = [_nothing_yet()] if report.empty else []
    if report.scopes:
        sections.append(_scope(report.scopes[0]))
    if report.hook_rows:
        sections.append(_hooks(report.hook_rows, report.hook_charts))
    sections += [_scope(scope) for scope in report.scopes[1:]]
    return "\n".join([
        "<!doctype html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">',
        '<meta name="color-scheme" content="light dark">',
        "<title>sfp report</title>",
        f"<style>{stylesheet()}</style>",
        "</head>",
        "<body>",
        _header(report),
        "<main>", *sections, "</main>",
        f"<footer>sfp {text(version)} · from the KPI events, log, backups and handoffs in "
        f"<code>{text(source)}</code></footer>",
        "</body>",
        "</html>",
    ]) + "\n"


def _header(report: Report) -> str:
    projects = report.counts.get("project_count", 0)
    links = [(scope.key, scope.title) for scope in report.scopes]
    if report.hook_rows:
        links.insert(1 if report.scopes else 0, ("hooks", "Hook latencies"))
    nav = "".join(f'<a href="#{key}">{text(title, 48)}</a>' for key, title in links)
    return (f"<header><h1>sfp report</h1>"
            f'<p class="meta">{text(report.generated)} · {text(report.window)} · {projects} project(s)</p>'
            + (f"<nav>{nav}</nav>" if len(links) > 1 else "") + "</header>")


def _nothing_yet() -> str:
    return ('<section class="nothing" id="no-data"><h2>No data yet</h2>'
            "<p>sfp records a gate run each time its Stop hook (or <code>sfp gates</code>) runs the quality gates, "
            "times every hook it answers in its log, and writes a backup and a handoff before a compaction and at "
            "the end of a session. Once Claude Code has run with sfp's hooks for a while, run "
            "<code>sfp report</code> again.</p></section>")


def _scope(scope: Scope) -> str:
    facts = "".join(f"<div><dt>{text(label)}</dt><dd>{text(value)}</dd></div>" for label, value in scope.facts)
    return (f'<section id="{text(scope.key)}"><h2>{text(scope.title)}</h2>'
            f'<dl class="facts">{facts}</dl>'
            f'<div class="grid">{"".join(_figure(chart) for chart in scope.charts)}</div></section>')


def _figure(chart: Chart) -> str:
    if chart.empty:
        return (f'<figure class="empty" data-chart="{text(chart.key)}"><h3>{text(chart.title)}</h3>'
                f"<p>{text(chart.empty)}</p></figure>")
    return f"<figure>{render_chart(chart)}</figure>"


def _hooks(rows: Sequence[HookRow], charts: Sequence[Chart]) -> str:
    head = "<tr><th>hook event</th><th>calls</th><th>median</th><th>p95</th><th>slowest</th></tr>"
    body = "".join(f"<tr><td>{text(r.event)}</td><td>{r.calls}</td><td>{_ms(r.median_ms)}</td>"
                   f"<td>{_ms(r.p95_ms)}</td><td>{_ms(r.max_ms)}</td></tr>" for r in rows)
    return ('<section id="hooks"><h2>Hook latencies</h2>'
            '<p class="note">How long sfp took to answer each hook event, from its log (which does not record '
            "the project: these are all projects together).</p>"
            f"<table>{head}{body}</table>"
            f'<div class="grid">{"".join(_figure(chart) for chart in charts)}</div></section>')


def _ms(value: float) -> str:
    return text(format_value(value, "ms"))
