"""Publishing a season's results: the preview of exactly what becomes public, then one action that moves every entry
still under review to its final status, publishes consenting winners in the library and tells every applicant.

Before publication an award decided by the organizers is an `Award` row on an entry still `in_review` or
`shortlisted` (the applicant sees nothing of it); publication is the only moment those entries become `awarded` or
`not_awarded`. The jury's side knows which entries were finalists and which were explicitly left without an award
(`finalist_ids`, `declined_ids`); without them, the finalists are the shortlisted entries (or, in a season without a
shortlist, the entries under review)."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from portal.models import Award, Entry, EntryStatus, LibraryItem, LibraryStatus, Nomination, Season, User
from portal.services import audit
from portal.services.entry_states import transition
from portal.services.errors import Conflict
from portal.services.library import publish_season_winners
from portal.services.library_queries import ResultRow, season_results
from portal.services.mail import queue_mail, recipient_locale
from portal.views_util import public_url
from portal.vocabularies import ENTRY_STATUSES, award_title

UNDER_REVIEW = (EntryStatus.IN_REVIEW.value, EntryStatus.SHORTLISTED.value)
# Applicants told the results: every entry that took part (screened), whatever it ended with.
NOTIFIED = (EntryStatus.AWARDED.value, EntryStatus.NOT_AWARDED.value, EntryStatus.INELIGIBLE.value)
PREVIEW_UNDECIDED_LIMIT = 50


@dataclass(frozen=True)
class PreviewRow:
    result: ResultRow
    library: str            # "new": goes to the library now; "listed": already there; "none": stays out
    library_note: str | None  # why it stays out (no consent), in words for the organizer


@dataclass
class PublicationPreview:
    season: Season
    nominations: list[tuple[Nomination, list[PreviewRow]]]
    undecided: list[Entry]          # finalists without a decision (at most PREVIEW_UNDECIDED_LIMIT of them)
    undecided_count: int
    not_awarded: int                # entries under review that will end without an award
    applicants: int                 # e-mails to be sent (one per applicant)
    published: bool

    @property
    def awards(self) -> int:
        return sum(len(rows) for _n, rows in self.nominations)

    @property
    def hidden(self) -> int:
        return sum(1 for _n, rows in self.nominations for r in rows if not r.result.public)

    @property
    def library_new(self) -> int:
        return sum(1 for _n, rows in self.nominations for r in rows if r.library == "new")


@dataclass
class PublicationSummary:
    awarded: int = 0
    not_awarded: int = 0
    library_items: list[LibraryItem] = field(default_factory=list)
    mails: int = 0


def default_finalists(session: Session, season: Season) -> set[int]:
    """The shortlisted entries of the season, or its entries under review when nothing was shortlisted."""
    for status in (EntryStatus.SHORTLISTED.value, EntryStatus.IN_REVIEW.value):
        ids = set(session.scalars(select(Entry.id).where(Entry.season_id == season.id, Entry.status == status)))
        if ids:
            return ids
    return set()


def undecided_ids(session: Session, *, season: Season, finalist_ids: Collection[int] | None,
                  declined_ids: Collection[int]) -> list[int]:
    """Finalists still under review with neither an award nor a recorded decision to give none, by id."""
    finalists = default_finalists(session, season) if finalist_ids is None else set(finalist_ids)
    if not finalists:
        return []
    awarded = set(session.scalars(select(Award.entry_id).where(Award.season_id == season.id)))
    open_ids = set(session.scalars(select(Entry.id).where(Entry.season_id == season.id,
                                                          Entry.status.in_(UNDER_REVIEW))))
    return sorted((finalists & open_ids) - awarded - set(declined_ids))


def preview_publication(session: Session, *, season: Season, finalist_ids: Collection[int] | None = None,
                        declined_ids: Collection[int] = ()) -> PublicationPreview:
    """Exactly what the results page will show (the rows of `season_results`), which practices go to the library,
    what stays hidden and why, and what still blocks publication."""
    groups = season_results(session, season)
    entry_ids = [r.entry.id for _n, rows in groups for r in rows]
    listed = set(session.scalars(select(LibraryItem.entry_id).where(
        LibraryItem.entry_id.in_(entry_ids), LibraryItem.status == LibraryStatus.PUBLISHED.value))) if entry_ids else set()
    nominations = []
    for nomination, rows in groups:
        out = []
        for row in rows:
            if row.entry.id in listed:
                out.append(PreviewRow(row, "listed", None))
            elif row.public:
                out.append(PreviewRow(row, "new", None))
            else:
                out.append(PreviewRow(row, "none", _("Заявитель не дал согласия на публикацию практики.")))
        nominations.append((nomination, out))
    waiting = undecided_ids(session, season=season, finalist_ids=finalist_ids, declined_ids=declined_ids)
    shown = waiting[:PREVIEW_UNDECIDED_LIMIT]
    undecided = list(session.scalars(select(Entry).where(Entry.id.in_(shown)).order_by(Entry.id))) if shown else []
    awarded = {r.result.entry.id for _n, rows in nominations for r in rows}
    under_review = set(session.scalars(select(Entry.id).where(Entry.season_id == season.id,
                                                              Entry.status.in_(UNDER_REVIEW))))
    applicants = session.scalar(select(func.count(func.distinct(Entry.created_by_id))).where(
        Entry.season_id == season.id, Entry.status.in_(UNDER_REVIEW + NOTIFIED)))
    return PublicationPreview(season=season, nominations=nominations, undecided=undecided,
                              undecided_count=len(waiting), not_awarded=len(under_review - awarded), applicants=applicants,
                              published=season.results_published_at is not None)


def publish_results(session: Session, *, season: Season, user: User | None, now: datetime, storage_for,
                    comments_by_entry: dict[int, list[str]], finalist_ids: Collection[int] | None = None,
                    declined_ids: Collection[int] = (), timeout_s: float = 10.0) -> PublicationSummary:
    """Make the season's results public at `now`: entries with an award become `awarded`, every other entry under
    review `not_awarded`; consenting winners go to the library; one e-mail per applicant with each entry's status,
    award and the jury's comments for the applicant (`comments_by_entry`, never the private ones). Refused when the
    results are already published or a finalist has no decision. Once only."""
    season = session.scalar(select(Season).where(Season.id == season.id).with_for_update().execution_options(
        populate_existing=True))
    if season.results_published_at is not None:
        raise Conflict(_("Итоги сезона уже опубликованы."))
    waiting = undecided_ids(session, season=season, finalist_ids=finalist_ids, declined_ids=declined_ids)
    if waiting:
        shown = ", ".join(f"№ {i}" for i in waiting[:10]) + (" …" if len(waiting) > 10 else "")
        raise Conflict(_("Не по всем финалистам принято решение (%(n)d): %(ids)s.", n=len(waiting), ids=shown),
                       undecided=waiting)
    awards = {a.entry_id: a for a in session.scalars(select(Award).where(Award.season_id == season.id))}
    stray = sorted(a.entry_id for a in awards.values()
                   if a.entry.status not in UNDER_REVIEW + (EntryStatus.AWARDED.value,))
    if stray:
        raise Conflict(_("Награды назначены заявкам, которые не проходили экспертизу: %(ids)s.",
                         ids=", ".join(f"№ {i}" for i in stray[:10])))
    summary = PublicationSummary()
    entries = session.scalars(select(Entry).where(Entry.season_id == season.id,
                                                  Entry.status.in_(UNDER_REVIEW + NOTIFIED))
                              .options(selectinload(Entry.created_by)).order_by(Entry.id)).all()
    reason = _("Итоги опубликованы")
    for entry in entries:
        if entry.status not in UNDER_REVIEW:
            continue
        if entry.id in awards:
            transition(session, entry=entry, target=EntryStatus.AWARDED, actor=user, now=now, reason=reason)
            summary.awarded += 1
        else:
            transition(session, entry=entry, target=EntryStatus.NOT_AWARDED, actor=user, now=now, reason=reason)
            summary.not_awarded += 1
    season.results_published_at = now
    session.flush()
    summary.library_items = publish_season_winners(session, season=season, user=user, now=now,
                                                   storage_for=storage_for, timeout_s=timeout_s)
    summary.mails = notify_applicants(session, season=season, entries=entries, awards=awards,
                                      comments_by_entry=comments_by_entry, now=now)
    audit.record(session, actor=user, action="season.publish_results", object_type="season", object_id=season.id,
                 before={"results_published_at": None},
                 after={"results_published_at": now.isoformat(), "awarded": summary.awarded,
                        "not_awarded": summary.not_awarded, "library": len(summary.library_items),
                        "mails": summary.mails}, now=now)
    session.flush()
    return summary


def notify_applicants(session: Session, *, season: Season, entries: list[Entry], awards: dict[int, Award],
                      comments_by_entry: dict[int, list[str]], now: datetime) -> int:
    """Queue one e-mail per applicant (the entries' creator), in their language, listing each of their entries."""
    by_creator: dict[int, list[Entry]] = defaultdict(list)
    for entry in entries:
        by_creator[entry.created_by_id].append(entry)
    results_link = public_url("public.results", slug=season.slug)
    by_locale: dict[str, list[list[Entry]]] = defaultdict(list)
    for own in by_creator.values():
        creator = own[0].created_by
        by_locale[recipient_locale(creator)].append(own)
    for locale, groups in by_locale.items():
        with force_locale(locale):  # once per language, not per applicant
            season_title = season.title(locale)
            statuses = {code: str(label) for code, label in ENTRY_STATUSES.items()}
            subjects = (_("Итоги конкурса «%(season)s»: поздравляем!", season=season_title),
                        _("Итоги конкурса «%(season)s»", season=season_title))
            for own in groups:
                creator = own[0].created_by
                lines = [{"entry": e, "status": statuses.get(e.status, e.status),
                          "award": award_title(awards[e.id].tier, awards[e.id].place, locale) if e.id in awards else "",
                          "comments": [c for c in comments_by_entry.get(e.id, []) if c.strip()],
                          "link": public_url("applicant.entry_overview", entry_id=e.id)} for e in own]
                won = any(e.id in awards and e.status == EntryStatus.AWARDED.value for e in own)
                queue_mail(session, to=creator.email, subject=subjects[0] if won else subjects[1],
                           template="results_published", user=creator, season=season, season_title=season_title,
                           lines=lines, results_link=results_link, now=now)
    return len(by_creator)

