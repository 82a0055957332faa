"""The report's charts as inline SVG: line charts, grouped bars, horizontal bars, each with axes,
axis titles, a legend when there is more than one series, and a tooltip (`<title>`) on every mark.

Colours are CSS classes (`s0`, `s1`, …) the page styles, so one chart reads in light and dark mode.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from sfp.report.datasets import BARS, HBARS, LINE, Chart, Series
from sfp.report.markup import text

WIDTH: Final = 720
HEIGHT: Final = 300
TOP: Final = 52  # title, then the legend
BOTTOM: Final = 50  # tick labels, then the axis title
LEFT: Final = 70
RIGHT: Final = 24
LABEL_COLUMN: Final = 170  # horizontal bars: the gate names
MAX_X_LABELS: Final = 10
PALETTE_SIZE: Final = 4
TICKS: Final = 5
MAX_BAR: Final = 28.0  # a vertical bar's widest, so a few days don't make slabs


@dataclass(frozen=True)
class Plot:
    """The area inside the axes, in SVG units."""

    left: float
    top: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def bottom(self) -> float:
        return self.top + self.height


def render_chart(chart: Chart) -> str:
    draw: dict[str, Callable[[Chart], str]] = {LINE: line_chart, BARS: bar_chart, HBARS: hbar_chart}
    return draw[chart.kind](chart)


# -- scales and numbers -----------------------------------------------------------------------------


def scale_ticks(top: float, unit: str) -> list[float]:
    """Round tick values from 0 to at least `top`: steps of 1, 2, 2.5 or 5 times a power of ten."""
    if unit == "%":
        return [0.0, 25.0, 50.0, 75.0, 100.0]
    top = top if top > 0 else 1.0
    magnitude = 10 ** math.floor(math.log10(top / TICKS))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude * TICKS >= top)
    if unit == "" and step < 1:
        step = 1.0  # counts are whole
    return [step * n for n in range(math.ceil(top / step - 1e-9) + 1)]


def format_value(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value:.0f}%"
    if unit == "ms":
        if value >= 1000:
            return f"{value / 1000:.1f} s".replace(".0 s", " s")
        return f"{value:.1f} ms" if 0 < value < 10 else f"{value:.0f} ms"
    return f"{value:g}"


def shown_labels(count: int) -> range:
    """Which axis labels to write so at most MAX_X_LABELS appear, evenly spaced."""
    return range(0, count, max(1, math.ceil(count / MAX_X_LABELS)))


def _largest(series: Sequence[Series]) -> float:
    return max((v for s in series for v in s.values if v is not None), default=0.0)


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


# -- the pieces every chart has ---------------------------------------------------------------------


def _svg(chart: Chart, height: float, body: list[str]) -> str:
    head = (f'<svg class="chart" data-chart="{text(chart.key)}" viewBox="0 0 {WIDTH} {_n(height)}" '
            f'width="{WIDTH}" height="{_n(height)}" role="img" aria-label="{text(chart.title)}">')
    title = f'<text class="chart-title" x="12" y="22">{text(chart.title)}</text>'
    return "\n".join([head, title, *_legend(chart.series), *body, "</svg>"])


def _legend(series: Sequence[Series]) -> list[str]:
    if len(series) < 2:
        return []
    parts, x = [], 12.0
    for index, one in enumerate(series):
        parts.append(f'<rect class="swatch s{index % PALETTE_SIZE}" x="{_n(x)}" y="32" width="10" height="10" rx="2"/>'
                     f'<text class="legend" x="{_n(x + 15)}" y="41">{text(one.name, 24)}</text>')
        x += 15 + 7 * min(len(one.name), 24) + 18
    return parts


def _tip(chart: Chart, series: Series, index: int, value: float) -> str:
    note = series.notes[index] if index < len(series.notes) and series.notes[index] else ""
    words = [chart.tip_label(index), f"{series.name} {format_value(value, chart.unit)}", note]
    return f"<title>{text(' · '.join(w for w in words if w))}</title>"


def _y_axis(plot: Plot, ticks: Sequence[float], unit: str, title: str) -> list[str]:
    """Horizontal grid lines with their values, the axis line and its title."""
    top = ticks[-1]
    parts = []
    for tick in ticks:
        y = plot.bottom - plot.height * tick / top
        parts.append(f'<line class="grid" x1="{_n(plot.left)}" x2="{_n(plot.right)}" y1="{_n(y)}" y2="{_n(y)}"/>'
                     f'<text class="tick" x="{_n(plot.left - 8)}" y="{_n(y + 4)}" text-anchor="end">'
                     f'{text(format_value(tick, unit))}</text>')
    middle = plot.top + plot.height / 2
    parts.append(f'<text class="axis-title" transform="translate(16 {_n(middle)}) rotate(-90)" '
                 f'text-anchor="middle">{text(title)}</text>')
    return parts


def _x_axis(plot: Plot, labels: Sequence[str], title: str, height: float) -> list[str]:
    """The baseline, the (thinned) labels under each band's middle, and the axis title."""
    band = plot.width / max(len(labels), 1)
    parts = [f'<line class="axis" x1="{_n(plot.left)}" x2="{_n(plot.right)}" y1="{_n(plot.bottom)}" '
             f'y2="{_n(plot.bottom)}"/>']
    for index in shown_labels(len(labels)):
        x = plot.left + band * (index + 0.5)
        parts.append(f'<text class="tick" x="{_n(x)}" y="{_n(plot.bottom + 18)}" text-anchor="middle">'
                     f'{text(labels[index], 16)}</text>')
    parts.append(f'<text class="axis-title" x="{_n(plot.left + plot.width / 2)}" y="{_n(height - 10)}" '
                 f'text-anchor="middle">{text(title)}</text>')
    return parts


def _time_plot() -> Plot:
    return Plot(LEFT, TOP, WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM)


# -- the three kinds --------------------------------------------------------------------------------


def line_chart(chart: Chart) -> str:
    """One line per series over the labels; a gap (None) breaks the line, every value is a dot."""
    plot = _time_plot()
    ticks = scale_ticks(_largest(chart.series), chart.unit)
    band = plot.width / max(len(chart.labels), 1)
    radius = 3.5 if len(chart.labels) <= 60 else 2.0
    body = [*_y_axis(plot, ticks, chart.unit, chart.y_title), *_x_axis(plot, chart.labels, chart.x_title, HEIGHT)]
    for number, series in enumerate(chart.series):
        colour = f"s{number % PALETTE_SIZE}"
        spots = [(i, plot.left + band * (i + 0.5), plot.bottom - plot.height * v / ticks[-1], v)
                 for i, v in enumerate(series.values) if v is not None]
        body += [f'<polyline class="line {colour}" points="{" ".join(f"{_n(x)},{_n(y)}" for x, y in run)}"/>'
                 for run in _unbroken_runs([(i, x, y) for i, x, y, _ in spots]) if len(run) > 1]
        body += [f'<circle class="point {colour}" cx="{_n(x)}" cy="{_n(y)}" r="{radius}">'
                 f'{_tip(chart, series, i, v)}</circle>' for i, x, y, v in spots]
    return _svg(chart, HEIGHT, body)


def _unbroken_runs(spots: Sequence[tuple[int, float, float]]) -> list[list[tuple[float, float]]]:
    """(index, x, y) spots split into runs of neighbours: a missing index between two breaks the line."""
    runs: list[list[tuple[float, float]]] = []
    last = -2
    for index, x, y in spots:
        if index != last + 1:
            runs.append([])
        runs[-1].append((x, y))
        last = index
    return runs


def bar_chart(chart: Chart) -> str:
    """Vertical bars, the series side by side in each label's band; zero draws no bar."""
    plot = _time_plot()
    ticks = scale_ticks(_largest(chart.series), chart.unit)
    band = plot.width / max(len(chart.labels), 1)
    group = min(band * 0.8, MAX_BAR * len(chart.series))
    width = group / max(len(chart.series), 1)
    body = [*_y_axis(plot, ticks, chart.unit, chart.y_title), *_x_axis(plot, chart.labels, chart.x_title, HEIGHT)]
    for number, series in enumerate(chart.series):
        for index, value in enumerate(series.values):
            if not value:
                continue
            height = plot.height * value / ticks[-1]
            x = plot.left + band * index + (band - group) / 2 + width * number
            body.append(f'<rect class="bar s{number % PALETTE_SIZE}" x="{_n(x)}" y="{_n(plot.bottom - height)}" '
                        f'width="{_n(max(width, 1))}" height="{_n(height)}">{_tip(chart, series, index, value)}</rect>')
    return _svg(chart, HEIGHT, body)


def hbar_chart(chart: Chart) -> str:
    """One row per label (names on the left), a bar per series with its value at its end."""
    rows = len(chart.labels)
    bar = 14.0
    row = bar * len(chart.series) + 12
    plot = Plot(LABEL_COLUMN, TOP, WIDTH - LABEL_COLUMN - RIGHT - 40, row * rows)
    height = plot.bottom + BOTTOM
    ticks = scale_ticks(_largest(chart.series), chart.unit)
    body = []
    for tick in ticks:
        x = plot.left + plot.width * tick / ticks[-1]
        body.append(f'<line class="grid" x1="{_n(x)}" x2="{_n(x)}" y1="{_n(plot.top)}" y2="{_n(plot.bottom)}"/>'
                    f'<text class="tick" x="{_n(x)}" y="{_n(plot.bottom + 18)}" text-anchor="middle">'
                    f'{text(format_value(tick, chart.unit))}</text>')
    body.append(f'<line class="axis" x1="{_n(plot.left)}" x2="{_n(plot.left)}" y1="{_n(plot.top)}" '
                f'y2="{_n(plot.bottom)}"/>')
    body.append(f'<text class="axis-title" x="{_n(plot.left + plot.width / 2)}" y="{_n(height - 10)}" '
                f'text-anchor="middle">{text(chart.x_title)}</text>')
    for index, label in enumerate(chart.labels):
        y = plot.top + row * index + 6
        body.append(f'<text class="label" x="{_n(plot.left - 8)}" y="{_n(y + row / 2)}" text-anchor="end">'
                    f'<title>{text(label)}</title>{text(label, 24)}</text>')
        for number, series in enumerate(chart.series):
            value = series.values[index] or 0.0
            length = plot.width * value / ticks[-1]
            top = y + bar * number
            body.append(f'<rect class="bar s{number % PALETTE_SIZE}" x="{_n(plot.left)}" y="{_n(top)}" '
                        f'width="{_n(max(length, 1))}" height="{_n(bar - 2)}">{_tip(chart, series, index, value)}</rect>'
                        f'<text class="value" x="{_n(plot.left + max(length, 1) + 4)}" y="{_n(top + bar - 4)}">'
                        f'{text(format_value(value, chart.unit))}</text>')
    return _svg(chart, height, body)
