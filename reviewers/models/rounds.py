"""Rounds of evaluation inside a season: rubric, reviewers per entry, window, visibility, advancement, tie-breaks."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import UTCDateTime, utcnow


class RevealReviews(str, enum.Enum):
    """When a juror may see the other jurors' reviews of the same entry."""

    NEVER = "never"
    AFTER_SUBMIT = "after_submit"
    ALWAYS = "always"


class AdvanceRule(str, enum.Enum):
    TOP_N = "top_n"  # the N best of each nomination
    TOP_PERCENT = "top_percent"  # the best X % of each nomination (rounded up)


class Round(db.Model):
    """A stage of judging. Its switches are data, read by the services: never dates scattered through views."""

    __tablename__ = "rounds"
    __table_args__ = (
        UniqueConstraint("season_id", "number"),
        CheckConstraint("closes_at > opens_at", name="window_order"),
        CheckConstraint("reviewers_per_entry >= 1", name="reviewers_positive"),
        CheckConstraint("advance_value > 0", name="advance_positive"),
        CheckConstraint("disagreement_threshold > 0", name="threshold_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    season_id: Mapped[int] = mapped_column(ForeignKey("seasons.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    rubric_id: Mapped[int] = mapped_column(ForeignKey("rubrics.id", ondelete="RESTRICT"))
    reviewers_per_entry: Mapped[int] = mapped_column(default=3)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    blind: Mapped[bool] = mapped_column(default=True)
    hide_region: Mapped[bool] = mapped_column(default=False)  # in a blind round, hide the region too
    reveal_reviews: Mapped[str] = mapped_column(String(20), default=RevealReviews.NEVER.value)
    advance_rule: Mapped[str] = mapped_column(String(20), default=AdvanceRule.TOP_N.value)
    advance_value: Mapped[float] = mapped_column(Float, default=10)
    # Spread (standard deviation of the reviews' 0–100 scores) above which an entry is flagged.
    disagreement_threshold: Mapped[float] = mapped_column(Float, default=15.0)
    # Criterion ids in the order they break ties; declared before judging starts.
    tie_break_criteria: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    rubric = relationship("Rubric", lazy="joined")
    season = relationship("Season")

    def is_open(self, now: datetime) -> bool:
        """Whether reviews in this round can change at `now`."""
        return self.opens_at <= now < self.closes_at
