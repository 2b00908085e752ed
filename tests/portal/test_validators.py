"""Tests of `portal/validators.py`: INN, OGRN/OGRNIP and website checks, with the exact messages returned."""
from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

VALIDATORS_PY = Path(__file__).resolve().parents[2] / "portal" / "validators.py"


def _load_validators():
    # Loaded from its file so that this test does not import the `portal` package (and its application factory).
    # Once `import portal` works on its own this can become `from portal import validators`.
    spec = importlib.util.spec_from_file_location("portal_validators_under_test", VALIDATORS_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


v = _load_validators()

# Real organisations (checksums verified by hand as well as by the code under test):
#   ПАО Сбербанк  — ИНН 7707083893, ОГРН 1027700132195
#   ООО «Яндекс»  — ИНН 7736207543, ОГРН 1027700229193
#   ПАО «Газпром» — ИНН 7736050003, ОГРН 1027700070518
# Constructed numbers (not real persons; check digits computed for the test):
#   ИНН ИП 771234567859: prefix 7712345678; 11th digit = (7·7+2·7+4·1+10·2+3·3+5·4+9·5+4·6+6·7+8·8 = 291) mod 11 = 5;
#                        12th digit = (3·7+7·7+2·1+4·2+10·3+3·4+5·5+9·6+4·7+6·8+8·5 = 317) mod 11 mod 10 = 9.
#   ОГРНИП 324770001234565: 3 + year 24 + region 77 + number 000123456; 32477000123456 mod 13 = 5.
#   ОГРН 1027700000020: 102770000002 mod 11 = 10, so the check digit is 10 mod 10 = 0.


@pytest.mark.parametrize("value", [
    "7707083893",       # Сбербанк
    "7736207543",       # Яндекс
    "7736050003",       # Газпром
    "771234567859",     # constructed 12-digit INN (see above)
    "7707 083 893",     # spaces are ignored
    "7707-083-893",     # hyphens are ignored
    " 7707083893 ",
])
def test_inn_valid(value):
    assert v.inn_error(value) is None


@pytest.mark.parametrize("value, message", [
    ("7707083894", v.INN_CHECKSUM),       # Сбербанк, last digit changed
    ("7736207540", v.INN_CHECKSUM),       # Яндекс, last digit changed
    ("7736050004", v.INN_CHECKSUM),       # Газпром, last digit changed
    ("771234567858", v.INN_CHECKSUM),     # 12 digits, last check digit wrong
    ("771234567866", v.INN_CHECKSUM),     # 12 digits, 11th check digit wrong (12th consistent with it)
    ("770708389", v.INN_LENGTH),          # 9 digits
    ("77070838933", v.INN_LENGTH),        # 11 digits
    ("7707083893123", v.INN_LENGTH),      # 13 digits
    ("", v.INN_LENGTH),
    ("   ", v.INN_LENGTH),
    ("77070838AB", v.DIGITS_ONLY),
    ("ИНН 7707083893", v.DIGITS_ONLY),
    ("7707083893.", v.DIGITS_ONLY),
    ("７７０７０８３８９３", v.DIGITS_ONLY),  # full-width digits are not accepted
])
def test_inn_invalid(value, message):
    assert v.inn_error(value) == message


@pytest.mark.parametrize("value", [
    "1027700132195",     # Сбербанк
    "1027700229193",     # Яндекс
    "1027700070518",     # Газпром
    "1027700000020",     # constructed: remainder 10 gives check digit 0
    "324770001234565",   # constructed OGRNIP (mod 13)
    "1027 700 132 195",
    "1-02-77-00132195",
])
def test_ogrn_valid(value):
    assert v.ogrn_error(value) is None


@pytest.mark.parametrize("value, message", [
    ("1027700132194", v.OGRN_CHECKSUM),     # Сбербанк, last digit changed
    ("1027700229190", v.OGRN_CHECKSUM),     # Яндекс, last digit changed
    ("1027700070519", v.OGRN_CHECKSUM),     # Газпром, last digit changed
    ("1027700000021", v.OGRN_CHECKSUM),
    ("324770001234564", v.OGRN_CHECKSUM),   # OGRNIP, last digit changed
    ("324770001234569", v.OGRN_CHECKSUM),   # what a mod-11 rule would give for this OGRNIP
    ("102770013219", v.OGRN_LENGTH),        # 12 digits
    ("10277001321950", v.OGRN_LENGTH),      # 14 digits
    ("3247700012345650", v.OGRN_LENGTH),    # 16 digits
    ("7707083893", v.OGRN_LENGTH),          # an INN typed into the OGRN field
    ("", v.OGRN_LENGTH),
    ("1027700132l95", v.DIGITS_ONLY),       # letter l instead of 1
    ("ОГРН 1027700132195", v.DIGITS_ONLY),
])
def test_ogrn_invalid(value, message):
    assert v.ogrn_error(value) == message


@pytest.mark.parametrize("value, expected", [
    ("7707 083 893", "7707083893"),
    ("7707-083-893", "7707083893"),
    ("  1027700132195\t", "1027700132195"),
    ("1027–700–132195", "1027700132195"),   # en dashes from a word processor
    ("", ""),
    ("77ab", "77ab"),                        # only separators are removed; letters stay for the validator to reject
])
def test_normalise_digits(value, expected):
    assert v.normalise_digits(value) == expected


@pytest.mark.parametrize("value", [
    "https://www.sberbank.ru",
    "http://yandex.ru/company/",
    "HTTPS://GAZPROM.RU",
    "https://сайт.рф",
    "https://example.org:8443/path?q=1",
])
def test_website_valid(value):
    assert v.website_error(value) is None


@pytest.mark.parametrize("value", [
    "",
    "www.sberbank.ru",
    "sberbank.ru",
    "ftp://files.example.org",
    "javascript:alert(1)",
    "https://",
    "http:///path-only",
    "https://exa mple.ru",
    "http://[::1",
])
def test_website_invalid(value):
    assert v.website_error(value) == v.WEBSITE_URL


def test_messages_are_distinct_russian_strings():
    messages = [v.INN_LENGTH, v.INN_CHECKSUM, v.OGRN_LENGTH, v.OGRN_CHECKSUM, v.DIGITS_ONLY, v.WEBSITE_URL]
    assert len(set(messages)) == len(messages)
    assert all(isinstance(message, str) and any("а" <= char <= "я" for char in message.lower()) for message in messages)


def test_validators_module_imports_neither_flask_nor_the_database():
    tree = ast.parse(VALIDATORS_PY.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported <= {"__future__", "re", "urllib"}
