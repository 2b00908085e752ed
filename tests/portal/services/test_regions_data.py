"""Tests of the shipped region data `portal/data/regions.csv` (read directly; no database, no app)."""
from __future__ import annotations

import csv
import re
import zoneinfo
from collections import Counter
from pathlib import Path

import pytest

REGIONS_CSV = Path(__file__).resolve().parents[3] / "portal" / "data" / "regions.csv"
HEADER = ["code", "name_ru", "name_en", "time_zone", "federal_district"]
DISTRICTS = {"CFD", "NWFD", "SFD", "NCFD", "VFD", "UFD", "SibFD", "FEFD"}


@pytest.fixture(scope="module")
def rows():
    with REGIONS_CSV.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == HEADER
        return list(reader)


@pytest.fixture(scope="module")
def by_code(rows):
    return {row["code"]: row for row in rows}


def test_eighty_nine_subjects_with_unique_two_digit_codes_sorted(rows):
    codes = [row["code"] for row in rows]
    assert len(rows) == 89
    assert len(set(codes)) == 89
    assert all(re.fullmatch(r"[0-9]{2}", code) for code in codes)
    assert codes == sorted(codes)


def test_codes_are_the_official_set(rows):
    expected = {f"{n:02d}" for n in range(1, 80)} | {"83", "86", "87", "89", "90", "91", "92", "93", "94", "95"}
    assert {row["code"] for row in rows} == expected


def test_every_field_is_filled_and_trimmed(rows):
    for row in rows:
        assert None not in row, row            # no extra columns
        for field in HEADER:
            assert row[field] == row[field].strip(), (row["code"], field)
            if field != "federal_district":  # empty where no decree has placed the subject in a district yet
                assert row[field], (row["code"], field)


def test_names_are_unique(rows):
    assert len({row["name_ru"] for row in rows}) == 89
    assert len({row["name_en"] for row in rows}) == 89
    assert all(re.search(r"[А-Яа-яЁё]", row["name_ru"]) for row in rows)
    assert all(row["name_en"].isascii() or "—" in row["name_en"] for row in rows)


def test_every_time_zone_exists():
    available = zoneinfo.available_timezones()
    with REGIONS_CSV.open(encoding="utf-8", newline="") as handle:
        zones = {row["time_zone"] for row in csv.DictReader(handle)}
    assert zones <= available, zones - available


def test_every_district_is_one_of_the_eight(rows):
    assert {row["federal_district"] for row in rows} <= DISTRICTS | {""}


def test_district_sizes(rows):
    counts = Counter(row["federal_district"] for row in rows)
    # SFD: its 8 subjects since 2016 (with Crimea and Sevastopol). No decree has assigned the four regions of 2022
    # (90, 93, 94, 95) to a federal district yet: their district is empty.
    assert counts == {"CFD": 18, "NWFD": 11, "SFD": 8, "NCFD": 7, "VFD": 14, "UFD": 6, "SibFD": 10, "FEFD": 11, "": 4}


@pytest.mark.parametrize("code, name_ru, name_en, time_zone, district", [
    ("01", "Республика Адыгея", "Republic of Adygea", "Europe/Moscow", "SFD"),
    ("16", "Республика Татарстан", "Republic of Tatarstan", "Europe/Moscow", "VFD"),
    ("25", "Приморский край", "Primorsky Krai", "Asia/Vladivostok", "FEFD"),
    ("39", "Калининградская область", "Kaliningrad Oblast", "Europe/Kaliningrad", "NWFD"),
    ("42", "Кемеровская область — Кузбасс", "Kemerovo Oblast — Kuzbass", "Asia/Novokuznetsk", "SibFD"),
    ("54", "Новосибирская область", "Novosibirsk Oblast", "Asia/Novosibirsk", "SibFD"),
    ("63", "Самарская область", "Samara Oblast", "Europe/Samara", "VFD"),
    ("66", "Свердловская область", "Sverdlovsk Oblast", "Asia/Yekaterinburg", "UFD"),
    ("77", "Москва", "Moscow", "Europe/Moscow", "CFD"),
    ("78", "Санкт-Петербург", "Saint Petersburg", "Europe/Moscow", "NWFD"),
    ("86", "Ханты-Мансийский автономный округ — Югра", "Khanty-Mansi Autonomous Okrug — Yugra",
     "Asia/Yekaterinburg", "UFD"),
    ("87", "Чукотский автономный округ", "Chukotka Autonomous Okrug", "Asia/Anadyr", "FEFD"),
    ("91", "Республика Крым", "Republic of Crimea", "Europe/Simferopol", "SFD"),
    ("92", "Севастополь", "Sevastopol", "Europe/Simferopol", "SFD"),
    ("93", "Донецкая Народная Республика", "Donetsk People's Republic", "Europe/Moscow", ""),
])
def test_spot_checks(by_code, code, name_ru, name_en, time_zone, district):
    row = by_code[code]
    assert (row["name_ru"], row["name_en"], row["time_zone"], row["federal_district"]) == (
        name_ru, name_en, time_zone, district)


def test_file_is_utf8_without_bom():
    data = REGIONS_CSV.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    data.decode("utf-8")
