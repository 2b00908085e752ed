"""In Chromium: an organizer issues a season's certificates and downloads a diploma; the winner downloads it too; a
visitor checks its code on /verify. Screenshots go to tests/artifacts/."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.helpers import pdf_first_page_text
from tests.portal.certificates.conftest import SLUG, WINNER_ORG

pytestmark = pytest.mark.browser


def test_issue_download_and_verify(live_server, page, log_in, shot, organizer, winner, participant):
    log_in(organizer.email)
    page.goto(f"{live_server}/organizer/seasons/{SLUG}/certificates")
    expect(page.get_by_role("heading", name="Сертификаты и дипломы")).to_be_visible()
    page.get_by_role("button", name="Выдать сертификаты и дипломы").click()
    expect(page.get_by_text("Выдано сертификатов участника: 2, дипломов: 1.")).to_be_visible()
    shot("certificates-organizer")

    diploma_row = page.locator("tr[data-certificate]").filter(has_text="Диплом победителя")
    code = diploma_row.get_attribute("data-code")
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", code)
    with page.expect_download() as download:
        diploma_row.get_by_role("link", name="PDF").click()
    text = pdf_first_page_text(Path(download.value.path()).read_bytes())
    assert "Диплом победителя" in text and WINNER_ORG in text and code in text
    page.get_by_role("button", name="Выйти").click()

    log_in(winner.created_by.email)
    page.goto(f"{live_server}/my/entries/{winner.id}")  # the entry page offers the applicant's documents
    with page.expect_download() as download:
        page.locator('[data-certificates] [data-kind="diploma"]').get_by_role("link", name=re.compile("PDF")).click()
    assert download.value.suggested_filename == f"Диплом {code}.pdf"
    assert code in pdf_first_page_text(Path(download.value.path()).read_bytes())
    page.get_by_role("button", name="Выйти").click()

    page.goto(f"{live_server}/verify")
    page.get_by_label("Код проверки").fill(code.lower().replace("-", " "))
    page.get_by_role("button", name="Проверить").click()
    expect(page.get_by_role("heading", name="Документ действителен")).to_be_visible()
    expect(page.locator('[data-field="recipient"]')).to_have_text(WINNER_ORG)
    assert page.url == f"{live_server}/verify/{code}"
    shot("certificates-verify-valid")

    page.goto(f"{live_server}/verify/0000-0000-0000")
    expect(page.get_by_role("heading", name="Документ не найден")).to_be_visible()
