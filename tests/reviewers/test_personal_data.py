"""Tests of `reviewers/personal_data.py`: a juror's part of the personal-data export, and what anonymisation erases
and keeps of the jury's records."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.services import personal_data as pd
from reviewers.models import Affiliation, DiscussionMessage, Invitation, JurorProfile, Review
from reviewers.personal_data import erase_juror_data, export_juror_data
from reviewers.services.reviewing import save_review, submit_review
from tests.factories import PASSWORD
from tests.helpers import form_csrf
from tests.reviewers.juror.judging_data import full_scores, make_judging

JURY_KEYS = ["profile", "affiliations", "invitations", "assignments", "discussion_messages"]


@pytest.fixture
def judging(db):
    """Two jurors of one entry; the first has a profile, an affiliation, an invitation, a submitted review and a
    discussion message; the second a draft review."""
    judging = make_judging()
    now = judging.now
    first, second = judging.jurors
    db.session.add_all([
        JurorProfile(user_id=first.id, position="доцент", workplace="ТвГУ", confidentiality_accepted_at=now,
                     confidentiality_version="2026-1"),
        Affiliation(juror_id=first.id, kind="region", region_code="69", note="живу в Твери"),
        Invitation(email=first.email, full_name=first.full_name, token_hash="a" * 64, invited_by_id=judging.organizer.id,
                   created_at=now, expires_at=now + timedelta(days=7), accepted_at=now, user_id=first.id),
        Invitation(email=first.email, full_name=first.full_name, token_hash="b" * 64, invited_by_id=judging.organizer.id,
                   created_at=now, expires_at=now + timedelta(days=7)),
        DiscussionMessage(round_id=judging.round.id, entry_id=judging.entry.id, author_id=first.id,
                          body="Предлагаю обсудить результаты", created_at=now),
        DiscussionMessage(round_id=judging.round.id, entry_id=judging.entry.id, author_id=second.id,
                          body="Чужое мнение", created_at=now),
    ])
    one, two = judging.assignments
    save_review(db.session, assignment=one, user=first, scores=full_scores(judging), comment_applicant="Сильная работа",
                comment_private="Для жюри", now=now)
    submit_review(db.session, assignment=one, user=first, now=now)
    save_review(db.session, assignment=two, user=second, scores={}, comment_applicant="Черновик второго",
                comment_private="", now=now)
    db.session.flush()
    return judging


def test_export_holds_the_jurors_own_work_only(db, judging):
    first = judging.jurors[0]
    data = export_juror_data(db.session, user=first)
    assert list(data) == ["jury"] and list(data["jury"]) == JURY_KEYS
    jury = data["jury"]
    assert jury["profile"] == {"position": "доцент", "workplace": "ТвГУ",
                               "confidentiality_accepted_at": judging.now.isoformat(),
                               "confidentiality_version": "2026-1"}
    assert jury["affiliations"] == [{"kind": "region", "inn": None, "region_code": "69", "note": "живу в Твери"}]
    assert [i["accepted_at"] is not None for i in jury["invitations"]] == [True, False]
    [assignment] = jury["assignments"]
    assert assignment["entry_id"] == judging.entry.id and assignment["status"] == "submitted"
    assert assignment["review"]["comment_applicant"] == "Сильная работа"
    assert assignment["review"]["comment_private"] == "Для жюри"
    assert len(assignment["review"]["scores"]) == len(judging.criteria)
    assert [m["body"] for m in jury["discussion_messages"]] == ["Предлагаю обсудить результаты"]
    text = pd.dumps(data)
    assert "Черновик второго" not in text and "Чужое мнение" not in text and judging.jurors[1].email not in text


def test_a_non_juror_gets_an_empty_part(db, judging):
    data = export_juror_data(db.session, user=judging.organizer)
    assert data == {"jury": {"profile": None, "affiliations": [], "invitations": [], "assignments": [],
                             "discussion_messages": []}}


def test_erase_clears_the_person_and_keeps_the_reviews(db, judging):
    first, second = judging.jurors
    pd.anonymise_user(db.session, user=first, password=PASSWORD, now=judging.now + timedelta(hours=1),
                      erasers=[erase_juror_data])
    profile = db.session.get(JurorProfile, first.id)
    assert (profile.position, profile.workplace, profile.confidentiality_version) == ("", "", "2026-1")
    assert [(a.region_code, a.note) for a in db.session.scalars(select(Affiliation))] == [("69", "")]
    invitations = db.session.scalars(select(Invitation).order_by(Invitation.id)).all()
    assert [(i.email, i.full_name) for i in invitations] == [("", ""), ("", "")]
    assert invitations[1].expires_at == judging.now + timedelta(hours=1)
    review = db.session.scalars(select(Review).where(Review.assignment_id == judging.assignments[0].id)).one()
    assert review.comment_applicant == "Сильная работа" and review.weighted_score is not None
    assert db.session.scalar(select(func.count()).select_from(DiscussionMessage)) == 2
    assert second.full_name == "Мария Андреевна Оценщикова" and second.is_active_flag is True


def test_erase_without_jury_data_does_nothing(db, judging):
    erase_juror_data(db.session, user=judging.organizer, now=judging.now)
    assert db.session.get(JurorProfile, judging.organizer.id) is None


def register_hooks(app) -> None:
    """What `reviewers/blueprints.py` does (idempotent here, so the test holds before and after that line lands)."""
    for key, hook in ((pd.CONTRIBUTORS_KEY, export_juror_data), (pd.ERASERS_KEY, erase_juror_data)):
        hooks = app.extensions.setdefault(key, [])
        if hook not in hooks:
            hooks.append(hook)


def test_the_pages_use_the_registered_hooks(app, db, client, login_as, judging):
    register_hooks(app)
    first = login_as(judging.jurors[0])
    db.session.commit()
    data = client.get("/auth/personal-data/export").get_json()
    assert data["jury"]["assignments"][0]["review"]["comment_applicant"] == "Сильная работа"
    page = client.get("/auth/personal-data").get_data(as_text=True)
    response = client.post("/auth/personal-data/delete", data={"csrf_token": form_csrf(page), "password": PASSWORD,
                                                               "understood": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(JurorProfile, first.id).workplace == ""
