"""Federal subjects of Russia (shipped as data in `portal/data/regions.csv`)."""
from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db


class Region(db.Model):
    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name_ru: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    time_zone: Mapped[str] = mapped_column(String(64))
    # None where no decree has placed the subject in a federal district yet.
    federal_district: Mapped[str | None] = mapped_column(String(8))
