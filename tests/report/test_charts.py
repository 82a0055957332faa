"""The SVG charts: well-formed, one mark per value, gaps that break a line, names that stay text."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from sfp.report.charts import format_value, render_chart, scale_ticks, shown_labels
from sfp.report.datasets import BARS, HBARS, LINE, Chart, Series

KEY = "AKIA" + "Q3EGRIXZ" * 2


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # well-formed XML, or this raises


def marks(svg: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    return [e for e in svg.iter(tag) if cls in (e.get("class") or "").split()]


def line(values: tuple[float | None, ...], *more: Series) -> Chart:
    labels = tuple(f"d{i}" for i in range(len(values)))
    return Chart("k", LINE, "Pass rate", "day", "runs", labels, (Series("rate", values), *more), "%")


def test_ticks_are_round_and_reach_the_top() -> None:
    assert scale_ticks(87, "%") == [0, 25, 50, 75, 100]
    assert scale_ticks(9000, "ms") == [0, 2000, 4000, 6000, 8000, 10000]
    assert scale_ticks(3, "") == [0, 1, 2, 3]
    assert scale_ticks(0, "") == [0, 1]
    assert scale_ticks(1.2, "ms")[-1] >= 1.2


def test_values_read_as_people_write_them() -> None:
    assert [format_value(v, "ms") for v in (0, 4.25, 812, 1000, 1500)] == ["0 ms", "4.2 ms", "812 ms", "1 s", "1.5 s"]
    assert format_value(66.67, "%") == "67%" and format_value(3.0, "") == "3"


def test_at_most_ten_labels_are_written() -> None:
    assert list(shown_labels(5)) == [0, 1, 2, 3, 4]
    assert len(shown_labels(90)) <= 10 and list(shown_labels(90))[:2] == [0, 9]


def test_a_line_chart_has_a_dot_per_value_and_a_gap_breaks_the_line() -> None:
    svg = parse(render_chart(line((50.0, 100.0, None, 0.0, 25.0))))
    assert svg.get("data-chart") == "k" and svg.get("viewBox") == "0 0 720 300"
    assert len(marks(svg, "circle", "point")) == 4
    assert len(marks(svg, "polyline", "line")) == 2
    tips = [c.findtext("title") for c in marks(svg, "circle", "point")]
    assert tips[0] == "d0 · rate 50%"


def test_two_series_get_a_legend_and_their_own_colours() -> None:
    svg = parse(render_chart(line((1.0, 2.0), Series("p95", (3.0, 4.0)))))
    assert [t.text for t in marks(svg, "text", "legend")] == ["rate", "p95"]
    assert {c.get("class") for c in marks(svg, "circle", "point")} == {"point s0", "point s1"}


def test_bars_skip_zero_and_sit_in_their_band() -> None:
    chart = Chart("made", BARS, "Made", "day", "made", ("a", "b", "c"),
                  (Series("backups", (1.0, 0.0, 2.0)), Series("handoffs", (0.0, 0.0, 1.0))))
    bars = marks(parse(render_chart(chart)), "rect", "bar")
    assert len(bars) == 3
    assert [b.findtext("title") for b in bars] == ["a · backups 1", "c · backups 2", "c · handoffs 1"]
    assert all(float(b.get("width") or 0) <= 28 for b in bars)


def test_horizontal_bars_grow_with_their_rows() -> None:
    def chart(n: int) -> Chart:
        return Chart("slow", HBARS, "Slowest", "duration", "gate", tuple(f"g{i}" for i in range(n)),
                     (Series("median", tuple(float(i) for i in range(n))),), "ms")
    small, big = parse(render_chart(chart(2))), parse(render_chart(chart(8)))
    assert len(marks(big, "rect", "bar")) == 8
    assert float(big.get("height") or 0) > float(small.get("height") or 0)


def test_names_are_escaped_in_labels_titles_and_tooltips() -> None:
    name = '<img src=x onerror="alert(1)">'
    for kind in (LINE, BARS, HBARS):
        svg = render_chart(Chart("x", kind, f"title {name}", "x", "y", (name,), (Series(name, (1.0,)),)))
        assert "<img" not in svg and svg.count("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;") >= 3, kind
        parse(svg)


def test_a_secret_in_a_gate_name_is_masked_everywhere_it_shows() -> None:
    chart = Chart("x", HBARS, "t", "x", "y", (f"deploy {KEY}",), (Series("median", (5.0,)),), "ms")
    svg = render_chart(chart)
    assert KEY not in svg and KEY[:8] not in svg and "deploy ***" in svg
