"""`portal/services/certificate_pdf.py`: the text read back out of the PDF with pypdf is exactly what was issued."""
from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest
from pypdf import PdfReader

from portal.models import Certificate
from portal.services.certificate_pdf import document_title, fonts_for, render_certificate

URL = "http://portal.test/verify/7K3M-9QX2-HP4T"
ISSUED = datetime(2026, 12, 5, 21, 30, tzinfo=timezone.utc)  # 6 December in Moscow


def certificate(**changes) -> Certificate:
    values = dict(kind="participant", code="7K3M9QX2HP4T", recipient_name="Анна Петровна Смирнова",
                  title="Школа молодого наставника", nomination_title="Наставничество в сфере образования",
                  season_title="Всероссийский конкурс лучших практик наставничества 2026", award_tier=None,
                  award_place=None, issued_at=ISSUED)
    values.update(changes)
    return Certificate(**values)


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    return reader.pages[0].extract_text()


def lines(data: bytes) -> list[str]:
    return [line.strip() for line in pdf_text(data).splitlines()]


def test_a_participant_certificate_reads_back_exactly():
    data = render_certificate(certificate(), verify_url=URL)
    assert data.startswith(b"%PDF-")
    text = lines(data)
    assert "Сертификат участника" in text
    assert "Анна Петровна Смирнова" in text
    assert "«Школа молодого наставника»" in text
    assert "Номинация «Наставничество в сфере образования»" in text
    assert "Всероссийский конкурс лучших практик наставничества 2026" in text
    assert "Дата выдачи: 6 декабря 2026 г. Код проверки: 7K3M-9QX2-HP4T" in text
    assert URL in text
    assert not any("место" in line for line in text)


def test_the_page_is_a4_landscape_with_the_fonts_embedded():
    reader = PdfReader(io.BytesIO(render_certificate(certificate(), verify_url=URL)))
    page = reader.pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (842, 595)
    fonts = {font["/BaseFont"] for font in (f.get_object() for f in page["/Resources"]["/Font"].values())}
    assert sorted(name.split("+")[1] for name in fonts) == ["DejaVuSansBold", "DejaVuSansBook"]  # subsets, embedded
    assert reader.metadata.title == "Сертификат участника 7K3M-9QX2-HP4T"


@pytest.mark.parametrize("tier, place, title, place_line", [
    ("winner", 1, "Диплом победителя", "1 место"),
    ("winner", 3, "Диплом победителя", "3 место"),
    ("prize", None, "Диплом призёра", None),
    ("laureate", None, "Диплом лауреата", None),
    ("special", None, "Специальный диплом жюри", None),
])
def test_a_diploma_names_the_award(tier, place, title, place_line):
    item = certificate(kind="diploma", award_tier=tier, award_place=place, recipient_name="МБОУ «Средняя школа № 7»")
    assert document_title(item) == title
    text = lines(render_certificate(item, verify_url=URL))
    assert title in text
    assert "награждается" in text
    assert "МБОУ «Средняя школа № 7»" in text
    assert (place_line in text) if place_line else not any("место" in line for line in text)


def test_a_long_name_wraps_and_keeps_every_word():
    name = ("Муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная школа № 7 имени "
            "Героя Советского Союза А. С. Пушкина» города Твери")
    text = " ".join(pdf_text(render_certificate(certificate(recipient_name=name), verify_url=URL)).split())
    assert name in text


def test_other_scripts_fall_back_to_the_full_font():
    small = fonts_for(["Анна Смирнова", "Ӕлборты Ӕхсар", "Gülnur Şahin"])
    assert small.charset is not None
    greek = "Αθηνά Παπαδοπούλου"
    assert fonts_for([greek]).charset is None
    assert greek in lines(render_certificate(certificate(recipient_name=greek), verify_url=URL))


def test_the_same_certificate_renders_the_same_text():
    first, second = (render_certificate(certificate(), verify_url=URL) for _ in range(2))
    assert pdf_text(first) == pdf_text(second)
