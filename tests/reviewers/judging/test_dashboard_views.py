"""The season's progress dashboard page: staff only, inline SVG charts with tables of the same numbers."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from sqlalchemy import select

import reviewers.judging.dashboard  # noqa: F401  (registers the route until reviewers/judging/__init__.py does)
from reviewers.models import Assignment
from reviewers.services.assignment import apply_assignment
from tests.factories import make_user
from tests.reviewers.judging.world import make_world, review

EVIL = '<script>alert("x")</script>'


@pytest.fixture
def site(db):
    """Round 1 with three production entries, two jurors each, one review submitted and one assignment overdue;
    the first juror's name carries markup."""
    world = make_world(entries={"production": 3}, jurors=3, k=2)
    world.jurors[0].full_name = EVIL
    apply_assignment(db.session, round=world.round, actor=world.organizer, now=world.now)
    items = db.session.scalars(select(Assignment).order_by(Assignment.id)).all()
    review(world, items[0], 8)
    items[1].due_at = world.now - timedelta(days=1)
    db.session.commit()
    return world


def url(world) -> str:
    return f"/organizer/judging/seasons/{world.season.slug}/dashboard"


def test_anonymous_is_sent_to_login(client, site):
    response = client.get(url(site))
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["applicant", "juror"])
def test_applicants_and_jurors_are_refused(client, db, site, login_as, role):
    login_as(site.jurors[1] if role == "juror" else make_user(email="someone@example.ru"))
    db.session.commit()
    response = client.get(url(site))
    assert response.status_code == 403
    assert "Экспертный раунд" not in response.get_data(as_text=True)


def test_unknown_season_is_404(client, site, login_as):
    login_as(site.organizer)
    assert client.get("/organizer/judging/seasons/no-such/dashboard").status_code == 404


def test_staff_see_charts_and_tables(client, site, login_as):
    login_as(site.organizer)
    response = client.get(url(site))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    svgs = re.findall(r"<svg .*?</svg>", html, flags=re.S)
    assert len(svgs) == 5
    for svg in svgs:
        ET.fromstring(svg)  # well-formed XML
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    row = re.search(r'<table[^>]*id="round-table".*?<tbody>(.*?)</tbody>', html, flags=re.S).group(1)
    cells = re.findall(r'<td class="text-end[^"]*">(\d+)</td>', row)
    assert cells == ["6", "1", "0", "1"]  # assigned, submitted, recused, overdue
    daily = re.search(r'id="daily-table".*?<tbody>(.*?)</tbody>', html, flags=re.S).group(1)
    totals = re.findall(r'<td class="text-end">(\d+)</td><td class="text-end">(\d+)</td>', daily)
    assert sum(int(n) for n, _total in totals) == 3 and totals[-1][1] == "3"
    assert "Эксперты текущего раунда" in html
