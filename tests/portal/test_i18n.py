"""Which language a request gets (portal/i18n.py): pages stay Russian unless chosen; the API follows Accept-Language."""
from __future__ import annotations

from tests.factories import make_season

ENGLISH = "Authentication required: a browser session or an Authorization: Bearer <token> header."
RUSSIAN = "Требуется вход: сессия браузера или заголовок Authorization: Bearer <токен>."


def test_pages_ignore_accept_language_and_the_api_follows_it(client, db):
    make_season()
    db.session.commit()
    page = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="ru">' in page.get_data(as_text=True)
    english = client.get("/api/v1/entries", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_json()
    russian = client.get("/api/v1/entries").get_json()
    assert english == {"error": {"code": "unauthorized", "message": ENGLISH}}
    assert russian == {"error": {"code": "unauthorized", "message": RUSSIAN}}


def test_a_chosen_language_wins_over_accept_language_in_the_api(client, db):
    with client.session_transaction() as session:
        session["locale"] = "ru"
    body = client.get("/api/v1/entries", headers={"Accept-Language": "en"}).get_json()
    assert body["error"]["message"] == RUSSIAN
