"""A certificate as an A4 landscape PDF, with DejaVu Sans embedded so Cyrillic renders (and extracts) exactly.

The certificate is an official document of a Russian competition: its words are Russian whatever the interface
language, like the snapshot of names and titles it prints. No Flask here: the caller passes the verification URL.
"""
from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont
from fpdf import FPDF

from portal.models import Certificate
from portal.timefmt import format_day

FONT_DIR = Path(__file__).resolve().parent.parent / "data" / "fonts"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
FAMILY = "DejaVu"
# Latin, Latin-1 and Extended-A, Cyrillic with its supplement (the languages of Russia's republics), punctuation, №.
SUBSET_RANGES = ((0x20, 0x7E), (0xA0, 0x17F), (0x400, 0x52F), (0x2000, 0x206F), (0x20A0, 0x20BF), (0x2116, 0x2116),
                 (0x2122, 0x2122))

TITLES = {"participant": "Сертификат участника", "winner": "Диплом победителя", "prize": "Диплом призёра",
          "laureate": "Диплом лауреата", "special": "Специальный диплом жюри"}
# The name stays in the nominative case: "награждается" + name reads right, and no name is ever declined wrongly.
LEADS = {"participant": "", "diploma": "награждается"}
ABOUT = {"participant": "участник конкурса с практикой наставничества", "diploma": "за практику наставничества"}

NAVY = (27, 54, 93)
GOLD = (176, 141, 87)
GREY = (90, 90, 90)
INK = (20, 20, 20)
PAGE_W, PAGE_H = 297, 210
MARGIN = 30
BODY_BOTTOM = PAGE_H - 52  # the footer (date, code, URL) starts below


@dataclass(frozen=True)
class FontSet:
    """The regular and bold font files to embed, and the code points they cover."""

    regular: Path
    bold: Path
    charset: frozenset[int] | None  # None: the full fonts, every glyph they have


def _subset_font(source: Path, target: Path) -> frozenset[int]:
    """Write the subset of `source` for SUBSET_RANGES to `target`; return the code points it covers."""
    options = subset.Options()
    options.layout_features = ["*"]
    options.notdef_outline = True
    options.drop_tables += ["FFTM"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[c for low, high in SUBSET_RANGES for c in range(low, high + 1)])
    with TTFont(source) as font:
        subsetter.subset(font)
        font.save(target)
        return frozenset(font.getBestCmap())


@functools.cache
def _font_sets() -> tuple[FontSet, FontSet]:
    """(small, full): a Latin and Cyrillic subset, made once per process (a PDF with it renders ~3× faster), and the
    full fonts for text with characters the subset lacks."""
    full = FontSet(FONT_DIR / FONT_FILES[""], FONT_DIR / FONT_FILES["B"], None)
    folder = Path(tempfile.mkdtemp(prefix="portal-fonts-"))
    atexit.register(shutil.rmtree, folder, True)
    charset = _subset_font(full.regular, folder / "regular.ttf") & _subset_font(full.bold, folder / "bold.ttf")
    return FontSet(folder / "regular.ttf", folder / "bold.ttf", charset), full


def fonts_for(texts: list[str]) -> FontSet:
    """The small fonts when they have every character of `texts`, else the full ones."""
    small, full = _font_sets()
    used = {ord(ch) for text in texts for ch in text}
    return small if used <= small.charset else full


def document_title(certificate: Certificate) -> str:
    """«Сертификат участника», or the diploma's title for its award tier."""
    if certificate.kind == "diploma":
        return TITLES.get(certificate.award_tier or "", TITLES["winner"])
    return TITLES["participant"]


def place_line(certificate: Certificate) -> str:
    """"1 место" for a winner's diploma, otherwise empty."""
    return f"{certificate.award_place} место" if certificate.kind == "diploma" and certificate.award_place else ""


@dataclass(frozen=True)
class Block:
    """A centred paragraph: its text, font size (shrunk down to `min_size` to stay within `max_lines`), colour and the
    space after it."""

    text: str
    size: float
    bold: bool = False
    color: tuple[int, int, int] = NAVY
    max_lines: int = 1
    min_size: float = 9
    gap: float = 0


class _Sheet(FPDF):
    """An A4 landscape page with a double frame; text helpers that shrink long text to fit."""

    def __init__(self, fonts: FontSet, issued_at: datetime):
        super().__init__(orientation="L", unit="mm", format="A4")
        self.fits: dict[Block, tuple[float, int]] = {}
        self.set_auto_page_break(False)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_creation_date(issued_at)
        self.add_font(FAMILY, "", str(fonts.regular))
        self.add_font(FAMILY, "B", str(fonts.bold))
        self.add_page()
        self.set_draw_color(*NAVY)
        self.set_line_width(1.6)
        self.rect(10, 10, PAGE_W - 20, PAGE_H - 20)
        self.set_draw_color(*GOLD)
        self.set_line_width(0.5)
        self.rect(14, 14, PAGE_W - 28, PAGE_H - 28)

    def fit(self, block: Block) -> tuple[float, int]:
        """The font size at which `block` fits its line limit (shrinking down to its minimum), and its line count."""
        if block in self.fits:
            return self.fits[block]
        size = block.size
        while True:
            self.set_font(FAMILY, "B" if block.bold else "", size)
            # One line needs no line breaking (the costly part); a little slack for the cell's padding.
            if self.get_string_width(block.text) < self.epw - 2 * self.c_margin - 1:
                lines = 1
            else:
                lines = len(self.multi_cell(0, size * 0.5, block.text, align="C", dry_run=True, output="LINES"))
            if lines <= block.max_lines or size <= block.min_size:
                self.fits[block] = (size, lines)
                return size, lines
            size -= 1

    def height(self, block: Block) -> float:
        """The height `block` takes on the page, its gap included."""
        if not block.text:
            return 0
        size, lines = self.fit(block)
        return lines * size * 0.5 + block.gap

    def centred(self, block: Block) -> None:
        """`block` centred in the text width, on at most its number of lines."""
        if not block.text:
            return
        size, _lines = self.fit(block)
        self.set_font(FAMILY, "B" if block.bold else "", size)
        self.set_text_color(*block.color)
        self.multi_cell(0, size * 0.5, block.text, align="C", new_x="LMARGIN", new_y="NEXT")
        self.ln(block.gap)

    def ornament(self) -> None:
        """A short gold rule under the title."""
        y = self.get_y() + 1
        self.set_draw_color(*GOLD)
        self.set_line_width(0.6)
        self.line(PAGE_W / 2 - 40, y, PAGE_W / 2 + 40, y)
        self.set_y(y + 7)


def render_certificate(certificate: Certificate, *, verify_url: str, time_zone: str = "Europe/Moscow") -> bytes:
    """The certificate's PDF: its title, the recipient, the practice, nomination and season, the issue date, the
    verification code and the URL where anyone can check it."""
    title = document_title(certificate)
    kind = "diploma" if certificate.kind == "diploma" else "participant"
    practice = f"«{certificate.title}»" if certificate.title else ""
    nomination = f"Номинация «{certificate.nomination_title}»"
    issued = f"Дата выдачи: {format_day(certificate.issued_at, time_zone, 'ru')} г."
    code_line = f"Код проверки: {certificate.display_code}"
    texts = [title, certificate.recipient_name, practice, nomination, certificate.season_title, verify_url]
    pdf = _Sheet(fonts_for(texts), certificate.issued_at)
    pdf.set_title(f"{title} {certificate.display_code}")
    pdf.set_author(certificate.season_title)

    pdf.set_y(30)
    pdf.centred(Block(certificate.season_title, 12, color=GREY, max_lines=2, gap=5))
    pdf.centred(Block(title, 34, bold=True, min_size=20, gap=2))
    pdf.ornament()
    body = [Block(place_line(certificate), 18, bold=True, color=GOLD, gap=3),
            Block(LEADS[kind], 12, color=GREY, gap=3),
            Block(certificate.recipient_name, 22, bold=True, max_lines=3, min_size=12, gap=5),
            Block(ABOUT[kind], 12, color=GREY, gap=3),
            Block(practice, 16, color=INK, max_lines=3, min_size=10, gap=5),
            Block(nomination, 12, color=GREY, max_lines=2)]
    # The body sits in the middle of the space between the heading and the footer.
    free = BODY_BOTTOM - pdf.get_y() - sum(pdf.height(block) for block in body)
    pdf.set_y(pdf.get_y() + max(free, 0) / 2)
    for block in body:
        pdf.centred(block)

    pdf.set_text_color(*GREY)
    pdf.set_font(FAMILY, "", 10)
    pdf.set_xy(MARGIN, PAGE_H - 46)
    pdf.cell(100, 6, issued)
    pdf.set_font(FAMILY, "B", 11)
    pdf.set_text_color(*NAVY)
    pdf.set_xy(PAGE_W - MARGIN - 150, PAGE_H - 46)
    pdf.cell(150, 6, code_line, align="R")
    pdf.set_font(FAMILY, "", 9)
    pdf.set_text_color(*GREY)
    pdf.set_xy(PAGE_W - MARGIN - 150, PAGE_H - 40)
    pdf.cell(150, 5, "Проверить подлинность:", align="R")
    pdf.set_xy(PAGE_W - MARGIN - 150, PAGE_H - 35)
    pdf.cell(150, 5, verify_url, align="R", link=verify_url)
    return bytes(pdf.output())
