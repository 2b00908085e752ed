"""Tell a file's type from its content only (never from its name), for the types the portal accepts."""
from __future__ import annotations

import zipfile
from typing import BinaryIO

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Every accepted content type and the extension a stored file of that type gets.
ALLOWED_TYPES: dict[str, str] = {
    PDF: ".pdf",
    DOCX: ".docx",
    PPTX: ".pptx",
    XLSX: ".xlsx",
    PNG: ".png",
    JPEG: ".jpg",
}

_HEAD_SIZE = 1024
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_SIGNATURE = b"\xff\xd8\xff"
_ZIP_SIGNATURE = b"PK\x03\x04"
_OOXML_CONTENT_TYPES = "[Content_Types].xml"
_OOXML_MAIN_PARTS = {"word/document.xml": DOCX, "ppt/presentation.xml": PPTX, "xl/workbook.xml": XLSX}


def extension_for(content_type: str) -> str | None:
    """The canonical extension (".pdf", ".docx", ...) of an accepted type, or None for any other type."""
    return ALLOWED_TYPES.get(content_type)


def _read_head(stream: BinaryIO) -> bytes:
    """Up to the first KiB of the stream (a short read is retried until EOF)."""
    head = b""
    while len(head) < _HEAD_SIZE:
        chunk = stream.read(_HEAD_SIZE - len(head))
        if not chunk:
            break
        head += chunk
    return head


def _sniff_ooxml(stream: BinaryIO) -> str | None:
    """DOCX, PPTX or XLSX from the zip's central directory; members are never decompressed."""
    try:
        with zipfile.ZipFile(stream) as archive:  # does not close a stream it was given
            names = set(archive.namelist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        return None
    if _OOXML_CONTENT_TYPES not in names:
        return None
    found = {mime for part, mime in _OOXML_MAIN_PARTS.items() if part in names}
    return found.pop() if len(found) == 1 else None  # a zip claiming two formats is none of them


def sniff_content_type(stream: BinaryIO) -> str | None:
    """The accepted content type of a seekable stream, or None; the stream is left at position 0."""
    stream.seek(0)
    try:
        head = _read_head(stream)
        if head.startswith(_PNG_SIGNATURE):
            return PNG
        if head.startswith(_JPEG_SIGNATURE):
            return JPEG
        if head.startswith(_ZIP_SIGNATURE):
            stream.seek(0)
            return _sniff_ooxml(stream)
        if head.startswith(b"%PDF-"):  # at offset 0 only: "%PDF-" inside an executable's stub is no PDF
            return PDF
        return None
    finally:
        stream.seek(0)
