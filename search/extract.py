"""Text from the public files of a practice (PDF, DOCX, PPTX), bounded in bytes, pages, characters and time.

Untrusted files: DOCX and PPTX are zip archives, so their directory is checked before anything is inflated (total
declared size, compression ratio, member count), and members are then inflated in chunks with a byte budget that
counts what actually comes out, not what the directory claims. XML is parsed as a stream and a DOCTYPE refused.
PDF goes through pypdf page by page (pypdf caps stream inflation itself). Time is checked between chunks and pages
(a cooperative deadline: a single pathological page can overrun it). Anything unreadable gives "" and a log line,
never an exception: extraction only adds words to the index.
"""
from __future__ import annotations

import io
import logging
import re
import time
import warnings
import zipfile
from typing import BinaryIO
from xml.etree.ElementTree import ParseError, XMLPullParser

from pypdf import PdfReader

log = logging.getLogger(__name__)

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
MAX_RATIO = 200             # inflated / deflated, per member (text XML compresses ~5–30×, bombs ~1000×)
MAX_MEMBERS = 5_000
MAX_INFLATED = 100_000_000  # bytes an archive may inflate to, all members together (declared and actual)
CHUNK = 64 * 1024
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
SLIDE = re.compile(r"^ppt/slides/slide(\d+)\.xml$")
SPACES = re.compile(r"[ \t\u00a0]+")
BLANK_LINES = re.compile(r"\n\s*\n+")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Refused(Exception):
    """The file breaks a bound (size, ratio, time) or is not what it claims."""


class _Budget:
    def __init__(self, max_chars: int, timeout_s: float) -> None:
        self.max_chars = max_chars
        self.deadline = time.monotonic() + timeout_s
        self.inflate_left = MAX_INFLATED
        self.parts: list[str] = []
        self.chars = 0

    def add(self, text: str) -> bool:
        """Keep `text`; False once the characters are used up (stop reading)."""
        if text:
            text = text[:self.max_chars - self.chars]
            self.parts.append(text)
            self.chars += len(text)
        return self.chars < self.max_chars

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise Refused("time budget spent")


def extract_text(stream: BinaryIO, content_type: str, *, max_bytes: int = 20_000_000, max_pages: int = 200,
                 max_chars: int = 200_000, timeout_s: float = 10.0) -> str:
    """Plain text of a PDF, DOCX or PPTX (by content, `content_type` only breaks ties); "" if unreadable or refused.
    Reads at most `max_bytes` of the file (a larger file is refused), `max_pages` pages or slides, returns at most
    `max_chars` characters; stops (keeping what it has) after `timeout_s` seconds."""
    budget = _Budget(max_chars, timeout_s)
    try:
        data = stream.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise Refused(f"larger than {max_bytes} bytes")
        kind = _kind(data, content_type)
        if kind == PDF:
            _pdf(data, budget, max_pages)
        elif kind == "zip":
            _office(data, budget, max_pages)
        else:
            return ""
    except Refused as exc:
        log.warning("text extraction stopped: %s", exc)
    except Exception as exc:  # a damaged or hostile file: whatever was read so far is kept
        log.warning("text extraction failed: %r", exc)
    return _tidy("\n".join(budget.parts))[:max_chars]


def _kind(data: bytes, content_type: str) -> str | None:
    """By content: a declared type that does not match the bytes is not trusted."""
    if b"%PDF-" in data[:1024]:
        return PDF
    if data[:4] == b"PK\x03\x04" and (content_type or "").split(";")[0].strip() in (DOCX, PPTX, "application/zip",
                                                                                   "application/octet-stream", ""):
        return "zip"
    return None


def _pdf(data: bytes, budget: _Budget, max_pages: int) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pypdf warns about every oddity of a malformed file
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise Refused("encrypted PDF")
        for number, page in enumerate(reader.pages):
            if number >= max_pages:
                break
            budget.check_time()
            if not budget.add(page.extract_text() or ""):
                break


def _office(data: bytes, budget: _Budget, max_pages: int) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise Refused(f"{len(members)} members in the archive")
        declared = sum(m.file_size for m in members)
        if declared > MAX_INFLATED:
            raise Refused(f"declares {declared} bytes uncompressed")
        for member in members:
            if member.file_size > CHUNK and member.file_size > MAX_RATIO * max(member.compress_size, 1):
                raise Refused(f"{member.filename} inflates {member.file_size / max(member.compress_size, 1):.0f}×")
        names = {m.filename for m in members}
        if "word/document.xml" in names:
            parts, ns = ["word/document.xml"], W
        else:  # a presentation: slides in their order
            slides = sorted((int(m.group(1)), name) for name in names if (m := SLIDE.match(name)))
            parts, ns = [name for _, name in slides[:max_pages]], A
        for name in parts:
            if not _xml_text(archive, name, ns, budget):
                break


def _xml_text(archive: zipfile.ZipFile, name: str, ns: str, budget: _Budget) -> bool:
    """Stream one XML member's text runs (<w:t>/<a:t>) into the budget, a paragraph per line. False: stop all."""
    parser = XMLPullParser(events=("end",))
    paragraph: list[str] = []
    with archive.open(name) as member:
        while True:
            budget.check_time()
            chunk = member.read(CHUNK)
            if not chunk:
                break
            budget.inflate_left -= len(chunk)
            if budget.inflate_left < 0:
                raise Refused("inflated more than allowed")
            if b"<!DOCTYPE" in chunk or b"<!ENTITY" in chunk:
                raise Refused(f"{name} has a DOCTYPE")
            try:
                parser.feed(chunk)
            except ParseError as exc:
                raise Refused(f"{name}: {exc}") from exc
            for _, element in parser.read_events():
                if element.tag == ns + "t" and element.text:
                    paragraph.append(element.text)
                elif element.tag == ns + "tab":
                    paragraph.append("\t")
                elif element.tag == ns + "p":
                    if not budget.add("".join(paragraph)):
                        return False
                    paragraph.clear()
                    element.clear()
    return budget.add("".join(paragraph))


def _tidy(text: str) -> str:
    text = CONTROL.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = SPACES.sub(" ", text)
    return BLANK_LINES.sub("\n\n", text).strip()
