"""Tiny server-side SVG charts (no scripts, no fonts, no dependencies): columns by day and horizontal bars."""
from __future__ import annotations

from dataclasses import dataclass
from html import escape

from markupsafe import Markup

FONT = 'font-family="system-ui, sans-serif" font-size="11"'
COLUMN = "#0d6efd"
LINE = "#198754"
MARKER = "#dc3545"


@dataclass(frozen=True)
class Bar:
    """One labelled value of a chart."""

    label: str
    value: int


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _open(title: str, desc: str, width: int, height: int, ident: str) -> list[str]:
    return [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
            f'width="100%" preserveAspectRatio="xMinYMin meet" aria-labelledby="{ident}-t {ident}-d">',
            f'<title id="{ident}-t">{_e(title)}</title>', f'<desc id="{ident}-d">{_e(desc)}</desc>']


def column_chart(*, title: str, desc: str, bars: list[Bar], marker: int | None = None, marker_label: str = "",
                 cumulative: bool = True, ident: str = "columns", width: int = 720, height: int = 260) -> Markup:
    """Columns per label (a day) with an optional vertical marker before column `marker` and a cumulative line."""
    left, right, top, bottom = 40, 40, 20, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    parts = _open(title, desc, width, height, ident)
    count = max(len(bars), 1)
    step = plot_w / count
    peak = max([b.value for b in bars] + [1])
    total = sum(b.value for b in bars) or 1
    base = top + plot_h
    parts.append(f'<line x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}" stroke="#6c757d"/>')
    parts.append(f'<text x="{left - 4}" y="{top + 4}" text-anchor="end" {FONT}>{peak}</text>')
    parts.append(f'<text x="{left - 4}" y="{base}" text-anchor="end" {FONT}>0</text>')
    label_every = max(1, -(-count // 12))
    points, running = [], 0
    for i, bar in enumerate(bars):
        x = left + i * step
        h = plot_h * bar.value / peak
        parts.append(f'<rect x="{x + step * 0.1:.1f}" y="{base - h:.1f}" width="{step * 0.8:.1f}" height="{h:.1f}" '
                     f'fill="{COLUMN}"><title>{_e(bar.label)}: {bar.value}</title></rect>')
        if i % label_every == 0:
            parts.append(f'<text x="{x + step / 2:.1f}" y="{base + 14}" text-anchor="middle" {FONT}>'
                         f'{_e(bar.label)}</text>')
        running += bar.value
        points.append(f"{x + step / 2:.1f},{base - plot_h * running / total:.1f}")
    if cumulative and points:
        parts.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{LINE}" stroke-width="2"/>')
        parts.append(f'<text x="{left + plot_w + 4}" y="{top + 4}" {FONT} fill="{LINE}">{running}</text>')
    if marker is not None and 0 <= marker <= len(bars):
        mx = left + marker * step
        parts.append(f'<line x1="{mx:.1f}" y1="{top}" x2="{mx:.1f}" y2="{base}" stroke="{MARKER}" '
                     f'stroke-dasharray="4 3" stroke-width="2"/>')
        parts.append(f'<text x="{mx - 4:.1f}" y="{top + 10}" text-anchor="end" {FONT} fill="{MARKER}">'
                     f'{_e(marker_label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(*, title: str, desc: str, bars: list[Bar], ident: str = "bars", width: int = 720,
              row: int = 22) -> Markup:
    """Horizontal bars, one row per label, with the label on the left and the value at the bar's end."""
    left, right, top = 240, 50, 8
    plot_w = width - left - right
    height = top * 2 + row * max(len(bars), 1)
    parts = _open(title, desc, width, height, ident)
    peak = max([b.value for b in bars] + [1])
    for i, bar in enumerate(bars):
        y = top + i * row
        w = plot_w * bar.value / peak
        label = bar.label if len(bar.label) <= 38 else bar.label[:37] + "…"
        parts.append(f'<text x="{left - 6}" y="{y + row * 0.65:.1f}" text-anchor="end" {FONT}>{_e(label)}</text>')
        parts.append(f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row - 6}" fill="{COLUMN}">'
                     f'<title>{_e(bar.label)}: {bar.value}</title></rect>')
        parts.append(f'<text x="{left + w + 4:.1f}" y="{y + row * 0.65:.1f}" {FONT}>{bar.value}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
