"""People, their roles, API tokens and login attempts."""
from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import UTCDateTime, utcnow


def session_stamp(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


class Role(str, enum.Enum):
    APPLICANT = "applicant"
    JUROR = "juror"
    ORGANIZER = "organizer"
    ADMIN = "admin"


class User(UserMixin, db.Model):
    """A person with one role. E-mail is stored lower-case and is unique."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    full_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20), default=Role.APPLICANT.value)
    is_active_flag: Mapped[bool] = mapped_column("is_active", default=True)
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code", ondelete="SET NULL"))
    locale: Mapped[str] = mapped_column(String(5), default="ru")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    region = relationship("Region", lazy="joined")
    memberships = relationship("Membership", back_populates="user", cascade="all, delete-orphan")

    @property
    def is_active(self) -> bool:  # Flask-Login: inactive users cannot log in
        return self.is_active_flag

    def get_id(self) -> str:
        """The session identity: the id and the moment the password last changed, so that changing or resetting
        the password ends every other session (and remember-me cookie) of the account."""
        return f"{self.id}:{session_stamp(self.password_changed_at)}"

    def has_role(self, *roles: Role | str) -> bool:
        return self.role in {r.value if isinstance(r, Role) else r for r in roles}

    @property
    def is_staff(self) -> bool:
        """Organizers and administrators see every entry."""
        return self.has_role(Role.ORGANIZER, Role.ADMIN)


class ApiToken(db.Model):
    """A bearer token for the JSON API. Only its SHA-256 is stored; the secret is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    prefix: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class LoginAttempt(db.Model):
    """One failed or successful login, kept for throttling."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_email_at", "email", "at"), Index("ix_login_attempts_ip_at", "ip", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    ip: Mapped[str] = mapped_column(String(64), default="")
    succeeded: Mapped[bool] = mapped_column(default=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
