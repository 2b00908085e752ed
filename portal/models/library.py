"""The public library of practices, and the awards its items carry."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import UTCDateTime, utcnow


class AwardTier(str, enum.Enum):
    """SPEC §8: a winner has a place 1–3; the other tiers have none."""

    WINNER = "winner"
    PRIZE = "prize"
    LAUREATE = "laureate"
    SPECIAL = "special"


class Award(db.Model):
    """The award an entry received in its season; one per entry."""

    __tablename__ = "awards"
    __table_args__ = (
        CheckConstraint("(tier = 'winner' AND place BETWEEN 1 AND 3) OR (tier <> 'winner' AND place IS NULL)",
                        name="winner_place"),
        CheckConstraint("tier IN ('winner', 'prize', 'laureate', 'special')", name="tier_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), unique=True)
    season_id: Mapped[int] = mapped_column(ForeignKey("seasons.id", ondelete="CASCADE"), index=True)
    tier: Mapped[str] = mapped_column(String(20))
    place: Mapped[int | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    entry = relationship("Entry", lazy="joined")


class LibraryStatus(str, enum.Enum):
    """Only `published` items are ever shown; change through `portal.services.library` functions."""

    PUBLISHED = "published"
    UNPUBLISHED = "unpublished"


class LibrarySource(str, enum.Enum):
    ENTRY = "entry"      # published from an entry of a season run on the portal
    ARCHIVE = "archive"  # imported from a JSON Lines archive (SPEC §8)


class LibraryItem(db.Model):
    """A practice in the public library: a copy of the public fields an organizer may edit, apart from the entry."""

    __tablename__ = "library_items"
    __table_args__ = (
        Index("ix_library_items_status_published", "status", "published_at"),
        CheckConstraint("status IN ('published', 'unpublished')", name="status_known"),
        CheckConstraint("place IS NULL OR place BETWEEN 1 AND 3", name="place_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(10))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("entries.id", ondelete="SET NULL"), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    season_id: Mapped[int | None] = mapped_column(ForeignKey("seasons.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=LibraryStatus.PUBLISHED.value)

    year: Mapped[int]
    nomination_code: Mapped[str] = mapped_column(String(40))
    nomination_title: Mapped[str] = mapped_column(String(300), default="")
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    results: Mapped[str] = mapped_column(Text, default="")
    replicability: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[list] = mapped_column(JSON, default=list)
    mentoring_form: Mapped[str | None] = mapped_column(String(40))
    audience: Mapped[str | None] = mapped_column(String(20))
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    organisation_name: Mapped[str] = mapped_column(String(500), default="")  # empty where not consented
    award: Mapped[str | None] = mapped_column(String(20))
    place: Mapped[int | None]

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    region = relationship("Region", lazy="joined")
    season = relationship("Season")
    files: Mapped[list["LibraryFile"]] = relationship(back_populates="item", order_by="LibraryFile.position",
                                                      cascade="all, delete-orphan")

    @property
    def is_published(self) -> bool:
        return self.status == LibraryStatus.PUBLISHED.value


class LibraryFile(db.Model):
    """An entry's file an organizer made public on a library item, with the text extracted from it for search."""

    __tablename__ = "library_files"
    __table_args__ = (UniqueConstraint("item_id", "file_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("library_items.id", ondelete="CASCADE"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("entry_files.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    extracted_text: Mapped[str] = mapped_column(Text, default="")

    item: Mapped[LibraryItem] = relationship(back_populates="files")
    file = relationship("EntryFile", lazy="joined")
