"""Practice submissions, their authors and the consents given for them."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import UTCDateTime, utcnow


class EntryStatus(str, enum.Enum):
    """Change only through `portal.services.entry_states.transition`; never assign `Entry.status` directly."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    IN_REVIEW = "in_review"
    SHORTLISTED = "shortlisted"
    AWARDED = "awarded"
    NOT_AWARDED = "not_awarded"


class Entry(db.Model):
    """A practice submitted in one nomination by an organisation or an individual mentor."""

    __tablename__ = "entries"
    __table_args__ = (
        Index("ix_entries_season_status", "season_id", "status"),
        CheckConstraint("mentors_count IS NULL OR mentors_count >= 1", name="mentors_positive"),
        CheckConstraint("mentees_count IS NULL OR mentees_count >= 1", name="mentees_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    season_id: Mapped[int] = mapped_column(ForeignKey("seasons.id", ondelete="RESTRICT"))
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id", ondelete="RESTRICT"), index=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id", ondelete="RESTRICT"))
    # The applicant: an organisation (when set) or the creating user alone (an individual mentor).
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)

    status: Mapped[str] = mapped_column(String(20), default=EntryStatus.DRAFT.value)
    version: Mapped[int] = mapped_column(default=1)

    title: Mapped[str] = mapped_column(String(300), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    problem: Mapped[str] = mapped_column(Text, default="")
    goals: Mapped[str] = mapped_column(Text, default="")
    mentoring_form: Mapped[str | None] = mapped_column(String(40))
    target_audience: Mapped[str] = mapped_column(Text, default="")
    mentors_count: Mapped[int | None]
    mentees_count: Mapped[int | None]
    start_year: Mapped[int | None]
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    description: Mapped[str] = mapped_column(Text, default="")
    resources: Mapped[str] = mapped_column(Text, default="")
    results: Mapped[str] = mapped_column(Text, default="")
    replicability: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[list] = mapped_column(JSON, default=list)
    video_url: Mapped[str] = mapped_column(String(500), default="")

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    season = relationship("Season", lazy="joined")
    nomination = relationship("Nomination", lazy="joined")
    organisation = relationship("Organisation", lazy="joined")
    created_by = relationship("User")
    region = relationship("Region")
    authors: Mapped[list["EntryAuthor"]] = relationship(
        back_populates="entry", order_by="EntryAuthor.position", cascade="all, delete-orphan"
    )
    files = relationship("EntryFile", back_populates="entry", order_by="EntryFile.id")
    consents: Mapped[list["Consent"]] = relationship(back_populates="entry", order_by="Consent.id")

    # Optimistic locking: every UPDATE checks and bumps `version`, so two writers never overwrite each other.
    __mapper_args__ = {"version_id_col": version}

    def consent_given(self, kind: str) -> bool:
        """The latest decision of this kind (consents are append-only records)."""
        latest = [c for c in self.consents if c.kind == kind]
        return bool(latest and latest[-1].given)

    @property
    def applicant_name(self) -> str:
        return self.organisation.display_name if self.organisation else self.created_by.full_name


class EntryAuthor(db.Model):
    __tablename__ = "entry_authors"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    full_name: Mapped[str] = mapped_column(String(200))
    job_title: Mapped[str] = mapped_column("position_title", String(300), default="")
    email: Mapped[str] = mapped_column(String(254), default="")

    entry: Mapped[Entry] = relationship(back_populates="authors")


class ConsentKind(str, enum.Enum):
    PROCESSING = "processing"  # personal data processing (152-FZ)
    PUBLICATION = "publication"  # publishing the practice and the authors' names if awarded


class Consent(db.Model):
    """One decision about one consent, with the text version shown and the moment; append-only."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    given: Mapped[bool]
    text_version: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ip: Mapped[str] = mapped_column(String(64), default="")

    entry: Mapped[Entry | None] = relationship(back_populates="consents")


class DeadlineExtension(db.Model):
    """An individual extension of the submission deadline for one entry, granted by an organizer with a reason.

    One row per entry: a new grant moves `until` (the audit log keeps every change); revoking sets `revoked_at`."""

    __tablename__ = "deadline_extensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), unique=True)
    until: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(Text)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    entry = relationship("Entry")
    granted_by = relationship("User")

    def active_at(self, now: datetime) -> bool:
        """Whether the extension still lets the entry change at `now`."""
        return self.revoked_at is None and now < self.until
