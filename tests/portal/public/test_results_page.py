"""A season's published results: nothing before publication, names only with the applicant's consent."""
from __future__ import annotations

from datetime import timedelta

from lxml import html as lxml_html

from portal.models import utcnow
from portal.services import library
from portal.storage import backend_named
from tests.factories import make_awarded_entry, make_organisation, make_season, make_user


def awarded_season(db, *, published_days_ago: int | None = 1):
    """A season with a published winner, a laureate who refused publication and a prize-winner not in the library."""
    now = utcnow()
    season = make_season(slug="season-2025", nominations=("production", "education"))
    owner = make_user(full_name="Ольга Викторовна Иванова")
    winner = make_awarded_entry(owner, season, code="education", organisation=make_organisation(owner), tier="winner",
                                place=1)
    refused = make_awarded_entry(make_user(full_name="Пётр Сергеевич Скрытный", region_code="25"), season,
                                 code="education", tier="laureate", place=None, consent=False)
    refused.title = "Тайная практика без согласия"
    refused.region_code = "25"
    prize = make_awarded_entry(make_user(full_name="Мария Ивановна Кузнецова"), season, code="production",
                               tier="prize", place=None)
    prize.title = "Наставничество в цехе"
    item = library.publish_entry(db.session, entry=winner, user=None, now=now, storage_for=backend_named)
    item.title = "Школа молодого педагога: опубликованная версия"
    if published_days_ago is not None:
        season.results_published_at = now - timedelta(days=published_days_ago)
    db.session.commit()
    return season, {"winner": winner, "refused": refused, "prize": prize, "item": item}


def doc(response):
    assert response.status_code == 200
    return lxml_html.fromstring(response.get_data(as_text=True))


def rows_of(section) -> list[list[str]]:
    return [[" ".join(td.text_content().split()) for td in tr.xpath("./td")] for tr in section.xpath(".//tbody/tr")]


def test_results_are_404_before_publication(app, db, client):
    season, found = awarded_season(db, published_days_ago=None)
    assert client.get("/results/season-2025").status_code == 404
    season.results_published_at = utcnow() + timedelta(hours=2)  # announced for later today
    db.session.commit()
    response = client.get("/results/season-2025")
    assert response.status_code == 404
    assert "Тайная практика" not in response.get_data(as_text=True)
    assert "Школа молодого" not in response.get_data(as_text=True)


def test_unknown_season_is_404(app, db, client):
    assert client.get("/results/no-such-season").status_code == 404


def test_results_by_nomination_with_names_only_where_consented(app, db, client):
    season, found = awarded_season(db)
    response = client.get("/results/season-2025")
    page = doc(response)
    sections = page.xpath('//section[contains(@class, "results-nomination")]')
    assert [s.xpath("string(.//h2)") for s in sections] == ["Номинация production", "Номинация education"]
    assert rows_of(sections[0]) == [["Призёр", "Наставничество в цехе", "Мария Ивановна Кузнецова", "Тверская область"]]
    assert rows_of(sections[1]) == [
        ["Победитель, 1 место", "Школа молодого педагога: опубликованная версия", "МБОУ «Средняя школа № 7»",
         "Тверская область"],
        ["Лауреат", "Участник не дал согласия на публикацию", "Приморский край"],
    ]
    assert sections[1].xpath(".//tbody/tr[1]//a/@href") == [f"/library/{found['item'].id}"]
    assert sections[0].xpath(".//tbody//a") == []
    body = response.get_data(as_text=True)
    assert "Тайная практика" not in body
    assert "Скрытный" not in body


def test_an_unpublished_library_item_is_not_linked(app, db, client):
    season, found = awarded_season(db)
    library.unpublish_item(db.session, item=found["item"], user=None, now=utcnow(), reason="Просьба заявителя")
    db.session.commit()
    page = doc(client.get("/results/season-2025"))
    assert page.xpath(f'//a[@href="/library/{found["item"].id}"]') == []
    winner_row = page.xpath('//section[contains(@class, "results-nomination")][2]//tbody/tr[1]/td[2]')[0]
    assert winner_row.text_content().strip() == "Школа молодого наставника"  # the entry's own title, not a link


def test_season_and_home_link_to_the_results_once_published(app, db, client):
    season, _found = awarded_season(db, published_days_ago=None)
    assert doc(client.get("/seasons/season-2025")).xpath('//a[@href="/results/season-2025"]') == []
    assert doc(client.get("/")).xpath('//a[@href="/results/season-2025"]') == []
    season.results_published_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    season_page = doc(client.get("/seasons/season-2025"))
    assert season_page.xpath('string(//a[@href="/results/season-2025"])') == "Итоги конкурса"
    assert season_page.xpath('//a[@href="/library/?year=%d"]' % season.year) != []
    assert doc(client.get("/")).xpath('string(//a[@href="/results/season-2025"])') == "Итоги конкурса"


def test_past_seasons_on_the_home_page_link_to_their_results(app, db, client):
    old, _found = awarded_season(db)
    old.is_archived = True
    make_season(slug="season-2026")
    db.session.commit()
    page = doc(client.get("/"))
    links = page.xpath('//section[@aria-labelledby="past-h"]//a[@href="/results/season-2025"]')
    assert [" ".join(a.text_content().split()) for a in links] == ["Итоги — Конкурс season-2025"]


def test_results_in_english(app, db, client):
    awarded_season(db)
    with client.session_transaction() as sess:
        sess["locale"] = "en"
    page = doc(client.get("/results/season-2025"))
    sections = page.xpath('//section[contains(@class, "results-nomination")]')
    assert [s.xpath("string(.//h2)") for s in sections] == ["Nomination production", "Nomination education"]
    assert rows_of(sections[1])[0][0] == "Winner, place 1"
    assert rows_of(sections[1])[1][-1] == "Primorsky Krai"
