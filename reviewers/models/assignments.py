"""Assignments of entries to jurors, their reviews and scores, and the discussion of a flagged entry."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (CheckConstraint, Float, ForeignKey, ForeignKeyConstraint, Index, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import UTCDateTime, utcnow


class AssignmentStatus(str, enum.Enum):
    """Change only through `reviewers.services` transitions, never by assigning `status`."""

    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    RECUSED = "recused"


class AssignmentMethod(str, enum.Enum):
    AUTO = "auto"
    MANUAL = "manual"


class Assignment(db.Model):
    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("round_id", "entry_id", "juror_id"),
        Index("ix_assignments_round_juror", "round_id", "juror_id"),
        Index("ix_assignments_round_entry", "round_id", "entry_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"))
    juror_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(20), default=AssignmentStatus.ASSIGNED.value)
    method: Mapped[str] = mapped_column(String(10), default=AssignmentMethod.AUTO.value)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recuse_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    round = relationship("Round", lazy="joined")
    entry = relationship("Entry", lazy="joined")
    juror = relationship("User")
    review: Mapped["Review | None"] = relationship(back_populates="assignment", uselist=False)


class Review(db.Model):
    """One per assignment. Read-only once submitted; nothing changes after the round closes."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), unique=True)
    comment_applicant: Mapped[str] = mapped_column(Text, default="")
    comment_private: Mapped[str] = mapped_column(Text, default="")
    weighted_score: Mapped[float | None] = mapped_column(Float)  # 0–100, set on submit
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    assignment: Mapped[Assignment] = relationship(back_populates="review")
    scores: Mapped[list["Score"]] = relationship(back_populates="review", cascade="all, delete-orphan",
                                                 order_by="Score.criterion_id")


class Score(db.Model):
    """One score per (review, criterion). The scale is copied from the criterion and tied to it by a composite
    foreign key, so the database itself keeps every value inside its criterion's scale."""

    __tablename__ = "scores"
    __table_args__ = (
        UniqueConstraint("review_id", "criterion_id"),
        CheckConstraint("value >= scale_min AND value <= scale_max", name="inside_scale"),
        ForeignKeyConstraint(["criterion_id", "scale_min", "scale_max"],
                             ["criteria.id", "criteria.scale_min", "criteria.scale_max"],
                             name="fk_scores_criterion_scale", ondelete="RESTRICT", onupdate="CASCADE"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"))
    criterion_id: Mapped[int] = mapped_column()
    scale_min: Mapped[float] = mapped_column(Float)
    scale_max: Mapped[float] = mapped_column(Float)
    value: Mapped[float] = mapped_column(Float)

    review: Mapped[Review] = relationship(back_populates="scores")


class DiscussionMessage(db.Model):
    """A message in the discussion among the jurors of one entry (opened for flagged entries)."""

    __tablename__ = "discussion_messages"
    __table_args__ = (Index("ix_discussion_round_entry", "round_id", "entry_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author = relationship("User", lazy="joined")


class Decision(db.Model):
    """An organizer's recorded decision on an entry in a round: a chair's tie-break position, or a manual
    override of the advancement rule, always with a reason."""

    __tablename__ = "round_decisions"
    __table_args__ = (UniqueConstraint("round_id", "entry_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # "chair_position" | "advance" | "hold"
    position: Mapped[int | None]
    reason: Mapped[str] = mapped_column(Text)
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
