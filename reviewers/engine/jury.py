"""The plain data of jury assignment (entries, jurors, problems, plans) and why a juror may not take an entry.

Every user-facing phrase here is Russian: the organizer's screens show it as is. The engine knows only ids, so a
juror is "эксперт № 5" unless the caller passes `names` ({juror_id: "Иванов И. И."}).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# Words for the organisation keys the app builds ("inn:7707083893", "ogrn:…", "org:12"): what a conflict is called.
_KEY_WORDING = {
    "inn": "та же организация (ИНН {value})",
    "ogrn": "та же организация (ОГРН {value})",
    "ogrnip": "та же организация (ОГРНИП {value})",
    "org": "заявлена связь с организацией заявителя (№ {value})",
}
RECUSED = "самоотвод"


@dataclass(frozen=True, slots=True)
class EntryInfo:
    """An entry to be judged: `pool` is the nomination-and-round key; `organisation_keys` name its applicant."""

    id: int
    pool: str
    organisation_keys: frozenset[str] = frozenset()
    region: str | None = None


@dataclass(frozen=True, slots=True)
class JurorInfo:
    """A juror: the pools it serves, its total cap over them, declared affiliations and regions, and its severity
    (mean offset against the panel from calibration; negative = harsh, None = unknown)."""

    id: int
    pools: frozenset[str]
    cap: int
    affiliation_keys: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    severity: float | None = None


@dataclass(frozen=True, slots=True)
class Problem:
    """Why the assignment cannot be made as asked: `code` is stable, `message` is Russian for the organizer."""

    entry_id: int | None
    juror_id: int | None
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class AssignmentPlan:
    """The outcome of `assign_jurors`: new pairs to create, pairs kept, pairs dropped (recused or now in conflict),
    total loads per juror (kept + new), the number of same-region pairs, and a Russian explanation.

    Invariant: when `problems` is not empty, `new` is empty — nothing is assigned half-way."""

    new: list[tuple[int, int]]
    kept: list[tuple[int, int]]
    problems: list[Problem]
    loads: dict[int, int]
    same_region: int
    explanation: list[str]
    dropped: list[tuple[int, int]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every entry got its jurors."""
        return not self.problems

    @property
    def pairs(self) -> list[tuple[int, int]]:
        """Every (entry_id, juror_id) pair after the plan is applied: kept and new, sorted."""
        return sorted(self.kept + self.new)


def plural(n: int, one: str, few: str, many: str) -> str:
    """The Russian word form for a count: 1 эксперт, 2 эксперта, 5 экспертов, 21 эксперт."""
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def juror_label(juror_id: int, names: Mapping[int, str] | None = None) -> str:
    """The juror as the organizer reads it: its name when known, else "эксперт № 5"."""
    if names and juror_id in names:
        return names[juror_id]
    return f"эксперт № {juror_id}"


def conflict_wording(key: str) -> str:
    """A conflicting organisation key in words: "inn:7707083893" → "та же организация (ИНН 7707083893)"."""
    kind, _, value = key.partition(":")
    template = _KEY_WORDING.get(kind)
    return template.format(value=value) if template and value else f"конфликт интересов ({key})"


def conflict_keys(entry: EntryInfo, juror: JurorInfo) -> list[str]:
    """The organisation keys the entry and the juror share, sorted (INN first): empty means no conflict."""
    return sorted(entry.organisation_keys & juror.affiliation_keys)


def ineligibility_reason(entry: EntryInfo, juror: JurorInfo, *, recused: bool = False,
                         load: int | None = None) -> str | None:
    """Why this juror may not be given this entry, in Russian, or None when it may: outside the pool, same
    organisation, recused, or (when its current `load` is given) its cap reached. Hard rules come first."""
    if entry.pool not in juror.pools:
        return "не входит в пул номинации"
    shared = conflict_keys(entry, juror)
    if shared:
        return conflict_wording(shared[0])
    if recused:
        return RECUSED
    if load is not None and load >= juror.cap:
        return f"нет свободных мест (лимит {juror.cap})"
    return None


def entry_list(entry_ids: list[int], limit: int = 20) -> str:
    """"№ 3, № 5, № 8" — at most `limit` ids, then "и ещё N"."""
    shown = ", ".join(f"№ {e}" for e in entry_ids[:limit])
    rest = len(entry_ids) - limit
    return shown + (f" и ещё {rest}" if rest > 0 else "")

