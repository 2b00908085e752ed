"""Jurors: invitations, profiles with declared affiliations, and pools per nomination and round."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import UTCDateTime, utcnow


class Invitation(db.Model):
    """A single-use, expiring link for a future juror. Only the token's SHA-256 is stored."""

    __tablename__ = "juror_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # What the organizer already knows, offered on the acceptance form and applied when the juror accepts.
    position: Mapped[str] = mapped_column(String(300), default="")
    workplace: Mapped[str] = mapped_column(String(500), default="")
    # Declared ties to record on acceptance: [{"kind": "organisation", "inn": "…", "note": "…"} | {"kind": "region",
    # "region_code": "66", "note": "…"}].
    affiliations: Mapped[list] = mapped_column(JSON, default=list)
    sent_count: Mapped[int] = mapped_column(default=1)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class JurorProfile(db.Model):
    """What a juror declares: position, place of work, acceptance of the confidentiality terms."""

    __tablename__ = "juror_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[str] = mapped_column(String(300), default="")
    workplace: Mapped[str] = mapped_column(String(500), default="")
    confidentiality_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confidentiality_version: Mapped[str] = mapped_column(String(20), default="")

    user = relationship("User", lazy="joined")


class AffiliationKind(str, enum.Enum):
    ORGANISATION = "organisation"  # by INN: the juror works for or is tied to it
    REGION = "region"  # the juror's region (avoided where possible)


class Affiliation(db.Model):
    """A declared tie used for conflicts of interest: an organisation (by INN) or a region."""

    __tablename__ = "juror_affiliations"
    __table_args__ = (
        CheckConstraint("(kind = 'organisation' AND inn IS NOT NULL) OR (kind = 'region' AND region_code IS NOT NULL)",
                        name="kind_fields"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    juror_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    inn: Mapped[str | None] = mapped_column(String(12))
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    note: Mapped[str] = mapped_column(Text, default="")


class PoolMember(db.Model):
    """A juror in the pool of one nomination for one round, with a cap on the number of reviews."""

    __tablename__ = "pool_members"
    __table_args__ = (
        UniqueConstraint("round_id", "nomination_id", "juror_id"),
        CheckConstraint("cap >= 1", name="cap_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"))
    juror_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    cap: Mapped[int] = mapped_column(default=30)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    juror = relationship("User", lazy="joined")
    nomination = relationship("Nomination", lazy="joined")
