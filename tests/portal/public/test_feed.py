"""The Atom feed of new practices: valid Atom 1.0, absolute links, newest first, nothing unpublished."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from xml.etree import ElementTree

from tests.factories import make_library_item

ATOM = "{http://www.w3.org/2005/Atom}"
BASE = datetime(2025, 3, 1, 9, 30, tzinfo=timezone.utc)


def feed(client) -> ElementTree.Element:
    response = client.get("/library/feed.atom")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert response.data.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"')
    return ElementTree.fromstring(response.data)


def text(element, tag: str) -> str:
    return element.findtext(ATOM + tag)


def links(element) -> dict[str, str]:
    return {link.get("rel"): link.get("href") for link in element.findall(ATOM + "link")}


def test_feed_is_atom_with_absolute_links(app, db, client):
    item = make_library_item(title="Наставники для студентов колледжа", summary="Старшекурсники помогают первокурсникам.",
                             nomination="education", now=BASE)
    db.session.commit()
    root = feed(client)
    assert root.tag == ATOM + "feed"
    assert text(root, "id") == "http://portal.test/library/feed.atom"
    assert text(root, "title") == "Библиотека практик наставничества: новые практики"
    assert text(root, "updated") == "2025-03-01T09:30:00Z"
    assert links(root) == {"self": "http://portal.test/library/feed.atom", "alternate": "http://portal.test/library/"}
    assert root.find(ATOM + "author").findtext(ATOM + "name") == "Оргкомитет Всероссийского конкурса «Наставничество»"
    [entry] = root.findall(ATOM + "entry")
    assert text(entry, "id") == f"http://portal.test/library/{item.id}"
    assert text(entry, "title") == "Наставники для студентов колледжа"
    assert text(entry, "published") == "2025-03-01T09:30:00Z"
    assert text(entry, "updated") == "2025-03-01T09:30:00Z"
    assert text(entry, "summary") == "Старшекурсники помогают первокурсникам."
    assert links(entry) == {"alternate": f"http://portal.test/library/{item.id}"}
    category = entry.find(ATOM + "category")
    assert (category.get("term"), category.get("label")) == (
        "education", "Наставничество в сфере образования, воспитания и молодёжной политики")


def test_feed_has_the_50_newest_published_practices_newest_first(app, db, client):
    items = [make_library_item(title=f"Практика {n}", now=BASE + timedelta(days=n)) for n in range(52)]
    hidden = make_library_item(title="Снятая практика", now=BASE + timedelta(days=100), published=False)
    db.session.commit()
    root = feed(client)
    ids = [text(e, "id") for e in root.findall(ATOM + "entry")]
    assert ids == [f"http://portal.test/library/{item.id}" for item in reversed(items[2:])]
    assert text(root, "updated") == (BASE + timedelta(days=51)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f"/library/{hidden.id}" not in client.get("/library/feed.atom").get_data(as_text=True)
    assert "Снятая практика" not in client.get("/library/feed.atom").get_data(as_text=True)


def test_feed_escapes_markup_in_titles_and_summaries(app, db, client):
    make_library_item(title="Практика «A & B» <script>", summary="Текст </summary><evil/> & ещё")
    db.session.commit()
    body = client.get("/library/feed.atom").get_data(as_text=True)
    assert "<script>" not in body and "<evil/>" not in body
    [entry] = feed(client).findall(ATOM + "entry")
    assert text(entry, "title") == "Практика «A & B» <script>"
    assert text(entry, "summary") == "Текст </summary><evil/> & ещё"


def test_empty_feed_is_still_valid(app, db, client):
    root = feed(client)
    assert root.findall(ATOM + "entry") == []
    assert text(root, "id") == "http://portal.test/library/feed.atom"
    assert datetime.strptime(text(root, "updated"), "%Y-%m-%dT%H:%M:%SZ")
