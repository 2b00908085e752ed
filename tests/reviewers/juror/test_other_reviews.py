"""The other jurors' reviews of the same entry (reviewers/services/juror_views.py `other_reviews`), as the round's
`reveal_reviews` switch says: never, after the juror submitted their own, or always; anonymised, and never with the
private comments."""
from __future__ import annotations

import html
import json

import pytest

from portal.models import utcnow
from portal.services.accounts import create_api_token
from reviewers.services.juror_views import other_reviews
from reviewers.services.reviewing import save_review, submit_review
from tests.reviewers.juror.judging_data import full_scores, make_judging

PRIVATE = ["Секрет для оргкомитета от эксперта 2", "Секрет для оргкомитета от эксперта 3"]
PUBLIC = ["Результаты убедительны, описание подробное.", "Не хватает данных о динамике."]


def submit(db, judging, n, values, comment, private):
    save_review(db.session, assignment=judging.assignments[n], user=judging.jurors[n],
                scores=full_scores(judging, values), comment_applicant=comment, comment_private=private,
                now=judging.now)
    submit_review(db.session, assignment=judging.assignments[n], user=judging.jurors[n], now=judging.now)


@pytest.fixture
def panel(db, request):
    """Three jurors on one entry; the second and the third have submitted."""
    judging = make_judging(jurors=3, reveal_reviews=request.param)
    submit(db, judging, 1, (10, 10, 10, 10, 10), PUBLIC[0], PRIVATE[0])
    submit(db, judging, 2, (1, 1, 1, 1, 1), PUBLIC[1], PRIVATE[1])
    db.session.commit()
    return judging


def seen_by_first(client, db, judging) -> tuple[str, dict]:
    juror, assignment = judging.jurors[0], judging.assignments[0]
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = juror.get_id(), True
    page = html.unescape(client.get(f"/jury/assignments/{assignment.id}").get_data(as_text=True))
    _row, secret = create_api_token(db.session, user=juror, name="t", now=utcnow())
    db.session.commit()
    detail = client.get(f"/api/v1/assignments/{assignment.id}", headers={"Authorization": f"Bearer {secret}"})
    return page, detail.get_json()


def expected(judging) -> list[dict]:
    return [{"reviewer": 1, "scores": full_scores(judging, (10.0,) * 5), "comment_applicant": PUBLIC[0],
             "weighted_score": 100.0, "submitted_at": judging.now.isoformat()},
            {"reviewer": 2, "scores": full_scores(judging, (1.0,) * 5), "comment_applicant": PUBLIC[1],
             "weighted_score": 0.0, "submitted_at": judging.now.isoformat()}]


def assert_no_private_and_no_names(page, detail, judging):
    text = page + json.dumps(detail, ensure_ascii=False)
    for secret in PRIVATE + [j.full_name for j in judging.jurors[1:]]:
        assert secret not in text


@pytest.mark.parametrize("panel", ["never"], indirect=True)
def test_never(client, db, panel):
    page, detail = seen_by_first(client, db, panel)
    assert detail["other_reviews"] == [] and "Оценки других экспертов" not in page
    submit(db, panel, 0, (5, 5, 5, 5, 5), "Средне.", "")
    db.session.commit()
    page, detail = seen_by_first(client, db, panel)
    assert detail["other_reviews"] == [] and "Оценки других экспертов" not in page
    assert all(p not in page for p in PUBLIC)
    assert_no_private_and_no_names(page, detail, panel)


@pytest.mark.parametrize("panel", ["after_submit"], indirect=True)
def test_after_submit(client, db, panel):
    page, detail = seen_by_first(client, db, panel)
    assert detail["other_reviews"] == []
    assert "откроются после того, как вы отправите свою" in page
    assert all(p not in page for p in PUBLIC)
    submit(db, panel, 0, (5, 5, 5, 5, 5), "Средне.", "Мой личный комментарий")
    db.session.commit()
    page, detail = seen_by_first(client, db, panel)
    assert detail["other_reviews"] == expected(panel)
    assert "Эксперт 1" in page and "Эксперт 2" in page and PUBLIC[0] in page and PUBLIC[1] in page
    assert "Мой личный комментарий" in page  # the juror's own private comment is theirs to see
    assert_no_private_and_no_names(page, detail, panel)


@pytest.mark.parametrize("panel", ["always"], indirect=True)
def test_always(client, db, panel):
    page, detail = seen_by_first(client, db, panel)
    assert detail["other_reviews"] == expected(panel)
    assert "Эксперт 1" in page and "Эксперт 2" in page and PUBLIC[0] in page and PUBLIC[1] in page
    assert_no_private_and_no_names(page, detail, panel)


@pytest.mark.parametrize("panel", ["always"], indirect=True)
def test_drafts_are_not_shown(db, panel):
    save_review(db.session, assignment=panel.assignments[0], user=panel.jurors[0], scores=full_scores(panel),
                comment_applicant="Черновик первого", comment_private="", now=panel.now)
    db.session.flush()
    # The second juror sees the third's review only: the first's is still a draft.
    assert [r["comment_applicant"] for r in other_reviews(db.session, assignment=panel.assignments[1])] == [PUBLIC[1]]
