"""The results protocol as a PDF: A4 landscape, DejaVu fonts (Cyrillic), tables that continue over pages with their
header repeated, page numbers and the data hash in the footer."""
from __future__ import annotations

from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.fonts import FontFace

from portal.services.certificate_pdf import FAMILY, fonts_for
from reviewers.services.protocol import (Protocol, decision_label, header_lines, jurors_header, scores_header,
                                         summary_header)

MARGIN = 10
HEADING = FontFace(emphasis="BOLD", fill_color=(230, 234, 242), size_pt=6)
SUMMARY_WIDTHS = (10, 12, 38, 28, 9, 10, 14, 16, 11, 11, 38, 16, 22, 20, 22)


def _n(value: float | int | None) -> str:
    """A number as the protocol prints it: up to four decimals, a comma; a dash for none."""
    if value is None:
        return "—"
    if isinstance(value, int):
        return str(value)
    return f"{value:.4f}".rstrip("0").rstrip(".").replace(".", ",")


class _Document(FPDF):
    def __init__(self, protocol: Protocol, fonts):
        super().__init__(orientation="L", unit="mm", format="A4")
        self.protocol = protocol
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=14)
        self.set_creation_date(protocol.generated_at)
        self.add_font(FAMILY, "", str(fonts.regular))
        self.add_font(FAMILY, "B", str(fonts.bold))
        self.alias_nb_pages("{pages-total}")  # wide enough for thousands of pages
        self.set_title(_("Протокол результатов: {nomination}").format(nomination=protocol.nomination))
        self._widths: dict[tuple, float] = {}

    def width_of(self, text: str) -> float:
        """`get_string_width` remembered per font and size: a protocol repeats the same scores, names and words
        hundreds of thousands of times, and measuring is most of the rendering time."""
        key = (self.font_family, self.font_style, self.font_size_pt, text)
        width = self._widths.get(key)
        if width is None:
            width = self._widths[key] = self.get_string_width(text)
        return width

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(FAMILY, "", 7)
        self.cell(0, 5, _("{nomination} · раунд {number} · SHA-256 {hash} · стр. {page} из {pages}").format(
            nomination=self.protocol.nomination, number=self.protocol.round_number, hash=self.protocol.data_hash[:16],
            page=self.page_no(), pages="{pages-total}"), align="C")

    def heading(self, text: str) -> None:
        if self.get_y() > self.h - 40:  # a heading is never left alone at the foot of a page
            self.add_page()
        self.set_font(FAMILY, "B", 11)
        self.ln(3)
        self.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font(FAMILY, "", 7)

    def grid(self, header: list[str], rows: list[list[str]], widths) -> None:
        with self.table(col_widths=widths, headings_style=HEADING, line_height=3.6, text_align="LEFT",
                        repeat_headings=1, padding=0.8) as table:
            table.row([str(h) for h in header])
            for values in rows:
                table.row(values)

    def fast_grid(self, header: list[str], rows: list[list[str]], widths, line: float = 3.2) -> None:
        """A table drawn line by line (word-wrapped cells, borders, the header repeated on every page): many times
        faster than fpdf's `table` for tens of thousands of rows."""
        self.set_auto_page_break(False)
        self._fast_header(header, widths)
        bottom = self.h - 14
        for values in rows:
            cells = [_wrap(self, value, width - 1.6) for width, value in zip(widths, values)]
            height = max(len(lines) for lines in cells) * line + 1
            if self.get_y() + height > bottom:
                self.add_page()
                self._fast_header(header, widths)
            top, left = self.get_y(), self.l_margin
            for width, lines in zip(widths, cells):
                self.rect(left, top, width, height)
                for n, text in enumerate(lines):
                    self.text(left + 0.8, top + 0.5 + line * (n + 0.8), text)
                left += width
            self.set_xy(self.l_margin, top + height)
        self.set_auto_page_break(True, margin=14)

    def _fast_header(self, header: list[str], widths) -> None:
        self.set_font(FAMILY, "B", 6)
        self.set_fill_color(*HEADING.fill_color.colors255)
        cells = [_wrap(self, title, width - 1.6) for width, title in zip(widths, header)]
        height = max(len(lines) for lines in cells) * 3 + 1
        top, left = self.get_y(), self.l_margin
        for width, lines in zip(widths, cells):
            self.rect(left, top, width, height, style="DF")
            for n, text in enumerate(lines):
                self.text(left + 0.8, top + 0.5 + 3 * (n + 0.8), text)
            left += width
        self.set_xy(self.l_margin, top + height)
        self.set_font(FAMILY, "", 7)


def _wrap(pdf: _Document, text: str, width: float) -> list[str]:
    """`text` in lines no wider than `width` (words longer than a line are cut)."""
    if not text or pdf.width_of(text) <= width:
        return [text]
    lines, current = [], ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if pdf.width_of(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while pdf.width_of(word) > width and len(word) > 1:
            cut = len(word) - 1
            while cut > 1 and pdf.width_of(word[:cut]) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    lines.append(current)
    return lines


def render_protocol(protocol: Protocol) -> bytes:
    """The protocol's PDF."""
    criteria = {c.id: c for c in protocol.criteria}
    used = [c.id for c in protocol.criteria if any(c.id in line.scores for r in protocol.rows for line in r.reviews)]
    summary = [[_n(r.rank), str(r.entry_id), r.title, r.applicant, str(len(r.reviews)), str(r.assigned),
                _n(r.raw_mean), _n(r.normalised_mean), _n(r.spread), _("да") if r.flagged else "", r.tie_explanation,
                decision_label(r.decision), r.decision_reason, r.award, r.award_reason] for r in protocol.rows]
    scores = [[str(r.entry_id), line.juror_name] + [_n(line.scores.get(c)) for c in used]
              + [_n(line.weighted), _n(line.normalised)] for r in protocol.rows for line in r.reviews]
    head = header_lines(protocol)
    texts = [t for row in summary + scores for t in row] + [t for pair in head for t in pair] + \
        [c.title for c in protocol.criteria]
    pdf = _Document(protocol, fonts_for(texts + [protocol.nomination]))
    pdf.add_page()
    pdf.set_font(FAMILY, "B", 14)
    pdf.multi_cell(0, 7, _("Протокол результатов"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 8)
    pdf.grid([_("Поле"), _("Значение")], [[label, value] for label, value in head], (70, 207))
    pdf.heading(_("Рубрика"))
    pdf.grid([_("Критерий"), _("Вес"), _("Шкала"), _("Шаг")],
             [[c.title + (_(" (выведен из рубрики)") if c.retired else ""), _n(float(c.weight)),
               f"{c.scale_min:g}–{c.scale_max:g}", f"{c.scale_step:g}"] for c in protocol.criteria],
             (187, 30, 30, 30))
    pdf.heading(_("Итоги"))
    pdf.fast_grid([str(h) for h in summary_header()], summary, SUMMARY_WIDTHS)
    pdf.heading(_("Оценки экспертов"))
    score_header = [str(scores_header()[0]), str(scores_header()[2])] + \
        [criteria[c].title for c in used] + [str(h) for h in scores_header()[-2:]]
    rest = 277 - 15 - 45 - 2 * 28
    pdf.fast_grid(score_header, scores, (15, 45) + (rest / max(1, len(used)),) * len(used) + (28, 28))
    pdf.heading(_("Эксперты"))
    pdf.grid(jurors_header(), [[name, str(n), _n(offset)] for name, n, offset in protocol.severity.values()],
             (120, 60, 97))
    return bytes(pdf.output())
