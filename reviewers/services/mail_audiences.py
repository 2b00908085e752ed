"""The jury's groups for organizers' messages: the jurors of the season's pools, of one round's pools, and the jurors
with overdue reviews in a round (with how many, for `{просрочено}`).

Registered in `app.extensions["mail_audiences"]` by `reviewers.blueprints`; see `portal.services.mailings`. An
assignment is overdue when it is neither submitted nor recused and its due date (the round's close when it has none)
has passed."""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models import Season, User
from portal.services.mailings import Audience, Recipient
from reviewers.models import Assignment, PoolMember, Round
from reviewers.services.juror_views import overdue_condition



def active_users(session: Session, ids) -> list[User]:
    """Active users among `ids` (a list or a one-column select), by name."""
    return list(session.scalars(select(User).where(User.id.in_(ids), User.is_active_flag.is_(True))
                                .order_by(User.full_name, User.id)))


def season_round(session: Session, season: Season, params: Mapping[str, str]) -> Round:
    """The round named by `params` (already checked to be one of the season's)."""
    return session.scalar(select(Round).where(Round.id == int(params["round"]), Round.season_id == season.id))


def round_choices(session: Session, season: Season) -> list[tuple[str, str]]:
    """The season's rounds, in order: ("12", "1. Экспертный раунд")."""
    rounds = session.scalars(select(Round).where(Round.season_id == season.id).order_by(Round.number, Round.id))
    return [(str(r.id), f"{r.number}. {r.title}") for r in rounds]


def season_jurors(session: Session, season: Season, params: Mapping[str, str], now: datetime) -> list[Recipient]:
    """Everyone in a pool of any round of the season."""
    ids = select(PoolMember.juror_id).join(Round, Round.id == PoolMember.round_id).where(Round.season_id == season.id)
    return [Recipient(user) for user in active_users(session, ids)]


def round_jurors(session: Session, season: Season, params: Mapping[str, str], now: datetime) -> list[Recipient]:
    """Everyone in a pool of the round (any nomination)."""
    round = season_round(session, season, params)
    ids = select(PoolMember.juror_id).where(PoolMember.round_id == round.id)
    return [Recipient(user, {"round": round.title}) for user in active_users(session, ids)]


def overdue_jurors(session: Session, season: Season, params: Mapping[str, str], now: datetime) -> list[Recipient]:
    """Jurors of the round with at least one overdue assignment at `now`, with their count of them."""
    round = season_round(session, season, params)
    overdue = Counter(dict(session.execute(
        select(Assignment.juror_id, func.count()).join(Round, Round.id == Assignment.round_id)
        .where(Assignment.round_id == round.id, overdue_condition(now))
        .group_by(Assignment.juror_id)).all()))
    if not overdue:
        return []
    return [Recipient(user, {"round": round.title, "overdue": str(overdue[user.id])})
            for user in active_users(session, list(overdue))]


JUROR_AUDIENCES: list[Audience] = [
    Audience(key="jurors", title=_l("Эксперты сезона (все пулы)"),
             reason=_l("вы входите в экспертный совет конкурса"),
             recipients=season_jurors, link_endpoint="jury.dashboard", group="jury"),
    Audience(key="jurors_round", title=_l("Эксперты раунда"),
             reason=_l("вы эксперт раунда «%(param)s»"),
             recipients=round_jurors, param="round", param_title=_l("Раунд"), choices=round_choices,
             placeholders=("round",), link_endpoint="jury.dashboard", group="jury"),
    Audience(key="jurors_overdue", title=_l("Эксперты с просроченными оценками"),
             reason=_l("у вас есть просроченные оценки в раунде «%(param)s»"),
             recipients=overdue_jurors, param="round", param_title=_l("Раунд"), choices=round_choices,
             placeholders=("round", "overdue"), link_endpoint="jury.dashboard", group="jury"),
]
