"""search/extract.py on real small files built here, and on hostile ones."""
from __future__ import annotations

import io
import logging
import time
import zipfile

import pytest
from docx import Document
from pptx import Presentation
from pptx.util import Inches

from search.extract import DOCX, PDF, PPTX, extract_text


def pdf_bytes(pages: list[str]) -> bytes:
    """A minimal PDF written by hand: one Helvetica text line per page (Tj)."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", None,
               "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for text in pages:
        stream = f"BT /F1 18 Tf 72 700 Td ({text}) Tj ET".encode("latin-1")
        objects.append(f"<< /Length {len(stream)} >>\nstream\n".encode("latin-1") + stream + b"\nendstream")
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {len(objects)} 0 R "
                       f"/Resources << /Font << /F1 3 0 R >> >> >>")
        kids.append(f"{len(objects)} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + (body if isinstance(body, bytes) else body.encode("latin-1")) + \
            b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def docx_bytes(paragraphs: list[str]) -> bytes:
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def pptx_bytes(slides: list[str]) -> bytes:
    presentation = Presentation()
    for text in slides:
        slide = presentation.slides.add_slide(presentation.slide_layouts[6])
        slide.shapes.add_textbox(Inches(1), Inches(1), Inches(6), Inches(2)).text_frame.text = text
    buffer = io.BytesIO()
    presentation.save(buffer)
    return buffer.getvalue()


def test_pdf_text_page_by_page():
    data = pdf_bytes(["Mentoring programme", "Young engineers", "Third page"])
    assert extract_text(io.BytesIO(data), PDF) == "Mentoring programme\nYoung engineers\nThird page"
    assert extract_text(io.BytesIO(data), PDF, max_pages=2) == "Mentoring programme\nYoung engineers"


def test_docx_paragraphs():
    data = docx_bytes(["Наставник и молодой специалист", "Учёт встреч\tи результатов"])
    assert extract_text(io.BytesIO(data), DOCX) == "Наставник и молодой специалист\nУчёт встреч и результатов"


def test_pptx_slides_in_order():
    data = pptx_bytes(["Первый слайд: наставничество", "Второй слайд: адаптация", "Третий"])
    assert extract_text(io.BytesIO(data), PPTX) == "Первый слайд: наставничество\nВторой слайд: адаптация\nТретий"
    assert extract_text(io.BytesIO(data), PPTX, max_pages=1) == "Первый слайд: наставничество"


def test_the_content_decides_not_the_declared_type():
    assert extract_text(io.BytesIO(pdf_bytes(["Hello"])), DOCX) == "Hello"
    assert extract_text(io.BytesIO(docx_bytes(["Привет"])), "application/octet-stream") == "Привет"


def test_characters_are_bounded():
    data = docx_bytes(["наставник " * 50] * 100)
    assert len(extract_text(io.BytesIO(data), DOCX, max_chars=1000)) <= 1000


def test_a_file_over_the_byte_limit_is_refused():
    data = docx_bytes(["Наставник"])
    assert extract_text(io.BytesIO(data), DOCX, max_bytes=len(data) - 1) == ""
    assert extract_text(io.BytesIO(data), DOCX, max_bytes=len(data)) == "Наставник"


def test_a_spent_time_budget_stops_extraction():
    assert extract_text(io.BytesIO(docx_bytes(["Наставник"])), DOCX, timeout_s=-1) == ""


def test_a_zip_bomb_docx_is_refused_fast(caplog):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"<w:document>" + b" " * 40_000_000 + b"</w:document>")
    data = buffer.getvalue()
    assert len(data) < 200_000
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="search.extract"):
        assert extract_text(io.BytesIO(data), DOCX) == ""
    assert time.monotonic() - started < 0.5
    assert "inflates" in caplog.text


def test_a_doctype_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", '<!DOCTYPE x [<!ENTITY a "aaaa">]><w:document>&a;</w:document>')
    assert extract_text(io.BytesIO(buffer.getvalue()), DOCX) == ""


@pytest.mark.parametrize("data", [b"", b"garbage", b"%PDF-1.4 broken", b"PK\x03\x04broken", bytes(range(256)) * 10])
def test_garbage_gives_no_text_and_no_exception(data):
    assert extract_text(io.BytesIO(data), PDF) == ""
