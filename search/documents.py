"""What the portal hands to the index: one published library practice as plain data."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class PracticeDoc:
    """A published practice (LibraryItem) as the index sees it; every text is plain text, never HTML."""

    id: int                      # the LibraryItem id
    title: str
    summary: str
    description: str
    results: str
    replicability: str
    keywords: tuple[str, ...]
    files_text: str              # text extracted from the public files
    nomination: str              # stable code: production, education, social, public_service, business
    region: str | None           # two-digit region code
    district: str | None         # federal district code (CFD …) or None
    year: int
    form: str | None             # mentoring form code
    award: str | None            # winner / prize / laureate / special / None
    audience: str | None         # target-audience bucket code
    published_at: datetime       # aware UTC
