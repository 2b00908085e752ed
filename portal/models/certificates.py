"""Participant certificates and winner diplomas, each with a public verification code."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import UTCDateTime, utcnow


class CertificateKind(str, enum.Enum):
    PARTICIPANT = "participant"  # every entry that reached `eligible` or later
    DIPLOMA = "diploma"          # awarded entries, with the award's tier and place


class Certificate(db.Model):
    """An issued document. What it says is a snapshot taken at issue, so that the verification page always confirms
    exactly the text printed on it; a wrong certificate is revoked and a new one issued (never edited)."""

    __tablename__ = "certificates"
    __table_args__ = (
        CheckConstraint("kind IN ('participant', 'diploma')", name="kind_known"),
        CheckConstraint("(kind = 'diploma' AND award_tier IS NOT NULL) OR "
                        "(kind = 'participant' AND award_tier IS NULL AND award_place IS NULL)", name="award_for_diploma"),
        CheckConstraint("length(code) = 12", name="code_length"),
        # One valid certificate of each kind per entry; revoked ones stay for the record.
        Index("uq_certificates_entry_kind_valid", "entry_id", "kind", unique=True,
              sqlite_where=text("revoked_at IS NULL"), postgresql_where=text("revoked_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    season_id: Mapped[int] = mapped_column(ForeignKey("seasons.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    # 12 characters of Crockford base32, stored without dashes in upper case; shown as XXXX-XXXX-XXXX.
    code: Mapped[str] = mapped_column(String(12), unique=True)

    recipient_name: Mapped[str] = mapped_column(String(500))
    title: Mapped[str] = mapped_column(String(300))
    nomination_title: Mapped[str] = mapped_column(String(300))
    season_title: Mapped[str] = mapped_column(String(300))
    award_tier: Mapped[str | None] = mapped_column(String(20))
    award_place: Mapped[int | None]

    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoke_reason: Mapped[str] = mapped_column(String(500), default="")

    entry = relationship("Entry")
    season = relationship("Season", lazy="joined")

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def display_code(self) -> str:
        """The code as printed: XXXX-XXXX-XXXX."""
        return "-".join(self.code[i:i + 4] for i in range(0, len(self.code), 4))
