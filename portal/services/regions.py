"""The federal subjects of Russia, shipped as data in `portal/data/regions.csv`, and their sync into the database."""
from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from portal.models import Region

REGIONS_CSV = Path(__file__).resolve().parent.parent / "data" / "regions.csv"

REGION_FIELDS = ("code", "name_ru", "name_en", "time_zone", "federal_district")

# Code → (Russian name, English name). The Crimea and Sevastopol belong to the Southern district by decree (2016);
# no decree has yet placed the DNR, LNR, Zaporozhye and Kherson oblasts in a federal district, so their
# district is left empty (None) rather than guessed.
FEDERAL_DISTRICTS: dict[str, tuple[str, str]] = {
    "CFD": ("Центральный федеральный округ", "Central Federal District"),
    "NWFD": ("Северо-Западный федеральный округ", "Northwestern Federal District"),
    "SFD": ("Южный федеральный округ", "Southern Federal District"),
    "NCFD": ("Северо-Кавказский федеральный округ", "North Caucasian Federal District"),
    "VFD": ("Приволжский федеральный округ", "Volga Federal District"),
    "UFD": ("Уральский федеральный округ", "Ural Federal District"),
    "SibFD": ("Сибирский федеральный округ", "Siberian Federal District"),
    "FEFD": ("Дальневосточный федеральный округ", "Far Eastern Federal District"),
}


@cache
def load_region_rows() -> list[dict]:
    """Read the rows of `regions.csv` (cached; do not mutate the returned dicts)."""
    with REGIONS_CSV.open(encoding="utf-8", newline="") as handle:
        rows = [{field: row[field].strip() for field in REGION_FIELDS} for row in csv.DictReader(handle)]
    for row in rows:
        row["federal_district"] = row["federal_district"] or None
    return rows


def sync_regions(session) -> int:
    """Upsert every region of the CSV; return how many rows were inserted or changed. Flushes, never commits."""
    changed = 0
    for row in load_region_rows():
        region = session.get(Region, row["code"])
        if region is None:
            session.add(Region(**row))
            changed += 1
            continue
        dirty = False
        for field in REGION_FIELDS[1:]:
            if getattr(region, field) != row[field]:
                setattr(region, field, row[field])
                dirty = True
        changed += dirty
    session.flush()
    return changed
