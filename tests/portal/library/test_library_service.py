"""portal/services/library.py: publishing entries, unpublishing, publishing again, editing, and the audit trail."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEvent, Award, ConsentKind, EntryStatus, LibraryItem
from portal.services import entries as entry_service
from portal.services import library
from portal.services.errors import Conflict, ValidationFailed
from portal.storage import backend_named, get_storage
from tests.factories import make_organisation, make_season, make_user
from tests.portal.library.builders import PDF_TEXT, make_screened_entry

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
LATER = NOW + timedelta(days=40)


@pytest.fixture
def applicant(app):
    return make_user(email="applicant@example.ru")


@pytest.fixture
def organisation(applicant):
    return make_organisation(applicant, name="Муниципальное бюджетное общеобразовательное учреждение № 7")


@pytest.fixture
def season(app):
    return make_season(now=NOW)


@pytest.fixture
def entry(applicant, organisation, season):
    return make_screened_entry(applicant, season, organisation=organisation, now=NOW)


@pytest.fixture
def organizer(app):
    return make_user(email="organizer@example.ru", role="organizer")


def publish(entry, user=None, **kwargs):
    return library.publish_entry(db.session, entry=entry, user=user, now=LATER, storage_for=backend_named, **kwargs)


def item_count() -> int:
    return db.session.scalar(select(func.count(LibraryItem.id)))


def library_events() -> list[tuple[str, str, dict | None, dict | None]]:
    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "library_item")
                              .order_by(AuditEvent.id)).all()
    return [(e.action, e.object_id, e.before, e.after) for e in rows]


# Publishing

def test_publish_copies_the_public_fields_of_the_entry(entry, organisation, season, organizer):
    item = publish(entry, organizer)

    assert item.source == "entry"
    assert item.status == "published" and item.is_published
    assert item.entry_id == entry.id and item.season_id == season.id and item.external_id is None
    assert item.year == 2026
    assert (item.nomination_code, item.nomination_title) == ("production", "Номинация production")
    assert item.title == "Школа молодого наставника"
    assert item.summary == "Система сопровождения молодых педагогов в первые три года работы."
    assert item.description == "Наставники проводят еженедельные встречи и открытые уроки."
    assert item.results == "Отток молодых педагогов снизился с 32 % до 9 %."
    assert item.replicability == "Практика повторена в четырёх школах района."
    assert item.keywords == ["молодой педагог", "адаптация"]
    assert item.mentoring_form == "teacher-teacher"
    assert item.audience == "teachers"  # guessed from "Педагоги со стажем до трёх лет."
    assert item.region_code == "69"
    assert item.organisation_name == organisation.display_name == "Муниципальное бюджетное общеобразователь"
    assert (item.award, item.place) == ("winner", 1)
    assert item.created_at == item.updated_at == item.published_at == LATER


def test_an_individual_applicant_has_no_organisation_name(applicant, season):
    entry = make_screened_entry(applicant, season, organisation=None, now=NOW)
    assert publish(entry).organisation_name == ""


@pytest.mark.parametrize(("tier", "place"), [("winner", 1), ("winner", 3), ("prize", None), ("laureate", None),
                                             ("special", None)])
def test_the_award_is_copied_from_the_entry_award(applicant, organisation, season, tier, place):
    entry = make_screened_entry(applicant, season, organisation=organisation, now=NOW, tier=tier, place=place)
    item = publish(entry)
    assert (item.award, item.place) == (tier, place)


@pytest.mark.parametrize("status", [EntryStatus.ELIGIBLE, EntryStatus.IN_REVIEW, EntryStatus.SHORTLISTED,
                                    EntryStatus.NOT_AWARDED, EntryStatus.AWARDED])
def test_an_entry_past_screening_may_be_chosen_without_an_award(applicant, organisation, season, status):
    entry = make_screened_entry(applicant, season, organisation=organisation, now=NOW, status=status, tier=None)
    item = publish(entry)
    assert item.is_published
    assert (item.award, item.place) == (None, None)


@pytest.mark.parametrize(("text", "expected"), [
    ("Педагоги со стажем до трёх лет.", "teachers"),
    ("Учащиеся 7–9 классов", "pupils"),
    ("Дети из семей участников СВО", "pupils"),
    ("Студенты колледжа и выпускники", "students"),
    ("Молодые рабочие и инженеры завода", "workers"),
    ("Муниципальные служащие района", "civil_servants"),
    ("Жители сельских поселений", "other"),
    ("   ", None),
    ("", None),
])
def test_guess_audience(text, expected):
    assert library.guess_audience(text) == expected


def test_presentation_and_description_files_are_public_by_default_with_their_text(entry):
    item = publish(entry)
    by_id = {f.id: f for f in entry.files}
    assert [(by_id[f.file_id].kind, f.position) for f in item.files] == [("presentation", 0), ("description", 1)]
    assert [f.extracted_text for f in item.files] == [PDF_TEXT, "Описание: школа молодого рабочего"]


def test_chosen_files_replace_the_default(entry):
    photo, supporting = (next(f.id for f in entry.files if f.kind == kind) for kind in ("photo", "supporting"))
    item = publish(entry, file_ids=[supporting, photo])
    assert [f.file_id for f in item.files] == [photo, supporting]
    assert [f.extracted_text for f in item.files] == ["", "Приказ о назначении наставников"]


def test_no_public_files_when_none_are_chosen(entry):
    assert publish(entry, file_ids=[]).files == []


def test_a_file_missing_from_storage_is_published_without_text(entry):
    presentation = next(f for f in entry.files if f.kind == "presentation")
    get_storage().delete(presentation.storage_key)
    item = publish(entry)
    assert [f.extracted_text for f in item.files] == ["", "Описание: школа молодого рабочего"]


def test_files_of_another_entry_are_refused_and_nothing_is_published(entry, season):
    other = make_screened_entry(make_user(), season, organisation=None, now=NOW)
    with pytest.raises(ValidationFailed) as caught:
        publish(entry, file_ids=[entry.files[0].id, other.files[0].id])
    assert caught.value.message == "Выбраны файлы, которых нет в заявке."
    assert caught.value.fields == {"files": "Выберите файлы из списка."}
    assert item_count() == 0
    assert library_events() == []


@pytest.mark.parametrize("status", [EntryStatus.DRAFT, EntryStatus.SUBMITTED, EntryStatus.WITHDRAWN,
                                    EntryStatus.INELIGIBLE])
def test_entries_not_past_screening_are_refused(applicant, organisation, season, status):
    entry = make_screened_entry(applicant, season, organisation=organisation, now=NOW, status=status)
    assert library.publication_refusal(entry) == "Публиковать можно только заявки, прошедшие проверку."
    with pytest.raises(Conflict) as caught:
        publish(entry)
    assert caught.value.message == "Публиковать можно только заявки, прошедшие проверку."
    assert item_count() == 0


def test_an_entry_without_consent_to_publication_is_refused(applicant, organisation, season):
    entry = make_screened_entry(applicant, season, organisation=organisation, now=NOW, consent=False)
    with pytest.raises(Conflict) as caught:
        publish(entry)
    assert caught.value.message == "Заявитель не дал согласия на публикацию практики."
    assert item_count() == 0
    assert library_events() == []


def test_publishing_twice_is_a_conflict(entry):
    publish(entry)
    with pytest.raises(Conflict) as caught:
        publish(entry)
    assert caught.value.message == "Эта практика уже опубликована в библиотеке."
    assert item_count() == 1


def test_publish_season_winners_takes_awarded_consenting_entries_not_yet_in_the_library(entry, season):
    refused = make_screened_entry(make_user(), season, organisation=None, now=NOW, consent=False)
    chosen = make_screened_entry(make_user(), season, organisation=None, now=NOW, status=EntryStatus.SHORTLISTED)
    second = make_screened_entry(make_user(), season, organisation=None, now=NOW, tier="prize", place=None)
    already = publish(second)

    items = library.publish_season_winners(db.session, season=season, user=None, now=LATER,
                                           storage_for=backend_named)

    assert [i.entry_id for i in items] == [entry.id]
    assert set(db.session.scalars(select(LibraryItem.entry_id))) == {entry.id, second.id}
    assert already.is_published and refused.id and chosen.id


# Unpublishing and publishing again

@pytest.mark.parametrize("reason", ["", "   \n "])
def test_unpublishing_needs_a_reason(entry, reason):
    item = publish(entry)
    with pytest.raises(ValidationFailed) as caught:
        library.unpublish_item(db.session, item=item, user=None, now=LATER, reason=reason)
    assert caught.value.fields == {"reason": "Укажите, почему практика снимается."}
    assert item.is_published


def test_unpublish_then_publish_again(entry, organizer):
    item = publish(entry, organizer)
    library.unpublish_item(db.session, item=item, user=organizer, now=LATER + timedelta(hours=1),
                           reason="  Нарушены авторские права  ")
    assert (item.status, item.updated_at, item.published_at) == ("unpublished", LATER + timedelta(hours=1), LATER)
    with pytest.raises(Conflict) as caught:
        library.unpublish_item(db.session, item=item, user=organizer, now=LATER, reason="ещё раз")
    assert caught.value.message == "Практика уже снята с публикации."

    again = LATER + timedelta(days=2)
    assert library.republish_item(db.session, item=item, user=organizer, now=again) is item
    assert (item.status, item.updated_at, item.published_at) == ("published", again, again)
    with pytest.raises(Conflict) as caught:
        library.republish_item(db.session, item=item, user=organizer, now=again)
    assert caught.value.message == "Эта практика уже опубликована в библиотеке."


def test_publishing_an_unpublished_entry_again_keeps_the_edited_text(entry):
    item = publish(entry)
    library.update_item(db.session, item=item, user=None, data={"title": "Исправленное название"}, now=LATER,
                        storage_for=backend_named)
    library.unpublish_item(db.session, item=item, user=None, now=LATER, reason="правка")
    assert publish(entry) is item
    assert (item.status, item.title) == ("published", "Исправленное название")
    assert item_count() == 1


def test_publishing_again_is_refused_after_the_applicant_withdrew_consent(entry, applicant):
    item = publish(entry)
    library.unpublish_item(db.session, item=item, user=None, now=LATER, reason="согласие отозвано")
    entry_service.record_consent(db.session, entry=entry, user=applicant, kind=ConsentKind.PUBLICATION, given=False,
                                 now=LATER)
    with pytest.raises(Conflict) as caught:
        library.republish_item(db.session, item=item, user=None, now=LATER)
    assert caught.value.message == "Заявитель отозвал согласие на публикацию практики."
    with pytest.raises(Conflict) as caught:
        publish(entry)
    assert caught.value.message == "Заявитель не дал согласия на публикацию практики."
    assert item.status == "unpublished"


def test_an_archive_item_is_published_again_without_a_consent_check(app):
    from_archive = LibraryItem(source="archive", external_id="2019-1", year=2019, nomination_code="social",
                               title="Старшие — младшим", status="unpublished")
    db.session.add(from_archive)
    db.session.flush()
    library.republish_item(db.session, item=from_archive, user=None, now=LATER)
    assert from_archive.status == "published"


# Editing

def test_update_item_changes_the_public_copy_only(entry, organizer):
    item = publish(entry)
    library.update_item(db.session, item=item, user=organizer, now=LATER + timedelta(hours=2), storage_for=backend_named,
                        data={"title": "  Новое название  ", "summary": "Коротко.", "keywords": "сталь, Сталь, литьё",
                              "mentoring_form": "group", "audience": "", "region_code": "66", "place": 3,
                              "status": "unpublished"})
    assert item.title == "Новое название"
    assert item.summary == "Коротко."
    assert item.keywords == ["сталь", "литьё"]
    assert (item.mentoring_form, item.audience, item.region_code) == ("group", None, "66")
    assert (item.place, item.status) == (1, "published")  # not editable here
    assert item.updated_at == LATER + timedelta(hours=2)
    assert entry.title == "Школа молодого наставника"


def test_update_item_reports_every_field_error_at_once(entry):
    item = publish(entry)
    with pytest.raises(ValidationFailed) as caught:
        library.update_item(db.session, item=item, user=None, now=LATER, storage_for=backend_named, data={
            "title": "  ", "summary": "с" * 2001, "keywords": [f"слово{n}" for n in range(21)],
            "mentoring_form": "mentor-robot", "audience": "aliens", "region_code": "00"})
    assert caught.value.message == "Проверьте выделенные поля."
    assert caught.value.fields == {
        "title": "Укажите название практики.",
        "summary": "Не длиннее 2000 символов.",
        "keywords": "Не больше 20 ключевых слов.",
        "mentoring_form": "Выберите значение из списка.",
        "audience": "Выберите значение из списка.",
        "region_code": "Выберите регион из списка.",
    }
    assert item.title == "Школа молодого наставника"
    assert item.mentoring_form == "teacher-teacher"


def test_codes_that_are_not_strings_are_refused(entry):
    item = publish(entry)
    with pytest.raises(ValidationFailed) as caught:
        library.update_item(db.session, item=item, user=None, now=LATER, storage_for=backend_named,
                            data={"region_code": 66, "mentoring_form": ["peer"], "audience": {"code": "pupils"}})
    assert caught.value.fields == {"region_code": "Выберите регион из списка.",
                                   "mentoring_form": "Выберите значение из списка.",
                                   "audience": "Выберите значение из списка."}


def test_a_title_over_300_characters_is_refused(entry):
    item = publish(entry)
    with pytest.raises(ValidationFailed) as caught:
        library.update_item(db.session, item=item, user=None, now=LATER, storage_for=backend_named,
                            data={"title": "т" * 301})
    assert caught.value.fields == {"title": "Не длиннее 300 символов."}


def test_nul_characters_never_reach_the_database(entry):
    item = publish(entry)
    library.update_item(db.session, item=item, user=None, now=LATER, storage_for=backend_named,
                        data={"title": "Школа\x00 наставников", "results": "\x00", "keywords": ["ста\x00ль", "\x00"]})
    db.session.commit()
    db.session.refresh(item)
    assert (item.title, item.results, item.keywords) == ("Школа наставников", "", ["сталь"])


@pytest.mark.parametrize(("raw", "expected"), [
    ("сталь, литьё;  прокат \n сталь", ["сталь", "литьё", "прокат"]),
    (["  Наставник  года ", "наставник года", ""], ["Наставник года"]),
    ([f"k{n}" for n in range(20)], [f"k{n}" for n in range(20)]),
    (["я" * 60], ["я" * 60]),
    ("", []),
    (None, []),
])
def test_clean_keywords(raw, expected):
    assert library.clean_keywords(raw) == expected


@pytest.mark.parametrize(("raw", "message"), [
    ([f"k{n}" for n in range(21)], "Не больше 20 ключевых слов."),
    (["я" * 61], "Ключевое слово — не длиннее 60 символов."),
])
def test_clean_keywords_limits(raw, message):
    with pytest.raises(ValidationFailed) as caught:
        library.clean_keywords(raw)
    assert caught.value.fields == {"keywords": message}


def test_show_organisation_switches_the_name_off_and_on(entry, organisation):
    item = publish(entry)
    edit = dict(item=item, user=None, now=LATER, storage_for=backend_named)
    library.update_item(db.session, data={"show_organisation": False}, **edit)
    assert item.organisation_name == ""
    library.update_item(db.session, data={"show_organisation": True}, **edit)
    assert item.organisation_name == organisation.display_name


def test_show_organisation_needs_the_consent_to_publication(entry, applicant, organisation):
    item = publish(entry)
    edit = dict(item=item, user=None, now=LATER, storage_for=backend_named)
    library.update_item(db.session, data={"show_organisation": False}, **edit)
    entry_service.record_consent(db.session, entry=entry, user=applicant, kind=ConsentKind.PUBLICATION, given=False,
                                 now=LATER)
    with pytest.raises(ValidationFailed) as caught:
        library.update_item(db.session, data={"show_organisation": True, "title": ""}, **edit)
    assert caught.value.fields == {"title": "Укажите название практики.",
                                   "show_organisation": "Заявитель отозвал согласие на публикацию: организацию показать нельзя."}
    library.update_item(db.session, data={"show_organisation": False, "title": "Новое"}, **edit)
    assert (item.organisation_name, item.title) == ("", "Новое")


def test_update_item_replaces_the_public_files(entry):
    item = publish(entry)
    supporting = next(f for f in entry.files if f.kind == "supporting")
    library.update_item(db.session, item=item, user=None, data={}, now=LATER, storage_for=backend_named,
                        file_ids=[supporting.id])
    assert [(f.file_id, f.extracted_text) for f in item.files] == [(supporting.id, "Приказ о назначении наставников")]


def test_update_item_refuses_files_of_another_entry_and_changes_nothing(entry, season):
    item = publish(entry)
    other = make_screened_entry(make_user(), season, organisation=None, now=NOW)
    before = [f.file_id for f in item.files]
    with pytest.raises(ValidationFailed) as caught:
        library.update_item(db.session, item=item, user=None, data={"title": "Другое название"}, now=LATER,
                            storage_for=backend_named, file_ids=[other.files[0].id])
    assert caught.value.fields == {"files": "Выберите файлы из списка."}
    assert item.title == "Школа молодого наставника"
    assert [f.file_id for f in item.files] == before


# The audit trail

def test_every_change_is_audited_with_its_action_name(entry, organizer):
    item = publish(entry, organizer)
    presentation = next(f.id for f in entry.files if f.kind == "presentation")
    description = next(f.id for f in entry.files if f.kind == "description")
    edit = dict(item=item, user=organizer, now=LATER, storage_for=backend_named)
    library.update_item(db.session, data={"title": "Школа молодого наставника"}, **edit)  # no change, no event
    library.update_item(db.session, data={"title": "Новое", "description": "д" * 600}, file_ids=[presentation], **edit)
    library.unpublish_item(db.session, item=item, user=organizer, now=LATER, reason="Опечатки")
    library.republish_item(db.session, item=item, user=organizer, now=LATER)

    oid = str(item.id)
    assert library_events() == [
        ("library.publish", oid, None, {"entry_id": entry.id, "title": "Школа молодого наставника"}),
        ("library.edit", oid,
         {"title": "Школа молодого наставника", "description": "Наставники проводят еженедельные встречи и открытые уроки.",
          "files": [presentation, description]},
         {"title": "Новое", "description": "д" * 500 + "…", "files": [presentation]}),
        ("library.unpublish", oid, {"status": "published"}, {"status": "unpublished", "reason": "Опечатки"}),
        ("library.republish", oid, {"status": "unpublished"}, {"status": "published"}),
    ]
    actors = set(db.session.scalars(select(AuditEvent.actor_id).where(AuditEvent.object_type == "library_item")))
    assert actors == {organizer.id}


def test_an_award_decided_but_not_yet_published_does_not_reach_the_library(app):
    now = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
    user = make_user()
    entry = make_screened_entry(user, make_season(now=now), organisation=make_organisation(user), now=now,
                                status=EntryStatus.IN_REVIEW, tier=None)
    db.session.add(Award(entry_id=entry.id, season_id=entry.season_id, tier="winner", place=1))  # decided, unpublished
    db.session.flush()
    item = library.publish_entry(db.session, entry=entry, user=None, now=now, storage_for=backend_named)
    assert (item.award, item.place) == (None, None)
