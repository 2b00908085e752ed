"""Rankings as CSV (UTF-8 with BOM, so Excel opens Cyrillic) and XLSX."""
from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font

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


def rankings_csv(results: RoundResults) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(HEADER)
    for row in ranking_rows(results):
        writer.writerow(["" if v is None else str(v).replace(".", ",") if isinstance(v, float) else v for v in row])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def rankings_xlsx(results: RoundResults) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Рейтинг"
    sheet.append(HEADER)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in ranking_rows(results):
        sheet.append(row)
    severity = workbook.create_sheet("Эксперты")
    severity.append(["Эксперт", "Оценок", "Смещение относительно коллег (баллы из 100)"])
    for cell in severity[1]:
        cell.font = Font(bold=True)
    for juror_id, (offset, count) in sorted(results.severity.items(), key=lambda item: item[1][0]):
        severity.append([results.juror_names.get(juror_id, str(juror_id)), count, round(offset, 2)])
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
