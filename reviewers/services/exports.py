"""Rankings as CSV (UTF-8 with BOM, so Excel opens Cyrillic) and XLSX, through the shared table writer."""
from __future__ import annotations

from portal.services.entry_exports import Sheet, to_csv, to_xlsx
from reviewers.services.results import RoundResults

HEADER = ["Номинация", "Место", "№ заявки", "Название", "Заявитель", "Регион", "Оценок", "Назначено",
          "Средний балл (исходный)", "Средний балл (нормированный)", "Разброс (σ)", "Расхождение", "Решение",
          "Разрешение равенства"]


def ranking_rows(results: RoundResults) -> list[list]:
    rows = []
    for nomination in results.nominations:
        for row in nomination.rows:
            entry = row.entry
            rows.append([
                nomination.nomination.title_ru, row.rank, entry.id, entry.title, entry.applicant_name,
                entry.region.name_ru if entry.region else "", len(row.reviews), row.assigned,
                _round(row.raw_mean), _round(row.normalised_mean), _round(row.spread), "да" if row.flagged else "",
                {"advance": "проходит (решение)", "hold": "не проходит (решение)"}.get(row.decision or "", ""),
                row.tie_explanation or "",
            ])
    return rows


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


SEVERITY_HEADER = ["Эксперт", "Оценок", "Смещение относительно коллег (баллы из 100)"]


def rankings_csv(results: RoundResults) -> bytes:
    return to_csv(Sheet("Рейтинг", HEADER, ranking_rows(results)))


def rankings_xlsx(results: RoundResults) -> bytes:
    severity = [[results.juror_names.get(juror_id, str(juror_id)), count, round(offset, 2)]
                for juror_id, (offset, count) in sorted(results.severity.items(), key=lambda item: item[1][0])]
    return to_xlsx(Sheet("Рейтинг", HEADER, ranking_rows(results)), Sheet("Эксперты", SEVERITY_HEADER, severity))
