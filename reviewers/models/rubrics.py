"""Rubrics and their criteria: scale, weight, band descriptors."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import UTCDateTime, utcnow


class Rubric(db.Model):
    """A set of criteria; a round scores entries against one rubric."""

    __tablename__ = "rubrics"

    id: Mapped[int] = mapped_column(primary_key=True)
    season_id: Mapped[int] = mapped_column(ForeignKey("seasons.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    criteria: Mapped[list["Criterion"]] = relationship(
        back_populates="rubric", order_by="Criterion.position", cascade="all, delete-orphan")

    @property
    def active_criteria(self) -> list["Criterion"]:
        return [c for c in self.criteria if not c.retired]


class Criterion(db.Model):
    """One criterion with its scale. `bands` describe what ranges of the scale mean, e.g.
    [{"min": 9, "max": 10, "text": "результаты измерены и связаны с целями"}, …]."""

    __tablename__ = "criteria"
    __table_args__ = (
        CheckConstraint("scale_max > scale_min", name="scale_order"),
        CheckConstraint("scale_step > 0", name="step_positive"),
        CheckConstraint("weight > 0", name="weight_positive"),
        # Scores copy the scale and reference it through this key, so the database keeps them inside it.
        UniqueConstraint("id", "scale_min", "scale_max", name="uq_criteria_scale"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_id: Mapped[int] = mapped_column(ForeignKey("rubrics.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    code: Mapped[str] = mapped_column(String(40))
    title_ru: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300), default="")
    description_ru: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    scale_min: Mapped[float] = mapped_column(Float, default=1)
    scale_max: Mapped[float] = mapped_column(Float, default=10)
    scale_step: Mapped[float] = mapped_column(Float, default=1)
    weight: Mapped[float] = mapped_column(Float, default=1)
    required: Mapped[bool] = mapped_column(default=True)
    bands: Mapped[list] = mapped_column(JSON, default=list)
    retired: Mapped[bool] = mapped_column(default=False)

    rubric: Mapped[Rubric] = relationship(back_populates="criteria")

    def title(self, locale: str = "ru") -> str:
        return self.title_en if locale == "en" and self.title_en else self.title_ru

    def scale_values(self) -> list[float]:
        """Every allowed value of the scale, lowest first."""
        values, value = [], self.scale_min
        while value <= self.scale_max + 1e-9:
            values.append(round(value, 4))
            value += self.scale_step
        return values
