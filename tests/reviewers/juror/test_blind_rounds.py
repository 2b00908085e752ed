"""Blind rounds: whatever a juror fetches — dashboard, assignment page, API list and detail, file downloads —
nothing names the applicant (organisation, INN, authors and their e-mails, the creator, the video link, and the region
when the round hides it). In an open round the same page does show them."""
from __future__ import annotations

import html
import json
from urllib.parse import unquote

import pytest

from portal.models import utcnow
from portal.services.accounts import create_api_token
from reviewers.services.discussion import post_message
from reviewers.services.reviewing import save_review, submit_review
from tests.reviewers.juror.judging_data import (AUTHORS, CREATOR_NAME, FILE_NAME, IDENTITY, ORG_INN, ORG_NAME,
                                                REGION_NAME, VIDEO_URL, full_scores, make_judging)


def everything_a_juror_sees(client, db, judging) -> dict[str, str]:
    """Every juror page and API response for the first juror's assignment, as text a person or program would read:
    HTML unescaped, JSON with its Unicode decoded, header values percent-decoded."""
    juror, assignment, file = judging.jurors[0], judging.assignments[0], judging.entry.files[0]
    _row, secret = create_api_token(db.session, user=juror, name="test", now=utcnow())
    db.session.commit()
    auth = {"Authorization": f"Bearer {secret}"}
    seen = {}
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = juror.get_id(), True
    for name, url in (("dashboard", "/jury/"), ("page", f"/jury/assignments/{assignment.id}")):
        response = client.get(url)
        assert response.status_code == 200, name
        seen[name] = html.unescape(response.get_data(as_text=True))
    for name, url in (("api list", "/api/v1/assignments"), ("api detail", f"/api/v1/assignments/{assignment.id}")):
        response = client.get(url, headers=auth)
        assert response.status_code == 200, name
        seen[name] = json.dumps(response.get_json(), ensure_ascii=False)
    for name, url, headers in (
            ("download", f"/jury/assignments/{assignment.id}/files/{file.id}", {}),
            ("api download", f"/api/v1/assignments/{assignment.id}/files/{file.id}", auth)):
        response = client.get(url, headers=headers)
        assert response.status_code == 200, name
        seen[name] = unquote("\n".join(f"{k}: {v}" for k, v in response.headers.items()))
        response.close()
    return seen


def reviewed_and_discussed(db, judging):
    """Both jurors submit (so other reviews are shown too) and the organizers open a discussion."""
    for juror, assignment in zip(judging.jurors, judging.assignments):
        save_review(db.session, assignment=assignment, user=juror, scores=full_scores(judging),
                    comment_applicant="Хорошая практика.", comment_private="", now=judging.now)
        submit_review(db.session, assignment=assignment, user=juror, now=judging.now)
    post_message(db.session, round=judging.round, entry=judging.entry, author=judging.organizer,
                 body="Прошу обсудить результаты.", now=judging.now)


@pytest.mark.parametrize("hide_region", [False, True])
def test_a_blind_round_shows_nothing_of_the_applicant(client, db, hide_region):
    judging = make_judging(jurors=2, blind=True, hide_region=hide_region, reveal_reviews="always")
    reviewed_and_discussed(db, judging)
    seen = everything_a_juror_sees(client, db, judging)
    leaks = [(name, secret) for name, text in seen.items() for secret in IDENTITY if secret in text]
    assert leaks == []
    if hide_region:
        assert [name for name, text in seen.items() if REGION_NAME in text or "Тверск" in text] == []
    else:
        assert REGION_NAME in seen["page"] and REGION_NAME in seen["api detail"]
    # What the juror does see: the practice itself, under a neutral file name.
    assert "Школа молодого наставника" in seen["page"] and "Отток молодых педагогов снизился" in seen["page"]
    assert "Материал 1 (презентация).pdf" in seen["download"] and "Материал 1 (презентация).pdf" in seen["page"]
    assert "Прошу обсудить результаты." in seen["page"]


def test_an_open_round_shows_the_applicant_on_the_page(client, db):
    judging = make_judging(jurors=1, blind=False)
    seen = everything_a_juror_sees(client, db, judging)
    page = seen["page"]
    for shown in (ORG_NAME, ORG_INN, CREATOR_NAME, REGION_NAME, VIDEO_URL, FILE_NAME,
                  *(a["full_name"] for a in AUTHORS), *(a["email"] for a in AUTHORS)):
        assert shown in page, shown
    detail = json.loads(seen["api detail"])["entry"]
    assert detail["applicant"] == {"kind": "organisation", "name": ORG_NAME, "short_name": ORG_NAME[:40],
                                   "inn": ORG_INN, "submitted_by": CREATOR_NAME}
    assert detail["authors"] == AUTHORS
    assert (detail["video_url"], detail["region"]) == (VIDEO_URL, {"code": "69", "name": REGION_NAME})
    assert FILE_NAME in seen["download"]
