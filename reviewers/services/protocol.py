"""The results protocol of one nomination of a round: every juror's score per criterion, the weighted totals, the raw
and normalised means, spread, flags, ranks with their tie-breaks, decisions and awards with reasons; a header with
the rubric and counts, and a SHA-256 of the data so two generations from the same data can be compared.

An internal document for the organizers: jurors are named whatever the round's blindness."""
from __future__ import annotations

import hashlib
import json
from dataclasses import astuple, dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Award, Nomination, Organisation
from portal.services.audit_queries import AuditFilter, audit_sheet
from portal.services.entry_exports import Sheet, moscow, to_xlsx
from portal.vocabularies import award_title
from reviewers.models import Decision, Round
from reviewers.services.awarding import NO_AWARD, latest_reasons
from reviewers.services.results import NominationResult, compute_results

DIGITS = 4  # the protocol's numbers are rounded here, so the hash does not depend on the last bits of a float


@dataclass(frozen=True)
class CriterionLine:
    id: int
    title: str
    weight: float
    scale_min: float
    scale_max: float
    scale_step: float
    retired: bool


@dataclass(frozen=True)
class ScoreLine:
    juror_id: int
    juror_name: str
    scores: dict[int, float]  # criterion id → value
    weighted: float  # the review's weighted total, 0–100
    normalised: float


@dataclass
class ProtocolRow:
    entry_id: int
    title: str
    applicant: str
    rank: int | None
    assigned: int
    reviews: list[ScoreLine]
    raw_mean: float | None
    normalised_mean: float | None
    spread: float | None
    flagged: bool
    tie_explanation: str
    decision: str  # "advance" / "hold" / ""
    decision_reason: str
    award: str  # the award's title, «без награды», or ""
    award_reason: str


@dataclass
class Protocol:
    season: str
    round_number: int
    round_title: str
    nomination_id: int
    nomination: str
    rubric: str
    criteria: list[CriterionLine]
    tie_break: list[str]
    disagreement_threshold: float
    alpha: float | None
    rows: list[ProtocolRow]
    severity: dict[int, tuple[str, int, float | None]]  # juror id → (name, reviews here, offset in the round)
    generated_at: datetime
    counts: dict[str, int] = field(default_factory=dict)
    data_hash: str = ""


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, DIGITS)


def build_protocol(session: Session, *, round: Round, nomination: Nomination, now: datetime) -> Protocol:
    """The protocol of `nomination` in `round`, computed from the stored reviews, decisions and awards."""
    results = compute_results(session, round=round)
    group = next((n for n in results.nominations if n.nomination.id == nomination.id),
                 NominationResult(nomination, [], None))
    ids = [r.entry.id for r in group.rows]
    org_ids = {r.entry.organisation_id for r in group.rows if r.entry.organisation_id}
    organisations = {org_id: short_name or name for org_id, short_name, name in session.execute(
        select(Organisation.id, Organisation.short_name, Organisation.name).where(Organisation.id.in_(org_ids)))} \
        if org_ids else {}
    awards = {a.entry_id: a for a in session.scalars(select(Award).where(Award.entry_id.in_(ids)))} if ids else {}
    declines = {d.entry_id for d in session.scalars(select(Decision).where(
        Decision.kind == NO_AWARD, Decision.entry_id.in_(ids)))} if ids else set()
    reasons = latest_reasons(session, results) if ids else {}
    decision_reasons = {(d.entry_id, d.kind): d.reason for d in session.scalars(select(Decision).where(
        Decision.round_id == round.id, Decision.kind.in_(("advance", "hold")), Decision.entry_id.in_(ids)))} \
        if ids else {}
    rows = []
    for r in group.rows:
        entry = r.entry
        org = entry.organisation_id
        applicant = organisations.get(org) if org else entry.created_by.full_name
        award = awards.get(entry.id)
        award_text = award_title(award.tier, award.place) if award else (_("без награды") if entry.id in declines
                                                                          else "")
        rows.append(ProtocolRow(
            entry.id, entry.title, applicant or "", r.rank, r.assigned,
            [ScoreLine(line.juror_id, line.juror_name, {c: float(v) for c, v in sorted(line.scores.items())},
                       _r(line.raw), _r(line.normalised))
             for line in sorted(r.reviews, key=lambda line: (line.juror_name, line.juror_id))],
            _r(r.raw_mean), _r(r.normalised_mean), _r(r.spread), r.flagged, r.tie_explanation or "",
            r.decision or "", decision_reasons.get((entry.id, r.decision), ""), award_text,
            reasons.get(entry.id, "") if award_text else ""))
    here: dict[int, int] = {}
    for row in rows:
        for line in row.reviews:
            here[line.juror_id] = here.get(line.juror_id, 0) + 1
    severity = {j: (results.juror_names.get(j, str(j)), n, _r(results.severity.get(j, (None, 0))[0]))
                for j, n in sorted(here.items(), key=lambda item: (results.juror_names.get(item[0], ""), item[0]))}
    titles = {c.id: c.title_ru for c in round.rubric.criteria}
    protocol = Protocol(
        season=round.season.title_ru, round_number=round.number, round_title=round.title,
        nomination_id=nomination.id, nomination=nomination.title_ru, rubric=round.rubric.title,
        criteria=[CriterionLine(c.id, c.title_ru, c.weight, c.scale_min, c.scale_max, c.scale_step, c.retired)
                  for c in round.rubric.criteria],
        tie_break=[titles.get(c, str(c)) for c in (round.tie_break_criteria or [])],
        disagreement_threshold=round.disagreement_threshold, alpha=_r(group.alpha), rows=rows, severity=severity,
        generated_at=now,
        counts={"entries": len(rows), "ranked": sum(1 for r in rows if r.rank is not None),
                "reviews": sum(len(r.reviews) for r in rows), "assigned": sum(r.assigned for r in rows),
                "jurors": len(severity), "flagged": sum(1 for r in rows if r.flagged),
                "awards": len(awards)})
    protocol.data_hash = data_hash(protocol)
    return protocol


def data_hash(protocol: Protocol) -> str:
    """SHA-256 of everything in the protocol except the moment it was generated (canonical JSON; built by hand, as
    `dataclasses.asdict` is slow at tens of thousands of rows)."""
    rows = [[r.entry_id, r.title, r.applicant, r.rank, r.assigned,
             [[line.juror_id, line.juror_name, sorted(line.scores.items()), line.weighted, line.normalised]
              for line in r.reviews],
             r.raw_mean, r.normalised_mean, r.spread, r.flagged, r.tie_explanation, r.decision, r.decision_reason,
             r.award, r.award_reason] for r in protocol.rows]
    data = [protocol.season, protocol.round_number, protocol.round_title, protocol.nomination_id, protocol.nomination,
            protocol.rubric, [astuple(c) for c in protocol.criteria], protocol.tie_break,
            protocol.disagreement_threshold, protocol.alpha, rows, sorted(protocol.severity.items()),
            sorted(protocol.counts.items())]
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- tables -----------------------------------------------------------------------------------------------------------

def decision_label(code: str) -> str:
    return {"advance": _("проходит (решение)"), "hold": _("не проходит (решение)")}.get(code, "")


def header_lines(protocol: Protocol) -> list[tuple[str, str]]:
    """(label, value) pairs of the protocol's header."""
    counts = protocol.counts
    return [
        (_("Сезон"), protocol.season),
        (_("Раунд"), f"{protocol.round_number}. {protocol.round_title}"),
        (_("Номинация"), protocol.nomination),
        (_("Рубрика"), protocol.rubric),
        (_("Порядок разрешения равенства"), "; ".join(protocol.tie_break) or _("по дате подачи заявки")),
        (_("Порог расхождения (σ, баллы из 100)"), f"{protocol.disagreement_threshold:g}"),
        (_("Согласованность экспертов (α Криппендорфа)"),
         "—" if protocol.alpha is None else f"{protocol.alpha:.3f}".replace(".", ",")),
        (_("Заявок"), str(counts["entries"])),
        (_("Заявок с местом"), str(counts["ranked"])),
        (_("Оценок (назначено)"), f"{counts['reviews']} ({counts['assigned']})"),
        (_("Экспертов"), str(counts["jurors"])),
        (_("С расхождением"), str(counts["flagged"])),
        (_("Наград"), str(counts["awards"])),
        (_("Сформирован (МСК)"), moscow(protocol.generated_at).strftime("%d.%m.%Y %H:%M:%S")),
        (_("SHA-256 данных"), protocol.data_hash),
    ]


def summary_header() -> list[str]:
    return [_("Место"), _("№ заявки"), _("Название"), _("Заявитель"), _("Оценок"), _("Назначено"),
            _("Средний балл (исходный)"), _("Средний балл (нормированный)"), _("Разброс (σ)"), _("Расхождение"),
            _("Разрешение равенства"), _("Решение"), _("Основание решения"), _("Награда"), _("Основание награды")]


def summary_rows(protocol: Protocol) -> list[list]:
    return [[r.rank, r.entry_id, r.title, r.applicant, len(r.reviews), r.assigned, r.raw_mean, r.normalised_mean,
             r.spread, _("да") if r.flagged else "", r.tie_explanation, decision_label(r.decision),
             r.decision_reason, r.award, r.award_reason] for r in protocol.rows]


def scores_header() -> list[str]:
    return [_("№ заявки"), _("Название"), _("Эксперт"), _("Критерий"), _("Вес"), _("Шкала"), _("Балл"),
            _("Итог эксперта (0–100)"), _("Итог эксперта (нормированный)")]


def score_rows(protocol: Protocol) -> list[list]:
    criteria = {c.id: c for c in protocol.criteria}
    rows = []
    for row in protocol.rows:
        for line in row.reviews:
            for criterion_id, value in line.scores.items():
                c = criteria.get(criterion_id)
                rows.append([row.entry_id, row.title, line.juror_name, c.title if c else str(criterion_id),
                             c.weight if c else None, f"{c.scale_min:g}–{c.scale_max:g}" if c else "", value,
                             line.weighted, line.normalised])
    return rows


def jurors_header() -> list[str]:
    return [_("Эксперт"), _("Оценок в номинации"), _("Смещение относительно коллег (баллы из 100)")]


def protocol_sheets(protocol: Protocol) -> list[Sheet]:
    """«Протокол» (the header and the rubric), «Итоги», «Оценки», «Эксперты»."""
    head = [[label, value] for label, value in header_lines(protocol)]
    head.append(["", ""])
    head += [[_("Критерий: {title}").format(title=c.title),
              _("вес {weight:g}, шкала {low:g}–{high:g}, шаг {step:g}").format(
                  weight=c.weight, low=c.scale_min, high=c.scale_max, step=c.scale_step)
              + (_(" (выведен из рубрики)") if c.retired else "")] for c in protocol.criteria]
    return [
        Sheet(_("Протокол"), [_("Поле"), _("Значение")], head, widths=(44, 90)),
        Sheet(_("Итоги"), summary_header(), summary_rows(protocol),
              widths=(8, 10, 44, 36, 8, 10, 14, 14, 12, 12, 50, 20, 36, 24, 40)),
        Sheet(_("Оценки"), scores_header(), score_rows(protocol), widths=(10, 44, 28, 36, 8, 10, 8, 14, 14)),
        Sheet(_("Эксперты"), jurors_header(), [[name, n, offset] for name, n, offset in protocol.severity.values()],
              widths=(32, 16, 24)),
    ]


def journal_sheet(session: Session, *, round: Round, protocol: Protocol) -> Sheet:
    """The audit log of the nomination's entries and of the round, as «Журнал»."""
    sheet = audit_sheet(session, filters=AuditFilter(objects={"entry": [r.entry_id for r in protocol.rows],
                                                             "round": [round.id]}))
    return Sheet(_("Журнал"), sheet.header, sheet.rows, sheet.widths)


def protocol_xlsx(session: Session, *, round: Round, protocol: Protocol) -> bytes:
    """The protocol as an XLSX workbook, the audit log included."""
    return to_xlsx(*protocol_sheets(protocol), journal_sheet(session, round=round, protocol=protocol))
