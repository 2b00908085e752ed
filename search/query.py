"""What a search asks and what it answers (plain data; see search/contract.md)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

FACET_NAMES = ("nomination", "region", "district", "year", "form", "award", "audience")
SORTS = ("relevance", "year", "title")
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class Query:
    """A library search: the words a person typed, facet filters, order and page."""

    text: str = ""
    filters: Mapping[str, Sequence[str]] = field(default_factory=dict)  # facet → accepted values (OR in, AND across)
    sort: str = "relevance"                                              # relevance | year | title
    page: int = 1
    per_page: int = 20
    facets: Sequence[str] = FACET_NAMES                                  # the facets to count


@dataclass(frozen=True)
class Hit:
    """One practice on the page: its id, score and HTML snippets (text escaped, matches in <mark>)."""

    id: int
    score: float
    highlights: Mapping[str, str]


@dataclass(frozen=True)
class Results:
    """One page of results; `total` and `facets` cover the whole filtered result set."""

    total: int
    hits: list[Hit]
    facets: Mapping[str, list[tuple[str, int]]]  # by count desc, then value
    notice: str | None = None                    # said to the person, in Russian
