"""The app factory, health check, home page and security headers."""
from __future__ import annotations

from portal.extensions import db as _db
from portal.services.search_sync import index_for, rebuild_index, stale_marker
from tests.factories import make_season


def test_healthz_reports_every_check(app, client):
    rebuild_index(app, _db.session)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {"db": "ok", "storage": "ok", "search": "ok"}}


def test_healthz_reports_a_missing_index_and_rebuilds_it(app, client):
    assert not index_for(app).exists()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "fail", "checks": {"db": "ok", "storage": "ok", "search": "fail"}}
    assert index_for(app).exists()
    assert client.get("/healthz").status_code == 200


def test_healthz_reports_an_index_behind_the_database(app, client):
    rebuild_index(app, _db.session)
    stale_marker(app).touch()
    assert client.get("/healthz").get_json()["checks"]["search"] == "fail"
    assert not stale_marker(app).exists()
    assert client.get("/healthz").get_json()["checks"]["search"] == "ok"


def test_healthz_is_503_when_storage_fails(app, client, tmp_path):
    rebuild_index(app, _db.session)
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    app.extensions["storage"].root = str(blocker / "files")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "fail", "checks": {"db": "ok", "storage": "fail", "search": "ok"}}


def test_home_shows_open_season_with_deadline_in_moscow_time(client, db):
    season = make_season()
    db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert season.title_ru in html
    assert "МСК" in html
    assert "Номинация production" in html


def test_pages_carry_a_strict_content_security_policy(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp
    assert "default-src 'self'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"


def test_no_third_party_assets_in_pages(client, db):
    make_season()
    db.session.commit()
    html = client.get("/").get_data(as_text=True)
    for marker in ("cdn.", "googleapis", "jsdelivr", "unpkg", "yandex.ru/metrika", "gstatic"):
        assert marker not in html


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Страница не найдена" in response.get_data(as_text=True)


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
