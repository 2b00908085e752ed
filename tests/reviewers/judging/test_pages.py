"""The organizer's judging pages through the test client: staff only, every change one service call, the services'
refusals shown, and what the organizer needs (the juror's private comment) on the drill-down."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal.models import Entry, EntryStatus, OutboxMessage
from portal.services.entry_states import transition
from reviewers.models import Affiliation, Assignment, Decision, DiscussionMessage, Invitation, PoolMember
from reviewers.services.assignment import apply_assignment
from reviewers.services.pools import add_affiliation
from tests.helpers import count_queries, outbox_messages
from tests.factories import make_entry, make_user
from tests.reviewers.judging.world import make_world, review

PRIVATE = "Подозреваю заимствование из практики прошлого года — проверьте."


@pytest.fixture
def site(db):
    """Round 1 with four production entries (the first from an organisation) and one in education, three jurors in
    both pools, the assignment applied, one review submitted with a private comment, one draft started."""
    world = make_world(entries={"production": 4, "education": 1}, jurors=3, k=2, organisations=1,
                       pool=("production", "education"))
    apply_assignment(db.session, round=world.round, actor=world.organizer, now=world.now)
    first_entry = world.entries["production"][0]
    submitted, started = db.session.scalars(select(Assignment).where(Assignment.entry_id == first_entry.id)
                                            .order_by(Assignment.id)).all()
    review(world, submitted, 9, private=PRIVATE, comment="Сильная, хорошо измеренная практика.")
    review(world, started, 5, submit=False)
    affiliation = add_affiliation(db.session, juror=world.jurors[2], kind="organisation", value="7707083893", note="",
                                  actor=world.organizer, now=world.now)
    db.session.commit()
    world.submitted, world.started, world.affiliation = submitted, started, affiliation
    return world


def base(world) -> str:
    return f"/organizer/judging/{world.season.slug}"


def round_url(world, tail: str = "") -> str:
    return f"{base(world)}/rounds/1{tail}"


def pages(world) -> list[str]:
    entry = world.entries["production"][0].id
    return [f"{base(world)}/", round_url(world, "/pools"), round_url(world, "/assign"), round_url(world, "/assignments"),
            round_url(world, "/progress"), round_url(world, "/rankings"), round_url(world, "/rankings.csv"),
            round_url(world, "/rankings.xlsx"), round_url(world, f"/rankings/{entry}")]


def actions(world) -> list[str]:
    entry = world.entries["production"][0].id
    member = world.member_id
    juror = world.jurors[2].id
    return [round_url(world, "/pools/add"), round_url(world, f"/pools/{member}/remove"),
            round_url(world, f"/jurors/{juror}/affiliations"),
            round_url(world, f"/jurors/{juror}/affiliations/{world.affiliation.id}/remove"),
            round_url(world, "/invite"), round_url(world, "/assign"), round_url(world, "/assignments/add"),
            round_url(world, f"/assignments/{world.started.id}/remove"),
            round_url(world, f"/assignments/{world.started.id}/move"), round_url(world, "/progress/remind"),
            round_url(world, "/rankings/advance"), round_url(world, f"/rankings/{entry}/extra-juror"),
            round_url(world, f"/rankings/{entry}/discussion"), round_url(world, f"/rankings/{entry}/decision"),
            round_url(world, f"/rankings/{entry}/chair")]


def snapshot(db) -> tuple:
    db.session.expire_all()
    counts = tuple(db.session.scalar(select(func.count()).select_from(model)) for model in
                   (Assignment, PoolMember, Affiliation, Decision, DiscussionMessage, Invitation, OutboxMessage))
    return counts + (tuple(db.session.scalars(select(Entry.status).order_by(Entry.id))),)


@pytest.fixture
def everything(db, site):
    site.member_id = db.session.scalar(select(PoolMember.id).where(PoolMember.juror_id == site.jurors[2].id)
                                       .order_by(PoolMember.id))
    return site


def payload(world, csrf) -> dict:
    """A form that would pass validation on every action, so only the access check can stop it."""
    return {"csrf_token": csrf, "nomination": world.entries["production"][0].nomination_id, "juror": world.jurors[0].id,
            "cap": 5, "kind": "hold", "inn": "7736207543", "region": "", "note": "", "email": "new@example.ru",
            "full_name": "Новый Эксперт", "entry": world.entries["production"][1].id,
            "reason": "Причина решения оргкомитета", "position": 1, "body": "Обсудите расхождение", "confirm": "y"}


@pytest.mark.parametrize("role", ["applicant", "juror"])
def test_non_staff_get_403_on_every_page_and_action(client, db, everything, login_as, csrf, role):
    world = everything
    user = world.jurors[0] if role == "juror" else world.entries["production"][0].created_by
    login_as(user)
    for url in pages(world):
        assert client.get(url).status_code == 403, url
    before = snapshot(db)
    for url in actions(world):
        assert client.post(url, data=payload(world, csrf)).status_code == 403, url
    assert snapshot(db) == before


def test_anonymous_is_sent_to_login(client, db, everything, csrf):
    world = everything
    before = snapshot(db)
    for url in pages(world):
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"], url
    for url in actions(world):
        response = client.post(url, data=payload(world, csrf))
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"], url
    assert snapshot(db) == before


def test_staff_open_every_page(client, db, everything, login_as):
    login_as(everything.organizer)
    for url in pages(everything):
        response = client.get(url)
        assert response.status_code == 200, url


@pytest.mark.parametrize("tail", ["/", "/rounds/2/pools", "/rounds/2/rankings"])
def test_unknown_season_or_round_is_404(client, db, site, login_as, tail):
    login_as(site.organizer)
    assert client.get(f"/organizer/judging/nope{tail}").status_code == 404
    if tail != "/":
        assert client.get(f"{base(site)}{tail}").status_code == 404


def test_rounds_page_shows_window_settings_and_progress(client, db, site, login_as):
    login_as(site.organizer)
    html = client.get(f"{base(site)}/").get_data(as_text=True)
    assert "Экспертный раунд" in html
    assert "МСК" in html
    assert "назначено 10 · отправлено 1 · самоотводов 0" in html
    assert "лучшие 10 в номинации" in html


def test_pools_page_shows_members_loads_affiliations_and_conflicts(client, db, site, login_as):
    login_as(site.organizer)
    html = client.get(round_url(site, "/pools")).get_data(as_text=True)
    assert "juror3@example.ru" in html
    assert "ИНН 7707083893" in html
    # Juror 3 declared the INN of the organisation behind the first production entry: one conflict there.
    assert re.search(r'title="Заявки номинации, где заявитель совпадает со связью эксперта">1</span>', html)


def test_adding_to_a_pool_and_the_refusal_to_remove_a_busy_juror(client, db, site, login_as, csrf):
    login_as(site.organizer)
    newcomer = site.jurors[0]
    education = site.entries["education"][0].nomination_id
    response = client.post(round_url(site, "/pools/add"),
                           data={"csrf_token": csrf, "nomination": education, "juror": newcomer.id, "cap": 7},
                           follow_redirects=True)
    assert "Эксперт добавлен в пул номинации" in response.get_data(as_text=True)
    member = db.session.scalar(select(PoolMember).where(PoolMember.juror_id == newcomer.id,
                                                        PoolMember.nomination_id == education))
    assert member.cap == 7
    busy = db.session.scalar(select(PoolMember).where(PoolMember.juror_id == site.submitted.juror_id,
                                                      PoolMember.nomination_id == site.entries["production"][0]
                                                      .nomination_id))
    response = client.post(round_url(site, f"/pools/{busy.id}/remove"), data={"csrf_token": csrf},
                           follow_redirects=True)
    assert "У эксперта есть назначения в этой номинации: сначала перераспределите их." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(PoolMember, busy.id) is not None


def test_affiliations_are_added_and_removed(client, db, site, login_as, csrf):
    login_as(site.organizer)
    juror = site.jurors[1]
    client.post(round_url(site, f"/jurors/{juror.id}/affiliations"),
                data={"csrf_token": csrf, "kind": "region", "inn": "", "region": "25", "note": "место работы"})
    response = client.post(round_url(site, f"/jurors/{juror.id}/affiliations"),
                           data={"csrf_token": csrf, "kind": "organisation", "inn": "7707083894", "region": "",
                                 "note": ""}, follow_redirects=True)
    assert "Неверная контрольная сумма ИНН" in response.get_data(as_text=True)
    rows = db.session.execute(select(Affiliation.kind, Affiliation.region_code, Affiliation.inn)
                              .where(Affiliation.juror_id == juror.id)).all()
    assert rows == [("region", "25", None)]
    affiliation_id = db.session.scalar(select(Affiliation.id).where(Affiliation.juror_id == juror.id))
    # Another juror's affiliation cannot be removed through this juror's URL.
    client.post(round_url(site, f"/jurors/{juror.id}/affiliations/{site.affiliation.id}/remove"),
                data={"csrf_token": csrf})
    client.post(round_url(site, f"/jurors/{juror.id}/affiliations/{affiliation_id}/remove"), data={"csrf_token": csrf})
    db.session.expire_all()
    assert db.session.scalars(select(Affiliation.id).order_by(Affiliation.id)).all() == [site.affiliation.id]


def test_inviting_a_juror_mails_a_link(app, client, db, site, login_as, csrf):
    login_as(site.organizer)
    response = client.post(round_url(site, "/invite"),
                           data={"csrf_token": csrf, "full_name": "Мария Ивановна Петрова", "email": "Petrova@Example.ru"},
                           follow_redirects=True)
    assert "Приглашение отправлено на petrova@example.ru." in response.get_data(as_text=True)
    mail = [m for m in outbox_messages(app) if m["To"] == "petrova@example.ru"]
    assert len(mail) == 1
    assert re.search(r"https?://\S+/jury/invite/[\w-]{20,}", mail[0].get_content())


def test_assign_preview_then_apply_fills_the_gap(client, db, site, login_as, csrf):
    login_as(site.organizer)
    extra = site.entries["production"][3]
    dropped = db.session.scalar(select(Assignment).where(Assignment.entry_id == extra.id).order_by(Assignment.id))
    db.session.delete(dropped)
    db.session.commit()
    html = client.get(round_url(site, "/assign")).get_data(as_text=True)
    assert re.search(r'data-metric="2">1<', html)  # one new assignment
    assert re.search(r'data-metric="3">9<', html)  # nine kept
    assert "Разброс нагрузки по пулам" in html
    response = client.post(round_url(site, "/assign"), data={"csrf_token": csrf})
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Assignment).where(Assignment.entry_id == extra.id)) == 2


def test_apply_with_problems_writes_nothing_and_says_why(client, db, site, login_as, csrf):
    site.round.reviewers_per_entry = 4  # three jurors cannot give four reviews
    db.session.commit()
    before = snapshot(db)
    login_as(site.organizer)
    response = client.post(round_url(site, "/assign"), data={"csrf_token": csrf})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Распределение не применено: ничего не записано." in html
    assert f"Для заявки № {site.entries['production'][1].id}" in html
    assert snapshot(db) == before


def test_assignments_page_and_the_services_refusals(client, db, site, login_as, csrf):
    login_as(site.organizer)
    html = client.get(round_url(site, "/assignments")).get_data(as_text=True)
    assert "оценка отправлена" in html and "в работе" in html
    response = client.post(round_url(site, f"/assignments/{site.submitted.id}/remove"), data={"csrf_token": csrf},
                           follow_redirects=True)
    assert "По этому назначению уже отправлена оценка: удалить его нельзя." in response.get_data(as_text=True)
    response = client.post(round_url(site, f"/assignments/{site.started.id}/remove"), data={"csrf_token": csrf},
                           follow_redirects=True)
    assert "Эксперт уже начал оценку (черновик сохранён)." in response.get_data(as_text=True)
    conflicted = site.jurors[2]  # declared the INN of the first production entry's organisation
    entry = site.entries["production"][0]
    response = client.post(round_url(site, "/assignments/add"),
                           data={"csrf_token": csrf, "entry": entry.id, "juror": conflicted.id}, follow_redirects=True)
    assert "Конфликт интересов: эксперт связан с организацией-заявителем." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Assignment, site.submitted.id) is not None
    assert db.session.get(Assignment, site.started.id) is not None
    assert db.session.scalar(select(func.count()).select_from(Assignment).where(
        Assignment.entry_id == entry.id, Assignment.juror_id == conflicted.id)) == 0


def test_moving_an_untouched_assignment(client, db, site, login_as, csrf):
    login_as(site.organizer)
    entry = site.entries["production"][1]
    mine = db.session.scalars(select(Assignment).where(Assignment.entry_id == entry.id)).all()
    free = next(j for j in site.jurors if j.id not in {a.juror_id for a in mine})
    response = client.post(round_url(site, f"/assignments/{mine[0].id}/move"),
                           data={"csrf_token": csrf, "juror": free.id}, follow_redirects=True)
    assert "Заявка передана другому эксперту." in response.get_data(as_text=True)
    db.session.expire_all()
    assert sorted(db.session.scalars(select(Assignment.juror_id).where(Assignment.entry_id == entry.id))) == sorted(
        [mine[1].juror_id, free.id])


def site_assignments(db, juror) -> list[Assignment]:
    return db.session.scalars(select(Assignment).where(Assignment.juror_id == juror.id)).all()


def test_progress_and_reminders(app, client, db, site, login_as, csrf):
    login_as(site.organizer)
    html = client.get(round_url(site, "/progress")).get_data(as_text=True)
    assert "Напомнить" in html
    rows = [[re.sub(r"<[^>]+>|\s+", " ", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", html, re.S) if "<td" in row]
    # Nominations: entries, reviews needed, assigned, submitted, in progress, recused, share done.
    assert rows[0][:7] == ["Номинация production", "4", "8", "8", "1", "1", "0"]
    assert rows[1][:7] == ["Номинация education", "1", "2", "2", "0", "0", "0"]
    by_juror = {r[0].split(" juror")[0].strip(): r[1:] for r in rows[2:]}
    expected = {}
    for juror in site.jurors:
        statuses = [a.status for a in site_assignments(db, juror)]
        # load, submitted, in progress, not started, recused, overdue (none before the close)
        expected[juror.full_name] = [str(len(statuses)), str(statuses.count("submitted")),
                                     str(statuses.count("in_progress")), str(statuses.count("assigned")), "0", "—"]
    assert by_juror == expected
    assert sum(int(row[0]) for row in by_juror.values()) == 10
    pending = set(db.session.scalars(select(Assignment.juror_id).where(Assignment.status != "submitted")))
    response = client.post(round_url(site, "/progress/remind"), data={"csrf_token": csrf}, follow_redirects=True)
    assert f"Напоминания поставлены в очередь отправки: {len(pending)}." in response.get_data(as_text=True)
    reminders = [m for m in outbox_messages(app) if m["Subject"].startswith("Напоминание")]
    assert sorted(m["To"] for m in reminders) == sorted(j.email for j in site.jurors if j.id in pending)
    assert "Оценки принимаются до" in reminders[0].get_content()


def test_rankings_page_and_downloads(client, db, site, login_as):
    login_as(site.organizer)
    html = client.get(round_url(site, "/rankings")).get_data(as_text=True)
    entry = site.entries["production"][0]
    row = re.search(rf'<tr class="table-success" data-entry="{entry.id}">(.*?)</tr>', html, re.S).group(1)
    # One review, every criterion at 9 of 10: 88,89 raw; alone on the panel, its normalised score is the same.
    cells = [re.sub(r"<[^>]+>|\s+", " ", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells[0] == "1"
    assert cells[2:6] == ["1 / 2", "88,89", "88,89", "0,00"]
    assert cells[7] == "проходит"
    assert "Перевести шорт-лист в следующий раунд" in html
    assert "Строгость экспертов" in html
    csv_response = client.get(round_url(site, "/rankings.csv"))
    assert csv_response.headers["Content-Disposition"] == f'attachment; filename="rankings-{site.season.slug}-round1.csv"'
    assert csv_response.data.startswith(b"\xef\xbb\xbf")
    xlsx_response = client.get(round_url(site, "/rankings.xlsx"))
    assert xlsx_response.data[:2] == b"PK"


def test_drill_down_shows_the_private_comment(client, db, site, login_as):
    login_as(site.organizer)
    entry = site.entries["production"][0]
    html = client.get(round_url(site, f"/rankings/{entry.id}")).get_data(as_text=True)
    assert PRIVATE in html
    assert "Сильная, хорошо измеренная практика." in html
    assert "Эксперт" in html and "88,89" in html
    other = site.entries["production"][1]
    assert PRIVATE not in client.get(round_url(site, f"/rankings/{other.id}")).get_data(as_text=True)


def test_decisions_discussion_and_extra_juror(client, db, site, login_as, csrf):
    login_as(site.organizer)
    entry = site.entries["production"][0]
    url = round_url(site, f"/rankings/{entry.id}")
    response = client.post(url + "/decision", data={"csrf_token": csrf, "kind": "hold", "reason": "ok"},
                           follow_redirects=True)
    assert db.session.scalar(select(func.count()).select_from(Decision)) == 0
    response = client.post(url + "/decision", data={"csrf_token": csrf, "kind": "advance",
                                                    "reason": "Высокая значимость для отрасли"}, follow_redirects=True)
    assert "Решение записано." in response.get_data(as_text=True)
    assert db.session.scalar(select(Decision.kind)) == "advance"
    response = client.post(url + "/discussion", data={"csrf_token": csrf, "body": "Коллеги, обсудите оценки."},
                           follow_redirects=True)
    assert "Коллеги, обсудите оценки." in response.get_data(as_text=True)
    assert db.session.scalar(select(DiscussionMessage.author_id)) == site.organizer.id
    before = set(db.session.scalars(select(Assignment.juror_id).where(Assignment.entry_id == entry.id)))
    response = client.post(url + "/extra-juror", data={"csrf_token": csrf}, follow_redirects=True)
    html = response.get_data(as_text=True)
    after = set(db.session.scalars(select(Assignment.juror_id).where(Assignment.entry_id == entry.id)))
    # The only juror left is juror 3, who declared the applicant's INN: the engine refuses and says why.
    assert after == before
    assert "Ещё одного эксперта назначить нельзя" in html and "ИНН 7707083893" in html


def test_advance_needs_the_confirmation(client, db, site, login_as, csrf):
    login_as(site.organizer)
    client.post(round_url(site, "/rankings/advance"), data={"csrf_token": csrf})
    db.session.expire_all()
    assert "shortlisted" not in db.session.scalars(select(Entry.status)).all()
    response = client.post(round_url(site, "/rankings/advance"), data={"csrf_token": csrf, "confirm": "y"},
                           follow_redirects=True)
    assert "Шорт-лист переведён в следующий раунд: заявок — 1." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalars(select(Entry.id).where(Entry.status == "shortlisted")).all() == [
        site.entries["production"][0].id]


def add_entries(db, world, n: int, start: int) -> None:
    for i in range(start, start + n):
        applicant = make_user(email=f"later{i}@example.ru", full_name=f"Заявитель {i}")
        entry = make_entry(applicant, world.season, code="production", submitted=True, now=world.now)
        transition(db.session, entry=entry, target=EntryStatus.ELIGIBLE, actor=world.organizer, now=world.now)


def test_list_pages_use_a_constant_number_of_queries(client, db, login_as):
    """SPEC §10: the same number of SQL queries whatever the number of entries, assignments and reviews."""
    world = make_world(entries={"production": 2}, jurors=3, k=2)
    apply_assignment(db.session, round=world.round, actor=world.organizer, now=world.now)
    for assignment in db.session.scalars(select(Assignment).order_by(Assignment.id)):
        review(world, assignment, 7, private="Заметка")
    db.session.commit()
    login_as(world.organizer)
    urls = [u for u in pages(world) if "/rankings/" not in u]
    statements, stop = count_queries(db)
    before = {}
    for url in urls:
        statements.clear()
        assert client.get(url).status_code == 200, url
        before[url] = len(statements)
    stop()
    add_entries(db, world, 4, start=100)
    apply_assignment(db.session, round=world.round, actor=world.organizer, now=world.now)
    for assignment in db.session.scalars(select(Assignment).where(Assignment.status == "assigned")
                                         .order_by(Assignment.id)):
        review(world, assignment, 5)
    db.session.commit()
    statements, stop = count_queries(db)
    after = {}
    for url in urls:
        statements.clear()
        assert client.get(url).status_code == 200, url
        after[url] = len(statements)
    stop()
    assert after == before
