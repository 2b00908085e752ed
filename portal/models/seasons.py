"""Competition seasons, their tracks and nominations, and the timeline."""
from __future__ import annotations

import enum
from datetime import datetime, timedelta

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import UTCDateTime, utcnow


class SeasonStatus(str, enum.Enum):
    UPCOMING = "upcoming"
    SUBMISSIONS_OPEN = "submissions_open"
    REVIEWING = "reviewing"
    RESULTS_PUBLISHED = "results_published"
    CLOSED = "closed"


class Season(db.Model):
    """A year of the competition. Times are stored in UTC and shown in `time_zone`."""

    __tablename__ = "seasons"
    __table_args__ = (
        CheckConstraint("submissions_close_at > submissions_open_at", name="timeline_order"),
        CheckConstraint("grace_minutes >= 0 AND grace_minutes <= 1440", name="grace_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    title_ru: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300), default="")
    year: Mapped[int]
    time_zone: Mapped[str] = mapped_column(String(64), default="Europe/Moscow")
    rules_url: Mapped[str] = mapped_column(String(500), default="")
    description_ru: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    submissions_open_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submissions_close_at: Mapped[datetime] = mapped_column(UTCDateTime())
    review_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    results_planned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    results_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Uploads to a submission already under way may finish this many minutes after the close (0: off).
    grace_minutes: Mapped[int] = mapped_column(default=0)
    # How many entries one organisation may have in the whole season (None: only the nominations' limits apply).
    max_entries_per_organisation: Mapped[int | None]
    is_archived: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    tracks: Mapped[list["Track"]] = relationship(
        back_populates="season", order_by="Track.position", cascade="all, delete-orphan"
    )

    def status_at(self, now: datetime) -> SeasonStatus:
        """The status derived from the timeline at `now` (aware)."""
        if self.is_archived:
            return SeasonStatus.CLOSED
        if self.results_published_at is not None and self.results_published_at <= now:
            return SeasonStatus.RESULTS_PUBLISHED
        if now < self.submissions_open_at:
            return SeasonStatus.UPCOMING
        if now < self.submissions_close_at:
            return SeasonStatus.SUBMISSIONS_OPEN
        return SeasonStatus.REVIEWING

    @property
    def status(self) -> SeasonStatus:
        return self.status_at(utcnow())

    def accepts_submissions(self, now: datetime) -> bool:
        return self.status_at(now) == SeasonStatus.SUBMISSIONS_OPEN

    @property
    def upload_grace_until(self) -> datetime:
        return self.submissions_close_at + timedelta(minutes=self.grace_minutes)

    def title(self, locale: str = "ru") -> str:
        return (self.title_en if locale == "en" and self.title_en else self.title_ru)

    @property
    def nominations(self) -> list["Nomination"]:
        return [n for t in self.tracks for n in t.nominations]


class Track(db.Model):
    __tablename__ = "tracks"
    __table_args__ = (UniqueConstraint("season_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    season_id: Mapped[int] = mapped_column(ForeignKey("seasons.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    title_ru: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300), default="")
    position: Mapped[int] = mapped_column(default=0)

    season: Mapped[Season] = relationship(back_populates="tracks")
    nominations: Mapped[list["Nomination"]] = relationship(
        back_populates="track", order_by="Nomination.position", cascade="all, delete-orphan"
    )

    def title(self, locale: str = "ru") -> str:
        return (self.title_en if locale == "en" and self.title_en else self.title_ru)


class Nomination(db.Model):
    """A nomination inside a track; its `code` is stable across seasons (SPEC §8)."""

    __tablename__ = "nominations"
    __table_args__ = (
        UniqueConstraint("season_id", "code"),
        CheckConstraint("max_entries_per_applicant >= 1", name="limit_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Denormalised from the track so that a code is unique within a season (the API names nominations by code).
    season_id: Mapped[int] = mapped_column(ForeignKey("seasons.id", ondelete="CASCADE"), index=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    title_ru: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300), default="")
    description_ru: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    # Entries one applicant may have in this nomination's track (the rule: one, unless the nomination says otherwise).
    max_entries_per_applicant: Mapped[int] = mapped_column(default=1)
    is_open: Mapped[bool] = mapped_column(default=True)

    track: Mapped[Track] = relationship(back_populates="nominations", lazy="joined")
    season: Mapped[Season] = relationship()

    def title(self, locale: str = "ru") -> str:
        return (self.title_en if locale == "en" and self.title_en else self.title_ru)

    def description(self, locale: str = "ru") -> str:
        return (self.description_en if locale == "en" and self.description_en else self.description_ru)
