"""The outbox as the organizers see it: delivery states, a filtered list in keyset pages (the outbox may hold hundreds
of thousands of rows), counts per state in one query, and putting failed messages back in the queue.

A row's state follows from its columns, never stored: sent (`sent_at` set); pending (never tried); retrying (failed,
tried again later); given up (`attempts` reached `MAIL_MAX_ATTEMPTS`, the worker no longer tries it)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from portal.models import OutboxMessage, User
from portal.services import audit
from portal.services.mail import PENDING_FLAG
from portal.services.ids import parse_id

PER_PAGE = 50
SEARCH_MAX = 254
STATES = {
    "pending": _l("В очереди"),
    "retrying": _l("Ошибка, будет повтор"),
    "given_up": _l("Не доставлено"),
    "sent": _l("Доставлено"),
}


@dataclass(frozen=True)
class Delivery:
    """How many rows are in each state."""

    pending: int = 0
    sent: int = 0
    retrying: int = 0
    given_up: int = 0

    @property
    def total(self) -> int:
        return self.pending + self.sent + self.retrying + self.given_up

    @property
    def failed(self) -> int:
        return self.retrying + self.given_up


def state_condition(state: str, max_attempts: int):
    """The WHERE clause of one state."""
    unsent = OutboxMessage.sent_at.is_(None)
    return {
        "pending": unsent & (OutboxMessage.attempts == 0),
        "sent": OutboxMessage.sent_at.is_not(None),
        "retrying": unsent & (OutboxMessage.attempts > 0) & (OutboxMessage.attempts < max_attempts),
        "given_up": unsent & (OutboxMessage.attempts >= max_attempts),
    }[state]


def state_of(message: OutboxMessage, max_attempts: int) -> str:
    """The state of one row (the same rules as `state_condition`)."""
    if message.sent_at is not None:
        return "sent"
    if message.attempts >= max_attempts:
        return "given_up"
    return "retrying" if message.attempts > 0 else "pending"


def delivery_columns(max_attempts: int) -> list:
    """The four sums of `Delivery`, in its field order, for one aggregate query."""
    return [func.coalesce(func.sum(case((state_condition(s, max_attempts), 1), else_=0)), 0)
            for s in ("pending", "sent", "retrying", "given_up")]


def mailing_delivery(session: Session, *, mailing_ids: list[int], max_attempts: int) -> dict[int, Delivery]:
    """Delivery states per mailing in one grouped query (a mailing without rows is absent)."""
    if not mailing_ids:
        return {}
    rows = session.execute(select(OutboxMessage.mailing_id, *delivery_columns(max_attempts))
                           .where(OutboxMessage.mailing_id.in_(mailing_ids)).group_by(OutboxMessage.mailing_id))
    return {row[0]: Delivery(*(int(v) for v in row[1:])) for row in rows}


# --- the list ---------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class OutboxFilter:
    state: str = ""            # one of STATES, or "" for every row
    address: str = ""          # part of the recipient's address
    mailing_id: int | None = None


def parse_outbox_filter(args: Mapping[str, str]) -> tuple[OutboxFilter, dict[str, str]]:
    """The filter from request arguments and the values to show back; an unknown state or mailing is ignored."""
    values = {"state": (args.get("state") or "").strip(), "q": (args.get("q") or "").strip()[:SEARCH_MAX],
              "mailing": (args.get("mailing") or "").strip()}
    if values["state"] not in STATES:
        values["state"] = ""
    if parse_id(values["mailing"]) is None:
        values["mailing"] = ""
    return OutboxFilter(state=values["state"], address=values["q"].lower(),
                        mailing_id=int(values["mailing"]) if values["mailing"] else None), values


def conditions(filters: OutboxFilter, max_attempts: int, *, with_state: bool = True) -> list:
    """The WHERE clauses of `filters` (the state too unless `with_state` is false)."""
    where = []
    if filters.mailing_id is not None:
        where.append(OutboxMessage.mailing_id == filters.mailing_id)
    if filters.address:
        where.append(func.lower(OutboxMessage.to).contains(filters.address, autoescape=True))
    if with_state and filters.state:
        where.append(state_condition(filters.state, max_attempts))
    return where


def state_counts(session: Session, *, filters: OutboxFilter, max_attempts: int) -> Delivery:
    """Rows per state under the address and mailing filters (not the state one), in one query."""
    row = session.execute(select(*delivery_columns(max_attempts)).select_from(OutboxMessage)
                          .where(*conditions(filters, max_attempts, with_state=False))).one()
    return Delivery(*(int(v) for v in row))


@dataclass(frozen=True)
class OutboxPage:
    rows: list[OutboxMessage]
    newer: int | None  # `before` cursor of the page of newer rows; None on the first page
    older: int | None  # `after` cursor of the page of older rows; None on the last page


def outbox_page(session: Session, *, filters: OutboxFilter, max_attempts: int, after: int | None = None,
                before: int | None = None, per_page: int = PER_PAGE) -> OutboxPage:
    """One page of rows, newest first, by id: `after` gives the rows older than that id, `before` the newer ones.
    One query on the primary key's index (two when the newest end is reached)."""
    query = select(OutboxMessage).where(*conditions(filters, max_attempts))
    if before is not None:
        rows = session.scalars(query.where(OutboxMessage.id > before).order_by(OutboxMessage.id)
                               .limit(per_page + 1)).all()
        if len(rows) > per_page:
            page = list(reversed(rows[:per_page]))
            return OutboxPage(page, newer=page[0].id, older=page[-1].id)
        after = None  # the newest rows: the first page
    if after is not None:
        query = query.where(OutboxMessage.id < after)
    rows = session.scalars(query.order_by(OutboxMessage.id.desc()).limit(per_page + 1)).all()
    page = list(rows[:per_page])
    return OutboxPage(page, newer=page[0].id if after is not None and page else None,
                      older=page[-1].id if len(rows) > per_page else None)


def cursor(raw: str | None) -> int | None:
    """A page cursor from a request argument (an id), None when absent or malformed."""
    return parse_id(raw)


# --- retrying ---------------------------------------------------------------------------------------------------------

def retry_messages(session: Session, *, ids: list[int] | None = None, mailing_id: int | None = None,
                   address: str = "", actor: User | None, now: datetime, max_attempts: int) -> int:
    """Put failed messages back in the queue: due now, attempts reset to 0 (the last error stays until the next try).
    With `ids`: those of them not sent and tried at least once; without: every given-up message (of `mailing_id`
    and to addresses containing `address` when given). Audited `outbox.retry`; returns how many rows changed."""
    unsent = OutboxMessage.sent_at.is_(None)
    if ids is not None:
        if not ids:
            return 0
        where = [OutboxMessage.id.in_(ids), unsent, OutboxMessage.attempts > 0]
    else:
        where = [state_condition("given_up", max_attempts),
                 *conditions(OutboxFilter(address=address.strip().lower(), mailing_id=mailing_id), max_attempts)]
    chosen = list(session.scalars(select(OutboxMessage.id).where(*where).order_by(OutboxMessage.id)))
    if not chosen:
        return 0
    session.execute(update(OutboxMessage).where(*where).values(attempts=0, next_attempt_at=now)
                    .execution_options(synchronize_session="fetch"))
    session.info[PENDING_FLAG] = True
    audit.record(session, actor=actor, action="outbox.retry", object_type="outbox",
                 object_id="selected" if ids is not None else (f"mailing-{mailing_id}" if mailing_id else "given_up"),
                 after={"count": len(chosen), "ids": chosen[:200]}, now=now)
    session.flush()
    return len(chosen)

