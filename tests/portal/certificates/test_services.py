"""`portal/services/certificates.py`: codes, issuing (who gets what, idempotent), revoking, counts, what an
applicant may download."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.models import AuditEvent, Certificate, EntryStatus, utcnow
from portal.services import certificates as service
from portal.services.awards import award_entry, awards_by_entry
from portal.services.entry_states import transition
from portal.services.errors import Conflict, ValidationFailed
from tests.factories import make_awarded_entry, make_entry, make_season, make_user
from tests.portal.certificates.conftest import PARTICIPANT_NAME, TITLE, WINNER_ORG, applicant_with_org, make_participant


def certificates_of(db, entry) -> dict[str, Certificate]:
    rows = db.session.scalars(select(Certificate).where(Certificate.entry_id == entry.id,
                                                        Certificate.revoked_at.is_(None)))
    return {c.kind: c for c in rows}


# --- codes --------------------------------------------------------------------------------------------------------

def test_new_codes_are_twelve_crockford_characters():
    codes = {service.new_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == 12 and set(c) <= set(service.ALPHABET) for c in codes)
    assert not set("ILOU") & set(service.ALPHABET)


@pytest.mark.parametrize("typed, expected", [
    ("7K3M-9QX2-HP4T", "7K3M9QX2HP4T"),
    ("7k3m9qx2hp4t", "7K3M9QX2HP4T"),
    ("  7k3m 9qx2 hp4t ", "7K3M9QX2HP4T"),
    ("7K3M–9QX2—HP4T", "7K3M9QX2HP4T"),      # typographic dashes, as a word processor makes them
    ("OK3M-9QX2-HP4I", "0K3M9QX2HP41"),      # O read as 0, I as 1 (Crockford)
    ("LK3M-9QX2-HP4T", "1K3M9QX2HP4T"),
    ("7K3M-9QX2-HP4", None),                 # too short
    ("7K3M-9QX2-HP4TT", None),               # too long
    ("7K3M-9QX2-HP4U", None),                # U is not in the alphabet
    ("7К3М-9QX2-HP4T", None),                # Cyrillic К and М
    ("", None),
    (None, None),
])
def test_normalise_code(typed, expected):
    assert service.normalise_code(typed) == expected


def test_grouped():
    assert service.grouped("7K3M9QX2HP4T") == "7K3M-9QX2-HP4T"


# --- issuing --------------------------------------------------------------------------------------------------------

def test_issue_gives_participants_a_certificate_and_winners_also_a_diploma(db, season, winner, participant, organizer):
    now = utcnow()
    report = service.issue_season_certificates(db.session, season=season, user=organizer, now=now)
    assert (report.participant, report.diploma, report.total) == (2, 1, 3)

    won = certificates_of(db, winner)
    assert sorted(won) == ["diploma", "participant"]
    diploma = won["diploma"]
    assert (diploma.recipient_name, diploma.title, diploma.award_tier, diploma.award_place) == (WINNER_ORG, TITLE,
                                                                                              "winner", 1)
    assert diploma.nomination_title == "Номинация production"
    assert diploma.season_title == "Конкурс season-2026"
    assert (diploma.issued_at, diploma.issued_by_id, diploma.season_id) == (now, organizer.id, season.id)
    assert won["participant"].award_tier is None and won["participant"].award_place is None

    took_part = certificates_of(db, participant)
    assert list(took_part) == ["participant"]
    assert took_part["participant"].recipient_name == PARTICIPANT_NAME

    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificates.issue"))
    assert (event.object_type, event.object_id, event.actor_id) == ("season", str(season.id), organizer.id)
    assert event.after == {"participant": 2, "diploma": 1}


def test_issue_is_idempotent(db, season, winner, participant, organizer):
    service.issue_season_certificates(db.session, season=season, user=organizer, now=utcnow())
    codes = set(db.session.scalars(select(Certificate.code)))
    again = service.issue_season_certificates(db.session, season=season, user=organizer, now=utcnow())
    assert again.total == 0
    assert set(db.session.scalars(select(Certificate.code))) == codes
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "certificates.issue")) == 1


@pytest.mark.parametrize("status, gets_certificate", [
    (EntryStatus.SUBMITTED, False),
    (EntryStatus.INELIGIBLE, False),
    (EntryStatus.WITHDRAWN, False),
    (EntryStatus.ELIGIBLE, True),
    (EntryStatus.IN_REVIEW, True),
    (EntryStatus.SHORTLISTED, True),
    (EntryStatus.NOT_AWARDED, True),
])
def test_who_gets_a_participant_certificate(db, season, status, gets_certificate):
    entry = make_participant(make_user(), season, status=status)
    make_entry(make_user(), season)  # a draft never does
    report = service.issue_season_certificates(db.session, season=season, user=None, now=utcnow())
    assert (report.participant, report.diploma) == (int(gets_certificate), 0)
    assert list(certificates_of(db, entry)) == (["participant"] if gets_certificate else [])


@pytest.mark.parametrize("tier, place", [("winner", 2), ("prize", None), ("laureate", None), ("special", None)])
def test_a_diploma_carries_the_award(db, season, tier, place):
    user, organisation = applicant_with_org(3, "ООО «Ромашка»")
    entry = make_awarded_entry(user, season, organisation=organisation, tier=tier, place=place)
    service.issue_season_certificates(db.session, season=season, user=None, now=utcnow())
    diploma = certificates_of(db, entry)["diploma"]
    assert (diploma.award_tier, diploma.award_place) == (tier, place)


def test_another_seasons_entries_are_left_alone(db, season, winner):
    other = make_season(slug="season-2027")
    assert service.issue_season_certificates(db.session, season=other, user=None, now=utcnow()).total == 0
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 0


def test_the_database_refuses_a_second_valid_certificate_of_a_kind(db, season, participant):
    service.issue_season_certificates(db.session, season=season, user=None, now=utcnow())
    db.session.commit()
    db.session.add(Certificate(entry_id=participant.id, season_id=season.id, kind="participant", code="ABCDEFGHJKMN",
                               recipient_name="x", title="x", nomination_title="x", season_title="x"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


# --- revoking -------------------------------------------------------------------------------------------------------

def test_revoke_then_issue_again_makes_a_new_code(db, season, participant, organizer):
    service.issue_season_certificates(db.session, season=season, user=organizer, now=utcnow())
    old = certificates_of(db, participant)["participant"]
    now = utcnow()
    service.revoke_certificate(db.session, certificate=old, user=organizer, reason="Опечатка в названии", now=now)
    assert (old.revoked_at, old.revoked_by_id, old.revoke_reason, old.is_revoked) == (now, organizer.id,
                                                                                       "Опечатка в названии", True)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.revoke"))
    assert (event.object_type, event.object_id, event.after) == ("certificate", str(old.id),
                                                                 {"revoked": True, "reason": "Опечатка в названии"})

    report = service.issue_season_certificates(db.session, season=season, user=organizer, now=utcnow())
    assert (report.participant, report.diploma) == (1, 0)
    new = certificates_of(db, participant)["participant"]
    assert new.id != old.id and new.code != old.code


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_revoke_needs_a_reason_of_sensible_length(db, season, participant, reason):
    service.issue_season_certificates(db.session, season=season, user=None, now=utcnow())
    certificate = certificates_of(db, participant)["participant"]
    with pytest.raises(ValidationFailed) as caught:
        service.revoke_certificate(db.session, certificate=certificate, user=None, reason=reason, now=utcnow())
    assert list(caught.value.fields) == ["reason"]
    assert certificate.revoked_at is None


def test_revoking_twice_is_refused(db, season, participant):
    service.issue_season_certificates(db.session, season=season, user=None, now=utcnow())
    certificate = certificates_of(db, participant)["participant"]
    service.revoke_certificate(db.session, certificate=certificate, user=None, reason="Ошибка", now=utcnow())
    with pytest.raises(Conflict):
        service.revoke_certificate(db.session, certificate=certificate, user=None, reason="Ошибка", now=utcnow())


# --- reading --------------------------------------------------------------------------------------------------------

def test_find_by_code_any_spelling(db, season, participant):
    service.issue_season_certificates(db.session, season=season, user=None, now=utcnow())
    certificate = certificates_of(db, participant)["participant"]
    for typed in (certificate.code, certificate.display_code, certificate.display_code.lower()):
        assert service.find_by_code(db.session, typed) is certificate
    assert service.find_by_code(db.session, "0000-0000-0000") is None
    assert service.find_by_code(db.session, "not a code") is None


def test_season_counts(db, season, winner, participant):
    make_participant(make_user(), season, status=EntryStatus.ELIGIBLE)
    before = service.season_counts(db.session, season=season)
    assert before == {"participants": 3, "awarded": 1, "participant_valid": 0, "diploma_valid": 0, "revoked": 0,
                      "participant_missing": 3, "diploma_missing": 1}
    service.issue_season_certificates(db.session, season=season, user=None, now=utcnow())
    service.revoke_certificate(db.session, certificate=certificates_of(db, participant)["participant"], user=None,
                               reason="Ошибка", now=utcnow())
    assert service.season_counts(db.session, season=season) == {
        "participants": 3, "awarded": 1, "participant_valid": 2, "diploma_valid": 1, "revoked": 1,
        "participant_missing": 1, "diploma_missing": 0}


def test_season_certificates_filters(db, season, winner, participant):
    service.issue_season_certificates(db.session, season=season, user=None, now=utcnow())
    diploma = certificates_of(db, winner)["diploma"]
    service.revoke_certificate(db.session, certificate=diploma, user=None, reason="Ошибка", now=utcnow())

    def kinds(**filters):
        return sorted((c.kind, c.entry_id) for c in db.session.scalars(service.season_certificates(season=season,
                                                                                                 **filters)))
    assert kinds() == sorted([("diploma", winner.id), ("participant", winner.id), ("participant", participant.id)])
    assert kinds(kind="diploma") == [("diploma", winner.id)]
    assert kinds(state="revoked") == [("diploma", winner.id)]
    assert kinds(state="valid", kind="participant") == sorted([("participant", winner.id),
                                                               ("participant", participant.id)])
    assert kinds(code=diploma.display_code.lower()) == [("diploma", winner.id)]
    assert kinds(code="Смирнова") == [("participant", participant.id)]  # a name when it is not a code


def test_outdated_when_the_award_or_the_status_changes(db, season, winner):
    service.issue_season_certificates(db.session, season=season, user=None, now=utcnow())
    issued = certificates_of(db, winner)
    award = awards_by_entry(db.session, [winner.id])[winner.id]
    assert not service.is_outdated(issued["diploma"], winner, award)
    award_entry(db.session, entry=winner, tier="prize", place=None, user=None, now=utcnow())
    assert service.is_outdated(issued["diploma"], winner, award)
    assert not service.is_outdated(issued["participant"], winner, None)
    transition(db.session, entry=winner, target=EntryStatus.NOT_AWARDED, actor=None, now=utcnow())
    assert service.is_outdated(issued["diploma"], winner, award)
    assert not service.is_outdated(issued["participant"], winner, None)


def test_downloadable_only_after_publication_and_a_diploma_only_while_awarded(db, season, winner):
    service.issue_season_certificates(db.session, season=season, user=None, now=utcnow())
    now = utcnow()
    assert [c.kind for c in service.downloadable(db.session, entry=winner, now=now)] == ["participant", "diploma"]
    assert service.downloadable(db.session, entry=winner, now=season.results_published_at - timedelta(seconds=1)) == []
    transition(db.session, entry=winner, target=EntryStatus.NOT_AWARDED, actor=None, now=now)
    assert [c.kind for c in service.downloadable(db.session, entry=winner, now=now)] == ["participant"]
    assert service.downloadable_of_kind(db.session, entry=winner, kind="diploma", now=now) is None
