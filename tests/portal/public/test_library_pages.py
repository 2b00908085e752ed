"""The library page (search, facets, sort, pages), the practice page and the public file downloads."""
from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from lxml import html as lxml_html
from sqlalchemy import event

from portal.models import utcnow
from portal.public.library import page_window, practices_found
from portal.services import library
from portal.services.search_sync import rebuild_index
from portal.storage import backend_named
from portal.timefmt import russian_plural
from tests.factories import PDF_BYTES, make_awarded_entry, make_library_item, make_organisation, make_season, make_user

INDUSTRY = "Наставничество в сфере производства"
EDUCATION = "Наставничество в сфере образования, воспитания и молодёжной политики"


def build_library(db, app):
    """Three published practices and one unpublished one whose every facet value is its own."""
    items = {
        "plant": make_library_item(title="Наставничество молодых специалистов на заводе", year=2024,
                                   nomination="production", region="66", form="workplace", award="winner", place=1,
                                   audience="workers"),
        "school": make_library_item(title="Школа молодого педагога", year=2023, nomination="education", region="69",
                                    form="teacher-teacher", award="laureate", audience="teachers",
                                    summary="Опытные учителя сопровождают молодых педагогов два года.",
                                    description="Наставники посещают уроки и разбирают их с молодыми педагогами.",
                                    keywords=("молодой педагог", "адаптация")),
        "college": make_library_item(title="Наставники для студентов колледжа", year=2024, nomination="education",
                                     region="66", form="student-student", award="prize", audience="students",
                                     summary="Старшекурсники помогают первокурсникам освоиться в колледже.",
                                     organisation=""),
        "hidden": make_library_item(title="Секретная практика снятая с публикации", year=2022, nomination="social",
                                    region="25", form="reverse", award="special", audience="other",
                                    summary="Засекреченный текст черновика.", published=False),
    }
    db.session.commit()
    rebuild_index(app, db.session)
    return items


def doc(response):
    assert response.status_code == 200
    return lxml_html.fromstring(response.get_data(as_text=True))


def facet(page, name: str) -> dict[str, int]:
    """The sidebar's values of one facet: label → count."""
    options = page.xpath(f'//section[@data-facet="{name}"]//a[contains(@class, "facet-option")]')
    return {" ".join(o.xpath('string(.//span[@class="facet-label"])').replace("Выбрано:", "").split()):
            int(o.xpath('string(.//span[@class="facet-count"])')) for o in options}


def selected(page, name: str) -> list[str]:
    options = page.xpath(f'//section[@data-facet="{name}"]//a[contains(@class, "is-selected")]//span[@class="facet-label"]')
    return [" ".join(o.text_content().replace("Выбрано:", "").split()) for o in options]


def titles(page) -> list[str]:
    return [h.text_content().strip() for h in page.xpath('//ol[contains(@class, "results-list")]//h3')]


def count_line(page) -> str:
    return page.xpath('string(//p[contains(@class, "results-count")])').strip()


def test_library_lists_published_practices_with_facet_counts(app, db, client):
    build_library(db, app)
    page = doc(client.get("/library/"))
    assert count_line(page) == "Найдено 3 практики"
    assert sorted(titles(page)) == ["Наставники для студентов колледжа", "Наставничество молодых специалистов на заводе",
                                    "Школа молодого педагога"]
    assert facet(page, "nomination") == {EDUCATION: 2, INDUSTRY: 1}
    assert facet(page, "region") == {"Свердловская область": 2, "Тверская область": 1}
    assert facet(page, "district") == {"Уральский федеральный округ": 2, "Центральный федеральный округ": 1}
    assert facet(page, "year") == {"2024": 2, "2023": 1}
    assert facet(page, "form") == {"Наставничество на рабочем месте": 1, "Педагог — педагог": 1, "Студент — студент": 1}
    assert facet(page, "award") == {"Победитель": 1, "Призёр": 1, "Лауреат": 1}
    assert facet(page, "audience") == {"Работники предприятий": 1, "Педагоги": 1, "Студенты": 1}
    assert page.xpath('//link[@rel="alternate"][@type="application/atom+xml"]/@href') == ["/library/feed.atom"]
    assert page.xpath('//a[contains(@class, "feed-link")]/@href') == ["/library/feed.atom"]


def test_result_carries_meta_line_and_award(app, db, client):
    build_library(db, app)
    page = doc(client.get("/library/?q=заводе"))
    assert titles(page) == ["Наставничество молодых специалистов на заводе"]
    card = page.xpath('//li[contains(@class, "result")]')[0]
    assert card.xpath('string(.//p[contains(@class, "practice-kicker")])') == INDUSTRY
    assert [li.text_content() for li in card.xpath('.//ul[contains(@class, "practice-meta")]/li')] == [
        "Свердловская область", "2024", "Наставничество на рабочем месте"]
    assert card.xpath('string(.//span[contains(@class, "award-badge")])') == "Победитель, 1 место"


def test_filters_in_the_url_narrow_results_and_counts(app, db, client):
    build_library(db, app)
    page = doc(client.get("/library/?nomination=education"))
    assert count_line(page) == "Найдено 2 практики"
    assert sorted(titles(page)) == ["Наставники для студентов колледжа", "Школа молодого педагога"]
    # Other facets count within the filtered set; the chosen facet keeps its other values, to be added (OR).
    assert facet(page, "region") == {"Свердловская область": 1, "Тверская область": 1}
    assert facet(page, "year") == {"2024": 1, "2023": 1}
    assert facet(page, "award") == {"Призёр": 1, "Лауреат": 1}
    assert facet(page, "nomination") == {EDUCATION: 2, INDUSTRY: 1}
    assert selected(page, "nomination") == [EDUCATION]
    chips = [" ".join(c.text_content().split()) for c in page.xpath('//a[@class="chip"]')]
    assert chips == [f"Номинация: {EDUCATION}×— убрать фильтр"]
    assert page.xpath('//a[@class="chip"]/@href') == ["/library/"]
    # Adding a second value of the same facet widens; a value of another facet narrows.
    both = doc(client.get("/library/?nomination=education&nomination=production"))
    assert count_line(both) == "Найдено 3 практики"
    narrowed = doc(client.get("/library/?nomination=education&region=66"))
    assert titles(narrowed) == ["Наставники для студентов колледжа"]
    assert count_line(narrowed) == "Найдена 1 практика"
    assert facet(narrowed, "region") == {"Свердловская область": 1, "Тверская область": 1}
    assert facet(narrowed, "nomination") == {EDUCATION: 1, INDUSTRY: 1}
    assert narrowed.xpath('//section[@data-facet="nomination"]//a[contains(@class, "facet-option")]/@href') == [
        "/library/?region=66", "/library/?nomination=education&nomination=production&region=66"]


def test_search_keeps_the_filters_and_the_facets_link_keeps_the_search(app, db, client):
    build_library(db, app)
    page = doc(client.get("/library/?q=педагогов&year=2023&sort=title&per_page=10"))
    form = page.xpath('//form[@role="search"]')[0]
    assert form.get("method") == "get"
    assert [(i.get("name"), i.get("value")) for i in form.xpath('.//input[@type="hidden"]')] == [
        ("year", "2023"), ("sort", "title"), ("per_page", "10")]
    assert form.xpath('string(.//input[@name="q"]/@value)') == "педагогов"
    assert page.xpath('//section[@data-facet="year"]//a/@href') == [
        "/library/?" + urlencode({"q": "педагогов", "sort": "title", "per_page": 10})]


def test_inflected_search_highlights_the_matches(app, db, client):
    build_library(db, app)
    response = client.get("/library/?q=педагоги")
    page = doc(response)
    assert titles(page) == ["Школа молодого педагога"]
    body = response.get_data(as_text=True)
    assert "Школа молодого <mark>педагога</mark>" in body
    assert "сопровождают молодых <mark>педагогов</mark> два года" in body


def test_extra_fragment_from_the_description_is_shown(app, db, client):
    build_library(db, app)
    page = doc(client.get("/library/?q=уроки"))
    assert titles(page) == ["Школа молодого педагога"]
    extra = page.xpath('//p[contains(@class, "result-extra")]')[0]
    assert extra.xpath('string(span)') == "Описание:"
    assert extra.xpath("string(mark)") == "уроки"


def test_unpublished_practice_never_appears(app, db, client):
    items = build_library(db, app)
    hidden = items["hidden"]
    body = client.get("/library/").get_data(as_text=True)
    assert "Секретная" not in body
    for leaked in ("Наставничество в социальной сфере", "Приморский край", "Дальневосточный", "2022",
                   "Реверсивное наставничество", "Специальный приз жюри", "Другие категории"):
        assert leaked not in body
    search = doc(client.get("/library/?q=секретная"))
    assert titles(search) == []
    assert count_line(search) == "Найдено 0 практик"
    filtered = doc(client.get("/library/?nomination=social"))
    assert titles(filtered) == []
    assert client.get(f"/library/{hidden.id}").status_code == 404
    assert client.get(f"/library/{hidden.id + 1000}").status_code == 404


@pytest.mark.parametrize("raw", ['"незакрытая кавычка', "наставник " * 500, "я" * 5000, "<script>alert(1)</script>",
                                 "OR", "-", "page=0&per_page=-5"],
                         ids=["quote", "500-words", "5000-chars", "script", "dangling-or", "lone-minus", "params"])
def test_malformed_queries_are_answered_and_escaped(app, db, client, raw):
    build_library(db, app)
    response = client.get("/library/", query_string={"q": raw, "page": "x", "per_page": "many", "sort": "<b>"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<script>alert" not in body
    assert "<b>" not in body
    if raw.startswith("<script>"):
        assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in body


def test_unbalanced_quote_reads_as_words_with_a_notice(app, db, client):
    build_library(db, app)
    page = doc(client.get('/library/?q="школа молодого'))
    assert titles(page) == ["Школа молодого педагога"]
    notice = page.xpath('//div[contains(@class, "alert-info")]')
    assert len(notice) == 1
    assert " ".join(notice[0].text_content().split()) == ("Обратите внимание:Кавычка не закрыта: слова после неё искали "
                                                          "как обычные.")


def test_empty_result_helps(app, db, client):
    build_library(db, app)
    page = doc(client.get("/library/?q=космонавтика&nomination=education"))
    heading = page.xpath('string(//div[contains(@class, "empty-state")]//h3)')
    assert heading == "По запросу «космонавтика» ничего не найдено"
    links = page.xpath('//div[contains(@class, "empty-state")]//a/@href')
    assert links == ["/library/?q=%D0%BA%D0%BE%D1%81%D0%BC%D0%BE%D0%BD%D0%B0%D0%B2%D1%82%D0%B8%D0%BA%D0%B0",
                     "/library/?nomination=education", "/library/"]


def test_empty_library_says_so(app, db, client):
    rebuild_index(app, db.session)
    page = doc(client.get("/library/"))
    assert page.xpath('string(//div[contains(@class, "empty-state")]//h3)') == "В библиотеке пока нет практик"


def test_library_says_when_search_is_down_instead_of_nothing_found(app, db, client):
    make_library_item()
    db.session.commit()
    app.config["SEARCH_REPAIR_SYNC_MAX"] = 0  # too large to rebuild inside the request: no index yet
    response = client.get("/library/")
    page = doc(response)
    assert page.xpath('string(//div[@role="alert"]/h3)') == "Поиск по библиотеке временно недоступен"
    assert page.xpath('//div[contains(@class, "empty-state")]') == []
    assert page.xpath('//p[contains(@class, "results-count")]') == []


def test_pagination(app, db, client):
    for n in range(5):
        make_library_item(title=f"Практика номер {n + 1}", year=2020 + n)
    db.session.commit()
    rebuild_index(app, db.session)
    first = doc(client.get("/library/?per_page=2&sort=year"))
    assert count_line(first) == "Найдено 5 практик"
    assert titles(first) == ["Практика номер 5", "Практика номер 4"]
    assert first.xpath('//ul[contains(@class, "pagination")]//a/@href') == [
        "/library/?sort=year&page=2&per_page=2", "/library/?sort=year&page=3&per_page=2",
        "/library/?sort=year&page=2&per_page=2"]
    assert first.xpath('//li[@aria-current="page"]/span/text()') == ["1"]
    last = doc(client.get("/library/?per_page=2&sort=year&page=3"))
    assert titles(last) == ["Практика номер 1"]
    assert last.xpath('//ol[contains(@class, "results-list")]/@start') == ["5"]
    beyond = doc(client.get("/library/?per_page=2&sort=year&page=9"))
    assert titles(beyond) == []
    assert beyond.xpath('string(//div[contains(@class, "empty-state")]//h3)') == "На этой странице ничего нет"


@pytest.mark.parametrize(("sort", "expected"), [
    ("title", ["Наставники для студентов колледжа", "Наставничество молодых специалистов на заводе",
               "Школа молодого педагога"]),
    ("year", ["Наставники для студентов колледжа", "Наставничество молодых специалистов на заводе",
              "Школа молодого педагога"]),
])
def test_sort(app, db, client, sort, expected):
    build_library(db, app)
    page = doc(client.get(f"/library/?sort={sort}"))
    got = titles(page)
    if sort == "year":  # the two 2024 practices come first, in either order
        assert sorted(got[:2]) == expected[:2] and got[2] == expected[2]
    else:
        assert got == expected
    assert page.xpath('//nav[contains(@class, "sort-nav")]//span[@aria-current="true"]/text()')[0] == {
        "title": "по названию", "year": "по году"}[sort]


def test_english_labels(app, db, client):
    build_library(db, app)
    with client.session_transaction() as sess:
        sess["locale"] = "en"
    page = doc(client.get("/library/?q=заводе"))
    assert page.xpath("/html/@lang") == ["en"]
    assert facet(page, "nomination") == {"Mentoring in industry": 1}
    assert facet(page, "form") == {"Workplace mentoring": 1}
    assert facet(page, "region") == {"Sverdlovsk Oblast": 1}
    assert facet(page, "district") == {"Ural Federal District": 1}
    card = page.xpath('//li[contains(@class, "result")]')[0]
    assert card.xpath('string(.//span[contains(@class, "award-badge")])') == "Winner, place 1"
    assert card.xpath('string(.//p[contains(@class, "practice-kicker")])') == "Mentoring in industry"
    assert [li.text_content() for li in card.xpath('.//ul[contains(@class, "practice-meta")]/li')] == [
        "Sverdlovsk Oblast", "2024", "Workplace mentoring"]


def test_library_page_makes_the_same_number_of_queries_whatever_the_page_size(app, db, client):
    user = make_user()
    season = make_season()
    for n in range(3):
        applicant = user if n == 0 else make_user()
        entry = make_awarded_entry(applicant, season, code="production", place=1 if n == 0 else None,
                                   tier="winner" if n == 0 else "laureate",
                                   organisation=make_organisation(user) if n == 0 else None)
        library.publish_entry(db.session, entry=entry, user=None, now=utcnow(), storage_for=backend_named)
    for n in range(22):
        make_library_item(title=f"Практика {n}", region=("66", "69", "25", "77")[n % 4])
    db.session.commit()
    rebuild_index(app, db.session)
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    app.config["LIBRARY_FRAGMENT_CACHE"] = False  # measure the rendering, not a cached fragment
    client.get("/library/?per_page=2")  # warm the caches of the process (index searcher, templates)
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert len(titles(doc(client.get("/library/?per_page=2")))) == 2
        small = len(statements)
        statements.clear()
        assert len(titles(doc(client.get("/library/?per_page=20")))) == 20
        large = len(statements)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    # The page's items, and nothing else: nomination titles come from the vocabulary, region names are read once per
    # process; the same one query for any page size.
    assert small == large == 1


@pytest.mark.parametrize(("n", "form"), [(0, 2), (1, 0), (2, 1), (4, 1), (5, 2), (11, 2), (12, 2), (14, 2), (21, 0),
                                         (22, 1), (25, 2), (101, 0), (111, 2), (112, 2), (1004, 1)])
def test_russian_plural(n, form):
    # the forms' indices: the Russian plural helper picks the same form practices_found uses
    assert russian_plural(n, (0, 1, 2)) == form


@pytest.mark.parametrize(("n", "text"), [(1, "Найдена 1 практика"), (3, "Найдено 3 практики"),
                                         (5, "Найдено 5 практик"), (11, "Найдено 11 практик"),
                                         (21, "Найдена 21 практика"), (0, "Найдено 0 практик")])
def test_practices_found_in_russian(app, n, text):
    with app.test_request_context():
        assert practices_found(n) == text


def test_page_window():
    assert page_window(1, 1) == []
    assert page_window(1, 3) == [1, 2, 3]
    assert page_window(6, 20) == [1, None, 4, 5, 6, 7, 8, None, 20]
    assert page_window(2, 9) == [1, 2, 3, 4, None, 9]


# --- the practice page ---------------------------------------------------------------------------------------------

def test_practice_page_shows_the_public_fields(app, db, client):
    items = build_library(db, app)
    school = items["school"]
    page = doc(client.get(f"/library/{school.id}"))
    assert page.xpath("string(//h1)") == "Школа молодого педагога"
    facts = dict(zip([dt.text_content() for dt in page.xpath('//section[contains(@class, "practice-facts")]//dt')],
                     [" ".join(t.strip() for t in dd.itertext() if t.strip())
                      for dd in page.xpath('//section[contains(@class, "practice-facts")]//dd')]))
    assert facts == {"Номинация": EDUCATION, "Регион": "Тверская область Центральный федеральный округ", "Год": "2023",
                     "Форма наставничества": "Педагог — педагог", "Целевая аудитория": "Педагоги",
                     "Награда": "Лауреат", "Организация": "АО «Уралмаш»"}
    assert page.xpath('//section[@aria-labelledby="section-description"]//p/text()') == [
        "Наставники посещают уроки и разбирают их с молодыми педагогами."]
    assert page.xpath('//ul[contains(@class, "keyword-list")]//a/@href') == [
        "/library/?q=%D0%BC%D0%BE%D0%BB%D0%BE%D0%B4%D0%BE%D0%B9+%D0%BF%D0%B5%D0%B4%D0%B0%D0%B3%D0%BE%D0%B3",
        "/library/?q=%D0%B0%D0%B4%D0%B0%D0%BF%D1%82%D0%B0%D1%86%D0%B8%D1%8F"]
    assert page.xpath('//link[@rel="canonical"]/@href') == [f"http://portal.test/library/{school.id}"]
    assert page.xpath('string(//a[contains(@class, "back-link")]/@href)') == "/library/"


def test_practice_page_hides_an_organisation_not_consented(app, db, client):
    items = build_library(db, app)
    page = doc(client.get(f"/library/{items['college'].id}"))
    assert "Организация" not in [dt.text_content() for dt in page.xpath("//dt")]


def test_practice_page_links_back_to_the_search_it_came_from(app, db, client):
    items = build_library(db, app)
    search = doc(client.get("/library/?q=педагога&year=2023"))
    link = search.xpath('//ol[contains(@class, "results-list")]//h3/a/@href')[0]
    assert urlsplit(link).path == f"/library/{items['school'].id}"
    assert parse_qs(urlsplit(link).query) == {"back": ["/library/?" + urlencode({"q": "педагога", "year": 2023})]}
    page = doc(client.get(link))
    assert page.xpath('string(//a[contains(@class, "back-link")]/@href)').startswith("/library/?q=")
    assert page.xpath('string(//a[contains(@class, "back-link")])') == "← К результатам поиска"
    for hostile in ("https://evil.example/library/", "//evil.example/library/", "/organizer/"):
        page = doc(client.get(f"/library/{items['school'].id}", query_string={"back": hostile}))
        assert page.xpath('string(//a[contains(@class, "back-link")]/@href)') == "/library/"


def test_text_is_escaped_and_keeps_paragraphs(app, db, client):
    item = make_library_item(title="Практика <b>жирная</b>", keywords=("<i>курсив</i>",),
                             description="Первый абзац <script>x()</script>\n\nВторой абзац\nТретья строка")
    db.session.commit()
    rebuild_index(app, db.session)
    response = client.get(f"/library/{item.id}")
    body = response.get_data(as_text=True)
    assert "<script>x()" not in body and "<b>жирная" not in body and "<i>курсив" not in body
    assert "<h1 id=\"practice-h\" class=\"h2 practice-title\">Практика &lt;b&gt;жирная&lt;/b&gt;</h1>" in body
    page = doc(response)
    assert page.xpath('//section[@aria-labelledby="section-description"]//p/text()') == [
        "Первый абзац <script>x()</script>", "Второй абзац", "Третья строка"]


# --- public files --------------------------------------------------------------------------------------------------

def published_with_file(db, *, file_ids=None, title="Практика с презентацией"):
    user = make_user()
    season = make_season(slug=f"s-{user.id}")
    entry = make_awarded_entry(user, season)
    entry.title = title
    item = library.publish_entry(db.session, entry=entry, user=None, now=utcnow(), storage_for=backend_named,
                                 file_ids=file_ids)
    db.session.commit()
    return entry, item


def test_public_file_is_listed_and_downloads(app, db, client):
    entry, item = published_with_file(db)
    file = entry.files[0]
    rebuild_index(app, db.session)
    page = doc(client.get(f"/library/{item.id}"))
    rows = page.xpath('//li[@class="file-row"]')
    assert len(rows) == 1
    assert rows[0].xpath('string(.//a/@href)') == f"/library/{item.id}/files/{file.id}"
    assert rows[0].xpath('string(.//a)') == "Презентация.pdf"
    assert " ".join(rows[0].xpath('string(.//div[contains(@class, "small")])').split()) == f"PDF · {len(PDF_BYTES)} Б"
    with client.get(f"/library/{item.id}/files/{file.id}") as response:
        assert response.status_code == 200
        assert response.data == PDF_BYTES
        assert response.headers["Content-Type"] == "application/pdf"
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert "%D0%9F%D1%80%D0%B5%D0%B7%D0%B5%D0%BD%D1%82%D0%B0%D1%86%D0%B8%D1%8F.pdf" in response.headers["Content-Disposition"]


def test_a_file_not_made_public_is_404_even_if_it_belongs_to_the_entry(app, db, client):
    entry, item = published_with_file(db, file_ids=[])
    assert client.get(f"/library/{item.id}/files/{entry.files[0].id}").status_code == 404
    page = doc(client.get(f"/library/{item.id}"))
    assert page.xpath('//li[@class="file-row"]') == []


def test_a_file_of_another_practice_is_404(app, db, client):
    entry, item = published_with_file(db, title="Первая")
    other_entry, other = published_with_file(db, title="Вторая")
    assert client.get(f"/library/{other.id}/files/{entry.files[0].id}").status_code == 404
    assert client.get(f"/library/{item.id}/files/{other_entry.files[0].id}").status_code == 404
    assert client.get(f"/library/{item.id}/files/999999").status_code == 404


def test_file_of_an_unpublished_practice_is_404(app, db, client):
    entry, item = published_with_file(db)
    library.unpublish_item(db.session, item=item, user=None, now=utcnow(), reason="Просьба заявителя")
    db.session.commit()
    assert client.get(f"/library/{item.id}/files/{entry.files[0].id}").status_code == 404
    assert client.get(f"/library/{item.id}").status_code == 404
