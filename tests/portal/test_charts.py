"""The SVG chart builders: well-formed XML, text escaped, accessible title and description, exact geometry."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from portal.charts import Bar, bar_chart, column_chart

NS = "{http://www.w3.org/2000/svg}"


def parse(svg) -> ET.Element:
    return ET.fromstring(str(svg))


def test_column_chart_is_well_formed_with_marker_and_cumulative_line():
    svg = parse(column_chart(title="Заявки", desc="По дням", bars=[Bar("01.03", 1), Bar("02.03", 3), Bar("03.03", 0)],
                             marker=2, marker_label="срок", ident="d"))
    assert svg.tag == NS + "svg"
    assert svg.attrib["role"] == "img" and svg.attrib["aria-labelledby"] == "d-t d-d"
    assert svg.find(NS + "title").text == "Заявки" and svg.find(NS + "desc").text == "По дням"
    rects = svg.findall(NS + "rect")
    assert [r.find(NS + "title").text for r in rects] == ["01.03: 1", "02.03: 3", "03.03: 0"]
    assert [r.attrib["height"] for r in rects] == ["66.7", "200.0", "0.0"]
    line = svg.find(NS + "polyline")
    assert line.attrib["points"].split() == ["146.7,170.0", "360.0,20.0", "573.3,20.0"]
    marker = [ln for ln in svg.findall(NS + "line") if ln.attrib.get("stroke-dasharray")]
    assert len(marker) == 1 and marker[0].attrib["x1"] == "466.7"
    texts = [t.text for t in svg.findall(NS + "text")]
    assert "срок" in texts and "4" in texts  # the deadline label and the cumulative total


def test_title_and_labels_are_escaped():
    evil = '<script>alert("x")</script> & co'
    for svg in (column_chart(title=evil, desc=evil, bars=[Bar(evil, 2)], marker_label=evil, marker=0),
                bar_chart(title=evil, desc=evil, bars=[Bar(evil, 2)])):
        assert "<script>" not in str(svg)
        root = parse(svg)
        assert root.find(NS + "title").text == evil
        assert root.find(NS + "desc").text == evil
        assert not root.findall(".//" + NS + "script")


def test_bar_chart_rows_and_values():
    root = parse(bar_chart(title="Номинации", desc="Число заявок", bars=[Bar("Первая", 4), Bar("Вторая", 1)]))
    assert root.attrib["viewBox"] == "0 0 720 60"
    rects = root.findall(NS + "rect")
    assert [r.attrib["width"] for r in rects] == ["430.0", "107.5"]
    assert [t.text for t in root.findall(NS + "text")] == ["Первая", "4", "Вторая", "1"]


def test_long_labels_are_shortened_but_kept_in_the_tooltip():
    label = "Очень длинное название номинации конкурса наставничества"
    root = parse(bar_chart(title="t", desc="d", bars=[Bar(label, 1)]))
    assert root.findall(NS + "text")[0].text == label[:37] + "…"
    assert root.find(NS + "rect").find(NS + "title").text == f"{label}: 1"


def test_empty_charts_are_still_valid():
    assert parse(column_chart(title="t", desc="d", bars=[])).find(NS + "polyline") is None
    assert parse(bar_chart(title="t", desc="d", bars=[])).attrib["viewBox"] == "0 0 720 38"
