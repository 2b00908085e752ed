"""Dates for people: in a given time zone, with its label ("23:59 МСК", "МСК+7"), in Russian or English."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

MOSCOW = ZoneInfo("Europe/Moscow")


def zone_label(moment: datetime, tz_name: str, locale: str = "ru") -> str:
    """"МСК" for Moscow time, "МСК+4" for a zone four hours ahead of Moscow at that moment ("MSK+4" in English)."""
    base = "МСК" if locale == "ru" else "MSK"
    zone = ZoneInfo(tz_name)
    delta = moment.astimezone(zone).utcoffset() - moment.astimezone(MOSCOW).utcoffset()
    hours = delta / timedelta(hours=1)
    if hours == 0:
        return base
    sign = "+" if hours > 0 else "−"
    magnitude = abs(hours)
    text = f"{int(magnitude)}" if magnitude == int(magnitude) else f"{magnitude:g}"
    return f"{base}{sign}{text}"


def format_moment(moment: datetime | None, tz_name: str = "Europe/Moscow", locale: str = "ru",
                  with_label: bool = True) -> str:
    """"24 ноября 2026 г., 23:59 МСК" — the date and time in `tz_name` with its label."""
    if moment is None:
        return "—"
    local = moment.astimezone(ZoneInfo(tz_name))
    text = format_datetime(local, "d MMMM y, HH:mm", locale=locale)
    return f"{text} {zone_label(moment, tz_name, locale)}" if with_label else text


def format_day(moment: datetime | None, tz_name: str = "Europe/Moscow", locale: str = "ru") -> str:
    if moment is None:
        return "—"
    return format_datetime(moment.astimezone(ZoneInfo(tz_name)), "d MMMM y", locale=locale)


def remaining(deadline: datetime, now: datetime) -> timedelta:
    return max(deadline - now, timedelta(0))


def russian_plural(n: int, forms: tuple[str, str, str]) -> str:
    """The Russian form for n: ("минуту", "минуты", "минут") → 1 минуту, 3 минуты, 5 минут, 21 минуту."""
    if n % 10 == 1 and n % 100 != 11:
        return forms[0]
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return forms[1]
    return forms[2]


def minutes_phrase(n: int, locale: str = "ru") -> str:
    """"5 минут" / "1 minute" — a duration in minutes, in the accusative after «через»."""
    if locale == "en":
        return f"{n} minute" if n == 1 else f"{n} minutes"
    return f"{n} {russian_plural(n, ('минуту', 'минуты', 'минут'))}"
