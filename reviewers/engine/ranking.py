"""Ranking within a nomination with the tie-break rules declared on the round before judging (SPEC §9.5), and a
Russian explanation of every tie broken.

Scores are compared rounded to 2 decimals (what the protocol shows). Equal scores are separated by the criterion
means in the declared priority (also rounded to 2 decimals; higher is better), then, when the round says so, by the
earlier submission, then by the position the chair decided (recorded by the organizer; lower is better). Entries
still equal share a rank (competition ranking: 1, 2, 2, 4) and are marked `needs_chair`.
"""
from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class RankInput:
    """An entry to rank: its score, its mean per criterion, when it was submitted, the chair's recorded position."""

    entry_id: Hashable
    score: float
    criterion_means: Mapping[Hashable, float]
    submitted_at: datetime
    chair_position: int | None = None


@dataclass(frozen=True, slots=True)
class Ranked:
    """An entry's rank; `tie_broken_by` is "criterion:<id>", "submitted_at" or "chair" when a tie was broken."""

    entry_id: Hashable
    rank: int
    score: float
    tie_broken_by: str | None
    explanation: str | None
    needs_chair: bool = False


@dataclass(slots=True)
class _Event:
    """One split of a tied set that an entry took part in."""

    stage: tuple
    mine: object
    better: list
    worse: list


def rank_entries(items: Iterable[RankInput], *, criterion_priority: Sequence[Hashable], by_submission_time: bool = True,
                 criterion_titles: Mapping[Hashable, str] | None = None) -> list[Ranked]:
    """Rank by score (2 decimals), breaking ties by the declared rules; best first, shared ranks by entry id."""
    items = list(items)
    seen = set()
    for item in items:
        if item.entry_id in seen:
            raise ValueError(f"entry {item.entry_id!r} given twice")
        seen.add(item.entry_id)
        missing = [c for c in criterion_priority if c not in item.criterion_means]
        if missing:
            raise ValueError(f"entry {item.entry_id!r} has no mean for criteria {missing!r}")
    keyed = sorted((-round(i.score, 2), _order(i.entry_id), n) for n, i in enumerate(items))
    stages = [("criterion", c) for c in criterion_priority] + ([("submitted_at",)] if by_submission_time else [])
    stages.append(("chair",))
    titles = criterion_titles or {}

    ranked: list[Ranked] = []
    start = 0
    while start < len(keyed):
        end = start + 1
        while end < len(keyed) and keyed[end][0] == keyed[start][0]:
            end += 1
        if end - start == 1:
            item = items[keyed[start][2]]
            ranked.append(Ranked(item.entry_id, start + 1, item.score, None, None))
        else:
            tied = [items[k[2]] for k in keyed[start:end]]  # in id order, and every subset below keeps it
            events: dict[Hashable, list[_Event]] = {i.entry_id: [] for i in tied}
            blocks: list[tuple[list[RankInput], str | None]] = []
            _split(tied, stages, 0, events, blocks)
            position = start
            for block, decided_by in blocks:
                shared = len(block) > 1
                for item in block:
                    text = _explain(item, tied, events[item.entry_id], shared, by_submission_time, titles)
                    ranked.append(Ranked(item.entry_id, position + 1, item.score, None if shared else decided_by,
                                         text, needs_chair=shared))
                position += len(block)
        start = end
    return ranked


def _order(entry_id: Hashable) -> tuple:
    """A total order over ids of mixed types (ints before strings), for stable output."""
    return (0, entry_id, "") if isinstance(entry_id, int) else (1, 0, str(entry_id))


def _key(item: RankInput, stage: tuple):
    if stage[0] == "criterion":
        return -round(item.criterion_means[stage[1]], 2)
    if stage[0] == "submitted_at":
        return item.submitted_at
    return item.chair_position


def _split(tied: list[RankInput], stages: list[tuple], at: int, events, blocks) -> None:
    """Split `tied` by stage `at` onward, appending (block, stage name) in rank order; a block of more than one
    entry is a tie nothing could break."""
    if at == len(stages):
        blocks.append((tied, None))
        return
    stage = stages[at]
    if stage[0] == "chair" and any(i.chair_position is None for i in tied):
        blocks.append((tied, None))
        return
    keys = {i.entry_id: _key(i, stage) for i in tied}
    distinct = sorted(set(keys.values()))
    if len(distinct) == 1:
        _split(tied, stages, at + 1, events, blocks)
        return
    name = f"criterion:{stage[1]}" if stage[0] == "criterion" else stage[0]
    for value in distinct:
        part = [i for i in tied if keys[i.entry_id] == value]
        for item in part:
            events[item.entry_id].append(_Event(stage, _shown(item, stage),
                                                 [o for o in tied if keys[o.entry_id] < value],
                                                 [o for o in tied if keys[o.entry_id] > value]))
        if len(part) == 1:
            blocks.append((part, name))
        else:
            _split(part, stages, at + 1, events, blocks)


def _shown(item: RankInput, stage: tuple) -> str:
    if stage[0] == "criterion":
        return number(item.criterion_means[stage[1]])
    if stage[0] == "submitted_at":
        return moment(item.submitted_at)
    return str(item.chair_position)


def number(value: float) -> str:
    """84.2 → "84,20" (two decimals, Russian comma)."""
    return f"{value:.2f}".replace(".", ",")


def moment(value: datetime) -> str:
    """"01.03.2026 10:15:00 MSK": the time as given (pass it in the season's time zone) with its zone's name."""
    zone = value.tzname()
    return value.strftime("%d.%m.%Y %H:%M:%S") + (f" {zone}" if zone else "")


def _entries(items: list[RankInput], case: str) -> str:
    """"заявки № 7" / "заявок № 7, № 9" (genitive) or "заявкой № 7" / "заявками № 7, № 9" (instrumental); the
    items come in id order."""
    ids = ", ".join(f"№ {i.entry_id}" for i in items)
    one, many = {"genitive": ("заявки", "заявок"), "instrumental": ("заявкой", "заявками")}[case]
    return f"{one if len(items) == 1 else many} {ids}"


def _explain(item, tied, events, shared, by_submission_time, titles) -> str:
    """"Равный балл 84,20 с заявкой № 7: выше по критерию «Результативность» (8,67 против 8,33)"."""
    others = [o for o in tied if o.entry_id != item.entry_id]
    pair = len(others) == 1
    phrases = []
    for event in events:
        for direction, group in (("ниже", event.better), ("выше", event.worse)):
            if not group:
                continue
            whom = "" if pair else f" {_entries(group, 'genitive')}"
            theirs = " и ".join(dict.fromkeys(_shown(o, event.stage) for o in group))
            stage = event.stage
            if stage[0] == "criterion":
                title = titles.get(stage[1], str(stage[1]))
                phrases.append(f"{direction}{whom} по критерию «{title}» ({event.mine} против {theirs})")
            elif stage[0] == "submitted_at":
                when = "позже" if direction == "ниже" else "раньше"
                phrases.append(f"подана {when}{whom} ({event.mine} против {theirs})")
            else:
                phrases.append(f"{direction}{whom} по решению председателя (место {event.mine} против {theirs})")
    if shared:
        basis = "критериям и времени подачи" if by_submission_time else "критериям"
        if pair:
            phrases.append(f"по {basis} заявки не различаются, место определяет председатель жюри")
        else:
            phrases.append(f"по {basis} не отличается от {_entries(_same_block(item, tied, events), 'genitive')}, "
                           f"место определяет председатель жюри")
    return f"Равный балл {number(item.score)} с {_entries(others, 'instrumental')}: " + "; ".join(phrases)


def _same_block(item, tied, events) -> list[RankInput]:
    """The entries still tied with `item` after every split it went through."""
    rest = [o for o in tied if o.entry_id != item.entry_id]
    for event in events:
        apart = {o.entry_id for o in event.better + event.worse}
        rest = [o for o in rest if o.entry_id not in apart]
    return rest
