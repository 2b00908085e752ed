"""Tests for portal/storage/content_disposition.py."""
from __future__ import annotations

import pytest

from portal.storage.content_disposition import content_disposition


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("report.pdf", "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"),
        (
            "Презентация практики.pdf",
            'attachment; filename="___________ ________.pdf"; '
            "filename*=UTF-8''%D0%9F%D1%80%D0%B5%D0%B7%D0%B5%D0%BD%D1%82%D0%B0%D1%86%D0%B8%D1%8F"
            "%20%D0%BF%D1%80%D0%B0%D0%BA%D1%82%D0%B8%D0%BA%D0%B8.pdf",
        ),
        (
            'my "best"/..\\plan.docx',
            "attachment; filename=\"my best..plan.docx\"; filename*=UTF-8''my%20%22best%22..plan.docx",
        ),
        ("a\r\nContent-Type: x\t.pdf", "attachment; filename=\"aContent-Type: x.pdf\"; "
         "filename*=UTF-8''aContent-Type%3A%20x.pdf"),
        ("План №1 (итог).xlsx", "attachment; filename=\"____ _1 (____).xlsx\"; "
         "filename*=UTF-8''%D0%9F%D0%BB%D0%B0%D0%BD%20%E2%84%961%20%28%D0%B8%D1%82%D0%BE%D0%B3%29.xlsx"),
        ("///", "attachment; filename=\"file\"; filename*=UTF-8''file"),
    ],
)
def test_attachment_header(filename: str, expected: str) -> None:
    assert content_disposition(filename) == expected


def test_inline() -> None:
    assert content_disposition("скан.png", inline=True) == (
        "inline; filename=\"____.png\"; filename*=UTF-8''%D1%81%D0%BA%D0%B0%D0%BD.png"
    )


def test_header_is_latin1_safe() -> None:
    value = content_disposition("Отчёт «итоги» 2024.pdf")
    value.encode("ascii")  # would raise on any non-ASCII character left in the header
    assert value.startswith('attachment; filename="')
