"""Demo data for `flask seed-demo`: two seasons, demo accounts, organisations and entries. Idempotent; flushes only.

Every state change goes through the services (accounts, organisations, entries, files, entry states), with the
moments passed as `now`: the open season's entries are written during the last few weeks, the past season's
entries on dates inside its 2025 timeline. The texts live in `portal.demo_texts`.
"""
from __future__ import annotations

import io
import textwrap
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import demo_texts as texts
from portal.models import Entry, EntryStatus, Nomination, Organisation, OutboxMessage, Role, Season, Track, User
from portal.services import accounts, organisations
from portal.services import entries as entry_service
from portal.services import files as file_service
from portal.services.awards import award_entry
from portal.services.entry_states import transition
from portal.services.library import publish_season_winners
from portal.services.library_import import import_lines
from portal.services.regions import sync_regions
from portal.storage import backend_named, get_storage

DEMO_PASSWORD = "demo-password-2026"
MOSCOW = ZoneInfo("Europe/Moscow")
PDF_FILENAME = "Презентация практики.pdf"
LIBRARY_ARCHIVE = Path(__file__).resolve().parent / "data" / "library_demo.jsonl"

_INN10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_TRANSLIT = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s", "t", "u", "f",
     "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"],
))
_PUNCTUATION = {"«": '"', "»": '"', "—": "-", "–": "-", "№": "No."}


# --- numbers and moments -------------------------------------------------------------------------------------------

def inn_with_check(base: str) -> str:
    """A 10-digit organisation INN: nine digits followed by their check digit."""
    return base + str(sum(int(d) * w for d, w in zip(base, _INN10_WEIGHTS)) % 11 % 10)


def ogrn_with_check(base: str) -> str:
    """A 13-digit OGRN: twelve digits followed by their check digit."""
    return base + str(int(base) % 11 % 10)


def moscow(day: date | tuple[int, int, int], hour: int = 0, minute: int = 0) -> datetime:
    """A Moscow wall-clock moment as an aware UTC datetime."""
    day = date(*day) if isinstance(day, tuple) else day
    return datetime.combine(day, time(hour, minute), MOSCOW).astimezone(timezone.utc)


def timeline_2026(now: datetime) -> dict[str, datetime]:
    """Open since 20 days before `now`; closes at 23:59 Moscow time about 25 days after it."""
    today = now.astimezone(MOSCOW).date()
    close = moscow(today + timedelta(days=25), 23, 59)
    return {"submissions_open_at": moscow(today - timedelta(days=20)), "submissions_close_at": close,
            "review_ends_at": close + timedelta(days=40), "results_planned_at": close + timedelta(days=55)}


TIMELINE_2025 = {
    "submissions_open_at": moscow((2025, 3, 3), 9), "submissions_close_at": moscow((2025, 5, 31), 23, 59),
    "review_ends_at": moscow((2025, 9, 30), 23, 59), "results_planned_at": moscow((2025, 12, 1), 12),
    "results_published_at": moscow((2025, 12, 5), 12),
}
SCREENED_2025 = moscow((2025, 6, 16), 12)
REVIEW_STARTED_2025 = moscow((2025, 7, 1), 10)
DECIDED_2025 = moscow((2025, 12, 4), 18)
REGISTERED_AT = moscow((2025, 2, 17), 10)  # when the demo accounts and organisations "signed up"


# --- a small PDF ---------------------------------------------------------------------------------------------------

def translit(text: str) -> str:
    """Latin letters for Cyrillic text (for the ASCII-only demo PDF)."""
    out = []
    for char in text:
        latin = _TRANSLIT.get(char.lower())
        if latin is None:
            out.append(_PUNCTUATION.get(char, char))
        else:
            out.append(latin.capitalize() if char.isupper() else latin)
    return "".join(out).encode("ascii", "replace").decode("ascii")


def _pdf_string(text: str) -> str:
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def practice_pdf(heading: str, lines: list[str]) -> bytes:
    """A valid one-page A4 PDF (Helvetica, ASCII text) with a correct cross-reference table."""
    ops = ["BT", "/F1 15 Tf", "18 TL", "72 770 Td", _pdf_string(heading) + " Tj", "/F1 11 Tf", "15 TL", "T*"]
    for line in lines:
        for part in textwrap.wrap(line, 80) or [""]:
            ops.append("T* " + _pdf_string(part) + " Tj")
    ops.append("ET")
    content = "\n".join(ops).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Title %s /Producer (Nastavnichestvo portal demo) >>" % _pdf_string(heading).encode("ascii"),
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, len(objects), xref_at)
    return bytes(out)


def entry_pdf(entry: Entry) -> bytes:
    """The demo presentation of an entry: its title, nomination, applicant and numbers, transliterated."""
    region = entry.region.name_en if entry.region else ""
    return practice_pdf(translit(entry.season.title_ru), [
        "Presentation of a mentoring practice", "",
        "Practice: " + translit(entry.title),
        "Nomination: " + entry.nomination.title_en,
        "Applicant: " + translit(entry.applicant_name) + (f" ({region})" if region else ""),
        f"Mentors: {entry.mentors_count or '-'}; mentees: {entry.mentees_count or '-'}; "
        f"since {entry.start_year or '-'}",
        "", translit(entry.summary),
    ])


# --- accounts, organisations, seasons ------------------------------------------------------------------------------

def _user(session: Session, *, email: str, full_name: str, role: str, config: dict, region_code: str | None = None,
          registered_at: datetime) -> User:
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        user = accounts.create_user(session, email=email, password=DEMO_PASSWORD, full_name=full_name, role=role,
                                    config=config, confirmed_at=registered_at)
        user.created_at = user.password_changed_at = registered_at
        user.region_code = region_code
    return user


def _organisation(session: Session, *, user: User, spec: dict, now: datetime) -> Organisation:
    inn = inn_with_check(spec["inn_base"])
    organisation = session.scalar(select(Organisation).where(Organisation.inn == inn))
    if organisation is None:
        data = {key: spec[key] for key in ("name", "short_name", "kind", "region_code", "website")}
        data.update(inn=inn, ogrn=ogrn_with_check(spec["ogrn_base"]))
        organisation = organisations.create_organisation(session, user=user, data=data, now=now)
    return organisation


def _season(session: Session, spec: dict, timeline: dict[str, datetime]) -> Season:
    """The season with this slug, created with its timeline if missing; missing tracks and nominations are added."""
    season = session.scalar(select(Season).where(Season.slug == spec["slug"]))
    if season is None:
        season = Season(slug=spec["slug"], title_ru=spec["title_ru"], title_en=spec["title_en"], year=spec["year"],
                        time_zone="Europe/Moscow", description_ru=spec["description_ru"],
                        description_en=spec["description_en"], created_at=timeline["submissions_open_at"], **timeline)
        session.add(season)
        session.flush()
    for position, (code, title_ru, title_en, nomination_codes) in enumerate(spec["tracks"]):
        track = session.scalar(select(Track).where(Track.season_id == season.id, Track.code == code))
        if track is None:
            track = Track(season_id=season.id, code=code, title_ru=title_ru, title_en=title_en, position=position)
            session.add(track)
            session.flush()
        for order, nomination_code in enumerate(nomination_codes):
            exists = session.scalar(select(Nomination.id).where(Nomination.season_id == season.id,
                                                                Nomination.code == nomination_code))
            if exists is None:
                title_ru, title_en, description_ru, description_en = texts.NOMINATIONS[nomination_code]
                session.add(Nomination(season_id=season.id, track_id=track.id, code=nomination_code,
                                       title_ru=title_ru, title_en=title_en, description_ru=description_ru,
                                       description_en=description_en, position=order))
    session.flush()
    session.refresh(season)
    return season


# --- entries -------------------------------------------------------------------------------------------------------

def _entry_exists(session: Session, season: Season, title: str) -> bool:
    return session.scalar(select(Entry.id).where(Entry.season_id == season.id, Entry.title == title)) is not None


def _build_entry(session: Session, *, season: Season, spec: dict, user: User, organisation: Organisation,
                 moments: dict[str, datetime], config: dict) -> Entry:
    """Start, fill, attach the PDF, submit and withdraw through the services, each at its own moment."""
    nomination = next(n for n in season.nominations if n.code == spec["nomination"])
    started = moments["started"]
    entry = entry_service.start_entry(session, user=user, season=season, nomination=nomination,
                                      organisation=organisation, now=started)
    entry_service.update_entry(session, entry=entry, user=user, data=dict(spec["data"]),
                               now=started + timedelta(hours=1))
    if spec["status"] != "draft" or spec.get("file"):
        uploaded = moments.get("submitted", started + timedelta(hours=2)) - timedelta(minutes=20)
        file_service.upload_file(session, entry=entry, user=user, stream=io.BytesIO(entry_pdf(entry)),
                                 filename=PDF_FILENAME, kind="presentation", storage=get_storage(), config=config,
                                 now=uploaded)
        session.expire(entry, ["files"])  # the service adds the row by id, not through the loaded collection
    if "submitted" in moments:
        entry_service.submit_entry(session, entry=entry, user=user, now=moments["submitted"])
    if "withdrawn" in moments:
        entry_service.withdraw_entry(session, entry=entry, user=user, now=moments["withdrawn"],
                                     reason=spec.get("withdraw_reason", ""))
    session.flush()
    return entry


def _moments_2026(season: Season, now: datetime, days: tuple[int, ...]) -> dict[str, datetime]:
    """Office hours `days` before `now` (started, submitted, withdrawn), kept inside the season's submission window."""
    today = now.astimezone(MOSCOW).date()
    low = season.submissions_open_at + timedelta(days=1)
    high = season.submissions_close_at - timedelta(hours=3)
    steps = (("started", 10, 15), ("submitted", 16, 40), ("withdrawn", 12, 5))
    return {name: min(max(moscow(today - timedelta(days=d), hour, minute), low), high)
            for (name, hour, minute), d in zip(steps, days)}


def _decide_2025(session: Session, *, entry: Entry, outcome: str, award: tuple[str, int | None] | None,
                 organizer: User) -> None:
    """Screening, review and the award decision of a past entry, at their 2025 dates."""
    for target, at in ((EntryStatus.ELIGIBLE, SCREENED_2025), (EntryStatus.IN_REVIEW, REVIEW_STARTED_2025),
                       (EntryStatus(outcome), DECIDED_2025)):
        transition(session, entry=entry, target=target, actor=organizer, now=at)
    if award:
        award_entry(session, entry=entry, tier=award[0], place=award[1], user=organizer, now=DECIDED_2025)


def _seed_library(session: Session, *, past: Season, organizer: User, now: datetime) -> None:
    """The past season's consented winners in the library, and the archive of earlier seasons (idempotent)."""
    publish_season_winners(session, season=past, user=organizer, now=TIMELINE_2025["results_published_at"],
                           storage_for=backend_named)
    with LIBRARY_ARCHIVE.open(encoding="utf-8") as lines:
        reports = import_lines(session, lines, user=None, now=now)
    errors = [r for r in reports if r.status == "error"]
    if errors:
        raise ValueError(f"demo archive line {errors[0].line}: {errors[0].message}")


# --- the whole set -------------------------------------------------------------------------------------------------

def _discard_demo_mail(session: Session, *, after_id: int, emails: set[str]) -> None:
    """Drop the "entry submitted" e-mails the services queued for the fictional demo addresses."""
    session.flush()
    for message in session.scalars(select(OutboxMessage).where(OutboxMessage.id > after_id,
                                                               OutboxMessage.to.in_(emails))):
        session.delete(message)
    session.flush()


def seed_demo(session: Session, *, config: dict, now: datetime) -> list[tuple[str, str]]:
    """Create the demo seasons, accounts, organisations and entries that are missing; return (role, email) pairs."""
    sync_regions(session)
    registered_at = min(REGISTERED_AT, now - timedelta(days=30))
    last_mail = session.scalar(select(func.coalesce(func.max(OutboxMessage.id), 0)))

    users: dict[str, User] = {}
    for spec in texts.STAFF:
        users[spec["email"]] = _user(session, email=spec["email"], full_name=spec["full_name"], role=spec["role"],
                                     config=config, registered_at=registered_at)
    orgs: dict[str, Organisation] = {}
    for spec in texts.APPLICANTS:
        org_spec = spec["organisation"]
        user = _user(session, email=spec["email"], full_name=spec["full_name"], role=Role.APPLICANT.value,
                     config=config, region_code=org_spec["region_code"], registered_at=registered_at)
        users[spec["email"]] = user
        orgs[spec["email"]] = _organisation(session, user=user, spec=org_spec, now=registered_at)

    organizer = users[texts.STAFF[1]["email"]]
    past = _season(session, texts.SEASON_2025, TIMELINE_2025)
    for spec in texts.ENTRIES_2025:
        if _entry_exists(session, past, spec["data"]["title"]):
            continue
        started, submitted = (moscow(day, 11) for day in spec["dates"])
        entry = _build_entry(session, season=past, spec=spec, user=users[spec["owner"]],
                             organisation=orgs[spec["owner"]], config=config,
                             moments={"started": started, "submitted": submitted + timedelta(hours=4)})
        _decide_2025(session, entry=entry, outcome=spec["status"], award=spec.get("award"), organizer=organizer)
    _seed_library(session, past=past, organizer=organizer, now=now)

    current = _season(session, texts.SEASON_2026, timeline_2026(now))
    for spec in texts.ENTRIES_2026:
        if _entry_exists(session, current, spec["data"]["title"]):
            continue
        _build_entry(session, season=current, spec=spec, user=users[spec["owner"]], organisation=orgs[spec["owner"]],
                     moments=_moments_2026(current, now, spec["days"]), config=config)

    _discard_demo_mail(session, after_id=last_mail, emails=set(users))
    session.flush()
    return [(spec["role"], spec["email"]) for spec in texts.STAFF] + [
        (Role.APPLICANT.value, spec["email"]) for spec in texts.APPLICANTS]
