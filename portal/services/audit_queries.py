"""Reading the audit log: filters (object, actor, action, Moscow-time days), keyset pages newest first, readable
labels, compact before/after diffs, and the CSV export (UTF-8 with BOM, `;`) also used beside the protocol."""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable, Iterator, Mapping

from babel.dates import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from portal.models import AuditEvent, Season, User
from portal.services.entry_exports import Sheet, csv_cell
from portal.timefmt import MOSCOW, zone_label

PER_PAGE = 50
EXPORT_CHUNK = 1000
MAX_TEXT = 80  # a value longer than this is shortened in the page's diff (never in the export)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
DATE_FORMAT = "%Y-%m-%d"

# Every action written by `audit.record` in portal/ and reviewers/ (grep "action="); unknown codes show as they are.
ACTION_LABELS = {
    "user.create": _l("Регистрация пользователя"),
    "user.confirm_email": _l("Подтверждение e-mail"),
    "user.password_change": _l("Смена пароля"),
    "user.role_change": _l("Смена роли"),
    "user.deactivate": _l("Блокировка учётной записи"),
    "user.reactivate": _l("Разблокировка учётной записи"),
    "user.anonymise": _l("Обезличивание персональных данных"),
    "token.create": _l("Выпуск API-токена"),
    "token.revoke": _l("Отзыв API-токена"),
    "entry.create": _l("Создание заявки"),
    "entry.update": _l("Изменение заявки"),
    "entry.award": _l("Награда заявке"),
    "entry.award_decision": _l("Решение о награде"),
    "entry.draft": _l("Заявка возвращена в черновик"),
    "entry.submitted": _l("Заявка подана"),
    "entry.withdrawn": _l("Заявка отозвана"),
    "entry.eligible": _l("Заявка допущена к экспертизе"),
    "entry.ineligible": _l("Заявка не допущена"),
    "entry.in_review": _l("Заявка на экспертизе"),
    "entry.shortlisted": _l("Заявка в шорт-листе"),
    "entry.awarded": _l("Заявка награждена"),
    "entry.not_awarded": _l("Заявка без награды"),
    "entry.extension_grant": _l("Срок подачи продлён"),
    "entry.extension_revoke": _l("Продление срока отменено"),
    "file.upload": _l("Загрузка файла"),
    "file.delete": _l("Удаление файла"),
    "organisation.create": _l("Создание организации"),
    "organisation.update": _l("Изменение организации"),
    "organisation.member_add": _l("Добавление участника организации"),
    "organisation.member_remove": _l("Исключение участника организации"),
    "season.timeline": _l("Изменение сроков сезона"),
    "season.create": _l("Создание сезона"),
    "season.update": _l("Изменение настроек сезона"),
    "season.copy": _l("Копирование сезона"),
    "track.create": _l("Создание направления"),
    "track.update": _l("Изменение направления"),
    "track.delete": _l("Удаление направления"),
    "track.reorder": _l("Изменение порядка направлений"),
    "nomination.create": _l("Создание номинации"),
    "nomination.update": _l("Изменение номинации"),
    "nomination.delete": _l("Удаление номинации"),
    "nomination.reorder": _l("Изменение порядка номинаций"),
    "nomination.open": _l("Открытие приёма заявок в номинации"),
    "nomination.close": _l("Закрытие приёма заявок в номинации"),
    "season.publish_results": _l("Публикация результатов"),
    "certificates.issue": _l("Выпуск сертификатов и дипломов"),
    "certificate.revoke": _l("Отзыв сертификата"),
    "library.publish": _l("Публикация в библиотеке"),
    "library.unpublish": _l("Снятие с публикации"),
    "library.republish": _l("Повторная публикация"),
    "library.edit": _l("Изменение практики"),
    "library.import": _l("Импорт практики из архива"),
    "rubric.create": _l("Создание рубрики"),
    "rubric.rename": _l("Переименование рубрики"),
    "rubric.delete": _l("Удаление рубрики"),
    "criterion.add": _l("Добавление критерия"),
    "criterion.update": _l("Изменение критерия"),
    "criterion.retire": _l("Критерий выведен из рубрики"),
    "criterion.restore": _l("Критерий возвращён в рубрику"),
    "criterion.delete": _l("Удаление критерия"),
    "criterion.move": _l("Изменение порядка критериев"),
    "round.create": _l("Создание раунда"),
    "round.update": _l("Изменение параметров раунда"),
    "round.delete": _l("Удаление раунда"),
    "round.assign": _l("Распределение заявок экспертам"),
    "round.remind": _l("Напоминание экспертам"),
    "round.advance": _l("Перевод шорт-листа в следующий раунд"),
    "round.decision.advance": _l("Решение: проходит дальше"),
    "round.decision.hold": _l("Решение: не проходит дальше"),
    "round.decision.chair_position": _l("Место по решению председателя"),
    "assignment.add": _l("Назначение эксперта вручную"),
    "assignment.remove": _l("Снятие назначения"),
    "assignment.released": _l("Назначение освобождено"),
    "assignment.assigned": _l("Оценка возвращена эксперту"),
    "assignment.in_progress": _l("Эксперт начал оценку"),
    "assignment.submitted": _l("Оценка отправлена"),
    "assignment.recused": _l("Самоотвод эксперта"),
    "juror.invite": _l("Приглашение эксперта"),
    "juror.accept": _l("Эксперт принял приглашение"),
    "juror.invite_resend": _l("Повторная отправка приглашения"),
    "juror.invite_revoke": _l("Отзыв приглашения"),
    "juror.import": _l("Приглашение экспертов из CSV"),
    "juror.deactivate": _l("Исключение из пулов при отключении"),
    "juror.affiliation_add": _l("Добавление аффилиации эксперта"),
    "juror.affiliation_remove": _l("Удаление аффилиации эксперта"),
    "pool.add": _l("Эксперт добавлен в пул"),
    "pool.remove": _l("Эксперт исключён из пула"),
    "discussion.post": _l("Сообщение в обсуждении"),
    "mailing.send": _l("Рассылка сообщения"),
    "outbox.retry": _l("Повторная отправка писем"),
}

OBJECT_LABELS = {
    "user": _l("Пользователь"),
    "api_token": _l("API-токен"),
    "entry": _l("Заявка"),
    "organisation": _l("Организация"),
    "season": _l("Сезон"),
    "track": _l("Направление"),
    "nomination": _l("Номинация"),
    "library_item": _l("Практика в библиотеке"),
    "rubric": _l("Рубрика"),
    "round": _l("Раунд"),
    "assignment": _l("Назначение"),
    "invitation": _l("Приглашение эксперта"),
    "jurors": _l("Эксперты"),
    "certificate": _l("Сертификат"),
    "mailing": _l("Рассылка"),
    "outbox": _l("Исходящая почта"),
}


def action_label(code: str) -> str:
    """The readable name of an action, or its code when it has none."""
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code


def object_label(code: str) -> str:
    """The readable name of an object type, or its code."""
    label = OBJECT_LABELS.get(code)
    return str(label) if label is not None else code


# --- filters ----------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AuditFilter:
    """What to show. `since`/`until` are aware UTC bounds (inclusive, exclusive). `objects` maps an object type to
    ids (strings) or a one-column select of ids cast to strings; it is how the protocol asks for its objects."""

    object_type: str = ""
    object_id: str = ""
    actor: str = ""
    action: str = ""
    since: datetime | None = None
    until: datetime | None = None
    objects: Mapping[str, object] = field(default_factory=dict)


FILTER_FIELDS = ("object_type", "object_id", "actor", "action", "date_from", "date_to")


def moscow_day_start(day: date) -> datetime:
    """Midnight of `day` in Moscow, as an aware UTC moment."""
    return datetime.combine(day, time(0), tzinfo=MOSCOW).astimezone(timezone.utc)


def parse_filter(args: Mapping[str, str]) -> tuple[AuditFilter, dict[str, str], dict[str, str]]:
    """The filter from request arguments: (filter, the values as typed, errors by field). Dates are Moscow days:
    «с» includes the whole first day, «по» the whole last day."""
    values = {name: (args.get(name) or "").strip() for name in FILTER_FIELDS}
    values["object_type"] = values["object_type"][:40]
    values["object_id"] = values["object_id"][:40]
    values["actor"] = values["actor"][:254]
    values["action"] = values["action"][:60]
    errors: dict[str, str] = {}
    days: dict[str, date | None] = {}
    for name in ("date_from", "date_to"):
        days[name] = None
        if values[name]:
            try:
                days[name] = datetime.strptime(values[name], DATE_FORMAT).date()
            except ValueError:
                errors[name] = _("Укажите дату в формате ГГГГ-ММ-ДД.")
    if days["date_from"] and days["date_to"] and days["date_from"] > days["date_to"]:
        errors["date_to"] = _("Дата «по» не может быть раньше даты «с».")
    since = moscow_day_start(days["date_from"]) if days["date_from"] else None
    until = moscow_day_start(days["date_to"] + timedelta(days=1)) if days["date_to"] else None
    audit_filter = AuditFilter(object_type=values["object_type"], object_id=values["object_id"],
                               actor=values["actor"], action=values["action"], since=since, until=until)
    return audit_filter, values, errors


def filtered_query(filters: AuditFilter) -> Select:
    """Events with their actor's name and e-mail (None for the system), matching `filters`, in no order."""
    query = (select(AuditEvent, User.full_name, User.email)
             .outerjoin(User, User.id == AuditEvent.actor_id))
    if filters.object_type:
        query = query.where(AuditEvent.object_type == filters.object_type)
    if filters.object_id:
        query = query.where(AuditEvent.object_id == filters.object_id)
    if filters.actor:
        query = query.where(User.email.contains(filters.actor.lower(), autoescape=True))
    if filters.action:
        query = query.where(AuditEvent.action.startswith(filters.action, autoescape=True))
    if filters.since is not None:
        query = query.where(AuditEvent.at >= filters.since)
    if filters.until is not None:
        query = query.where(AuditEvent.at < filters.until)
    if filters.objects:
        query = query.where(or_(*(and_(AuditEvent.object_type == kind, AuditEvent.object_id.in_(
            ids if isinstance(ids, Select) else [str(i) for i in ids])) for kind, ids in filters.objects.items())))
    return query


def object_types(session: Session) -> list[str]:
    """The object types present in the log, alphabetically."""
    return list(session.scalars(select(AuditEvent.object_type).distinct().order_by(AuditEvent.object_type)))


# --- rows and pages ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Change:
    key: str
    before: object
    after: object


@dataclass(frozen=True)
class AuditRow:
    event: AuditEvent
    actor_name: str | None
    actor_email: str | None

    @property
    def changes(self) -> list[Change]:
        return diff(self.event.before, self.event.after)


def diff(before: dict | None, after: dict | None) -> list[Change]:
    """The keys whose values differ between `before` and `after` (a missing side counts as absent), sorted."""
    before, after = before or {}, after or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return [] if before == after else [Change("", before, after)]
    keys = sorted(set(before) | set(after))
    return [Change(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


def show_value(value: object, limit: int | None = MAX_TEXT) -> str:
    """A value as a short readable text: "—" for nothing, JSON for lists and dicts."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("да") if value else _("нет")
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def moscow_time(moment: datetime, locale: str = "ru") -> str:
    """"24.11.2026 07:37:05 МСК" — to the second, in Moscow time."""
    return f"{format_datetime(moment.astimezone(MOSCOW), 'dd.MM.y HH:mm:ss', locale=locale)} " \
           f"{zone_label(moment, 'Europe/Moscow', locale)}"


def encode_cursor(event: AuditEvent) -> str:
    """A page boundary: the event's moment in microseconds since 1970 and its id."""
    return f"{(event.at - EPOCH) // timedelta(microseconds=1)}.{event.id}"


def decode_cursor(raw: str | None) -> tuple[datetime, int] | None:
    """The (moment, id) of a cursor, or None when there is none or it is malformed."""
    try:
        micro, ident = (raw or "").split(".")
        return EPOCH + timedelta(microseconds=int(micro)), int(ident)
    except (ValueError, OverflowError):
        return None


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    newer: str | None  # cursor for the page of newer events, None on the first page
    older: str | None  # cursor for the page of older events, None on the last page


def audit_page(session: Session, *, filters: AuditFilter, after: str | None = None, before: str | None = None,
               per_page: int | None = None) -> AuditPage:
    """One page, newest first. `after`: the events older than that cursor; `before`: those newer than it. One
    query (two when the newer end is reached, which shows the first page)."""
    per_page = per_page or PER_PAGE
    query = filtered_query(filters)
    newest_first = (AuditEvent.at.desc(), AuditEvent.id.desc())
    back = decode_cursor(before)
    if back is not None:
        at, ident = back
        rows = session.execute(query.where(or_(AuditEvent.at > at, and_(AuditEvent.at == at, AuditEvent.id > ident)))
                               .order_by(AuditEvent.at, AuditEvent.id).limit(per_page + 1)).all()
        if len(rows) > per_page:
            page = [AuditRow(*r) for r in reversed(rows[:per_page])]
            return AuditPage(page, newer=encode_cursor(page[0].event), older=encode_cursor(page[-1].event))
        after = None  # the newest events: the first page
    cursor = decode_cursor(after)
    if cursor is not None:
        at, ident = cursor
        query = query.where(or_(AuditEvent.at < at, and_(AuditEvent.at == at, AuditEvent.id < ident)))
    rows = session.execute(query.order_by(*newest_first).limit(per_page + 1)).all()
    page = [AuditRow(*r) for r in rows[:per_page]]
    return AuditPage(page, newer=encode_cursor(page[0].event) if cursor is not None and page else None,
                     older=encode_cursor(page[-1].event) if len(rows) > per_page else None)


def count_events(session: Session, *, filters: AuditFilter) -> int:
    """How many events match."""
    return session.scalar(select(func.count()).select_from(filtered_query(filters).subquery())) or 0


# --- export -----------------------------------------------------------------------------------------------------------

def export_header() -> list[str]:
    """The export's columns (Russian, as the other exports)."""
    return ["Время (МСК)", "Пользователь", "E-mail", "Действие", "Код действия", "Объект", "ID объекта",
            "Изменения", "До (JSON)", "После (JSON)", "IP"]


def export_row(row: AuditRow) -> list[str]:
    """One event as export cells: full values, nothing shortened."""
    event = row.event
    changes = "; ".join(f"{c.key}: {show_value(c.before, None)} → {show_value(c.after, None)}" for c in row.changes)
    return [event.at.astimezone(MOSCOW).strftime("%d.%m.%Y %H:%M:%S"), row.actor_name or "система",
            row.actor_email or "", action_label(event.action), event.action, object_label(event.object_type),
            event.object_id, changes, _json(event.before), _json(event.after), event.ip]


def _json(value: object) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def export_rows(session: Session, *, filters: AuditFilter) -> Iterator[AuditRow]:
    """Every matching event, newest first, read in chunks (memory stays flat however long the log)."""
    query = filtered_query(filters).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    for row in session.execute(query.execution_options(yield_per=EXPORT_CHUNK)):
        yield AuditRow(*row)


def audit_csv(rows: Iterable[AuditRow]) -> Iterator[bytes]:
    """The CSV file in pieces, written as every export (BOM, `;`, `entry_exports.csv_cell`) but streamed: the log
    may be far longer than the memory a request should hold."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    buffer.write("\ufeff")
    writer.writerow(export_header())
    for n, row in enumerate(rows, start=1):
        writer.writerow([csv_cell(cell) for cell in export_row(row)])
        if n % EXPORT_CHUNK == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    if buffer.getvalue():
        yield buffer.getvalue().encode("utf-8")


def audit_sheet(session: Session, *, filters: AuditFilter) -> Sheet:
    """The matching events as a table for `entry_exports.to_xlsx`/`to_csv`: how the protocol carries its log."""
    return Sheet(title="Журнал действий", header=export_header(),
                 rows=(export_row(row) for row in export_rows(session, filters=filters)),
                 widths=(20, 28, 28, 34, 24, 20, 12, 50, 40, 40, 16))


def season_slugs(session: Session, ids: Iterable[str]) -> dict[str, str]:
    """Season slugs by id (as the log writes ids: strings), for links to the seasons' pages."""
    numbers = {int(i) for i in ids if i.isdecimal()}
    if not numbers:
        return {}
    return {str(ident): slug for ident, slug in session.execute(select(Season.id, Season.slug)
                                                                  .where(Season.id.in_(numbers)))}
