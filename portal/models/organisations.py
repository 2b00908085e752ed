"""Organisations that apply, and the people who act for them."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import UTCDateTime, utcnow


class OrganisationKind(str, enum.Enum):
    EDUCATIONAL = "educational"
    ENTERPRISE = "enterprise"
    NONPROFIT = "nonprofit"
    STATE = "state"
    OTHER = "other"


class MemberRole(str, enum.Enum):
    OWNER = "owner"
    EDITOR = "editor"


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(500))
    short_name: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(20))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    # One profile per INN: a second registration of the same organisation joins it as a member instead.
    inn: Mapped[str] = mapped_column(String(12), unique=True)
    ogrn: Mapped[str] = mapped_column(String(15), default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    region = relationship("Region", lazy="joined")
    memberships = relationship("Membership", back_populates="organisation", cascade="all, delete-orphan")

    @property
    def display_name(self) -> str:
        return self.short_name or self.name


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(10), default=MemberRole.OWNER.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user = relationship("User", back_populates="memberships")
    organisation = relationship("Organisation", back_populates="memberships", lazy="joined")
