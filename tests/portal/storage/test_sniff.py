"""Tests for portal/storage/sniff.py: types come from content only."""
from __future__ import annotations

import io
import zipfile

import docx
import openpyxl
import pptx
import pytest

from portal.storage.sniff import ALLOWED_TYPES, extension_for, sniff_content_type

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def make_docx() -> bytes:
    document = docx.Document()
    document.add_paragraph("Практика наставничества")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_pptx() -> bytes:
    presentation = pptx.Presentation()
    slide = presentation.slides.add_slide(presentation.slide_layouts[0])
    slide.shapes.title.text = "Итоги"
    out = io.BytesIO()
    presentation.save(out)
    return out.getvalue()


def make_xlsx() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "Наставники"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def make_zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def sniff_bytes(data: bytes, *, start_at: int = 0) -> tuple[str | None, int]:
    stream = io.BytesIO(data)
    stream.seek(start_at)
    return sniff_content_type(stream), stream.tell()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (MINIMAL_PDF, "application/pdf"),
        (b"\n" * 100 + MINIMAL_PDF, None),  # only at offset 0: "%PDF-" inside another file's header is no PDF
        (b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 32, "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32, "image/jpeg"),
    ],
)
def test_simple_signatures(data: bytes, expected: str) -> None:
    assert sniff_bytes(data) == (expected, 0)


@pytest.mark.parametrize(("maker", "expected"), [(make_docx, DOCX), (make_pptx, PPTX), (make_xlsx, XLSX)])
def test_office_open_xml(maker, expected: str) -> None:
    assert sniff_bytes(maker(), start_at=5) == (expected, 0)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200, id="exe"),
        pytest.param(b"<!DOCTYPE html><html><body>%PDF- is mentioned late</body></html>".rjust(2000), id="html"),
        pytest.param(make_zip({"readme.txt": b"hello"}), id="plain-zip"),
        pytest.param(make_zip({"word/document.xml": b"<w/>"}), id="docx-without-content-types"),
        pytest.param(
            make_zip({"[Content_Types].xml": b"<T/>", "word/document.xml": b"<w/>", "xl/workbook.xml": b"<x/>"}),
            id="zip-claiming-two-formats",
        ),
        pytest.param(b"PK\x03\x04 truncated, not a zip", id="broken-zip"),
        pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, id="old-doc"),
        pytest.param("Это не PDF, хотя файл назван report.pdf".encode(), id="text-named-pdf"),
        pytest.param(b"", id="empty"),
    ],
)
def test_rejected_content(data: bytes) -> None:
    assert sniff_bytes(data) == (None, 0)


def test_name_is_ignored() -> None:
    stream = io.BytesIO(b"plain text")
    stream.name = "report.pdf"
    assert sniff_content_type(stream) is None
    assert stream.tell() == 0


def test_zip_bomb_is_not_decompressed(monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = make_zip({"[Content_Types].xml": b"<T/>", "word/document.xml": b"\x00" * (64 * 1024 * 1024)})
    reads: list[int] = []

    class CountingStream(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            data = super().read(size)
            reads.append(len(data))
            return data

    def refuse_open(*args: object, **kwargs: object) -> None:
        raise AssertionError("a member was opened")

    monkeypatch.setattr(zipfile.ZipFile, "open", refuse_open)
    stream = CountingStream(bomb)
    assert sniff_content_type(stream) == DOCX
    assert stream.tell() == 0
    # The compressed 64 MiB member is nearly all of the file; only the head and the central directory are read.
    assert sum(reads) < len(bomb) // 4


def test_allowed_types_and_extensions() -> None:
    assert ALLOWED_TYPES == {
        "application/pdf": ".pdf",
        DOCX: ".docx",
        PPTX: ".pptx",
        XLSX: ".xlsx",
        "image/png": ".png",
        "image/jpeg": ".jpg",
    }
    assert extension_for("application/pdf") == ".pdf"
    assert extension_for(XLSX) == ".xlsx"
    assert extension_for("application/x-msdownload") is None
