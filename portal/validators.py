"""Pure validators for organisation details (INN, OGRN/OGRNIP, website): no Flask, no database.

Each `*_error` function returns None when the value is valid, or one of the message constants below. The messages
are plain Russian strings; the form layer passes them through gettext before showing them next to the field.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

def N_(message: str) -> str:
    """Mark a message for extraction (pybabel -k N_); the form layer translates it when it shows it."""
    return message


INN_LENGTH = N_("ИНН состоит из 10 цифр (для организации) или 12 цифр (для ИП)")
INN_CHECKSUM = N_("Неверная контрольная сумма ИНН — проверьте цифры")
OGRN_LENGTH = N_("ОГРН состоит из 13 цифр (для организации), ОГРНИП — из 15 цифр (для ИП)")
OGRN_CHECKSUM = N_("Неверная контрольная цифра ОГРН — проверьте цифры")
DIGITS_ONLY = N_("Допустимы только цифры")
WEBSITE_URL = N_("Укажите адрес сайта полностью, начиная с http:// или https://")

_DIGITS = re.compile(r"[0-9]+")
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—]+")

_INN10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS_11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS_12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def normalise_digits(value: str) -> str:
    """Strip spaces and hyphens (including typographic dashes) from a number typed by a person."""
    return _SEPARATORS.sub("", value or "")


def _check_digit(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(digit) * weight for digit, weight in zip(digits, weights)) % 11 % 10


def inn_error(value: str) -> str | None:
    """Validate an INN: 10 digits (organisation) or 12 digits (individual entrepreneur) with check digits."""
    digits = normalise_digits(value)
    if digits and not _DIGITS.fullmatch(digits):
        return DIGITS_ONLY
    if len(digits) == 10:
        valid = _check_digit(digits, _INN10_WEIGHTS) == int(digits[9])
    elif len(digits) == 12:
        valid = (_check_digit(digits, _INN12_WEIGHTS_11) == int(digits[10])
                 and _check_digit(digits, _INN12_WEIGHTS_12) == int(digits[11]))
    else:
        return INN_LENGTH
    return None if valid else INN_CHECKSUM


def ogrn_error(value: str) -> str | None:
    """Validate an OGRN (13 digits) or OGRNIP (15 digits) by its check digit."""
    digits = normalise_digits(value)
    if digits and not _DIGITS.fullmatch(digits):
        return DIGITS_ONLY
    if len(digits) == 13:
        valid = int(digits[:12]) % 11 % 10 == int(digits[12])
    elif len(digits) == 15:
        valid = int(digits[:14]) % 13 % 10 == int(digits[14])
    else:
        return OGRN_LENGTH
    return None if valid else OGRN_CHECKSUM


def website_error(value: str) -> str | None:
    """Validate a website address: an http(s) URL with a host name."""
    text = (value or "").strip()
    if not text or any(char.isspace() for char in text):
        return WEBSITE_URL
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        return WEBSITE_URL
    if parts.scheme.lower() not in ("http", "https") or not host:
        return WEBSITE_URL
    return None
