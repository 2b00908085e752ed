"""Reads what a person types: words, "phrases", OR between words, a minus before a word or phrase to exclude it.

Never raises: whatever cannot be read as an operator is read as plain words, and the person is told (a notice in
Russian). OR binds tighter than the implicit AND: `молодой OR начинающий педагог` = (молодой OR начинающий) AND
педагог. Quotes « » “ ” „ count as ".
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from search.analysis import terms

MAX_QUERY_CHARS = 500
MAX_CLAUSES = 32
MAX_PHRASE_TERMS = 12
OR_WORDS = frozenset({"OR", "ИЛИ", "|"})
QUOTES = str.maketrans({c: '"' for c in "«»“”„‟″"})
CHUNK = re.compile(r'(-?)"([^"]*)"|(\S+)')

NOTICE_LONG = "Запрос слишком длинный: учтены первые {n} слов."
NOTICE_CHARS = "Запрос слишком длинный: учтены первые {n} символов."
NOTICE_QUOTE = "Кавычка не закрыта: слова после неё искали как обычные."
NOTICE_OR = "Оператор OR нужен между двумя словами; лишний OR пропущен."
NOTICE_MINUS = "Минус ставят перед словом, которое надо исключить; одиночный минус пропущен."
NOTICE_NOTHING = "В запросе нет слов для поиска (только служебные слова или знаки) — показаны все практики."
NOTICE_ONLY_EXCLUDED = "В запросе только исключения — показаны все практики, кроме исключённых."


@dataclass(frozen=True)
class Clause:
    """A word (one term) or a phrase (terms in order); terms are index terms (folded, stemmed)."""

    terms: tuple[str, ...]

    @property
    def is_phrase(self) -> bool:
        return len(self.terms) > 1


@dataclass
class ParsedQuery:
    """Required groups (AND across groups, OR inside one), excluded clauses, and what to tell the person."""

    required: list[list[Clause]] = field(default_factory=list)
    excluded: list[Clause] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def notice(self) -> str | None:
        return " ".join(dict.fromkeys(self.notices)) or None

    @property
    def highlight_terms(self) -> frozenset[str]:
        return frozenset(t for group in self.required for clause in group for t in clause.terms)

    @property
    def has_text(self) -> bool:
        return bool(self.required or self.excluded)


def _clean(text: str) -> tuple[str, list[str]]:
    notices = []
    text = "".join(ch if ch.isprintable() else " " for ch in text).translate(QUOTES)
    if len(text) > MAX_QUERY_CHARS:
        cut = text.rfind(" ", 0, MAX_QUERY_CHARS)
        text = text[:cut if cut > MAX_QUERY_CHARS // 2 else MAX_QUERY_CHARS]
        notices.append(NOTICE_CHARS.format(n=len(text)))
    if text.count('"') % 2:
        last = text.rfind('"')
        text = text[:last] + " " + text[last + 1:]
        notices.append(NOTICE_QUOTE)
    return text, notices


def parse(text: str) -> ParsedQuery:
    """The query a person typed, read leniently (see the module docstring)."""
    cleaned, notices = _clean(text or "")
    parsed = ParsedQuery(notices=notices)
    items: list = []  # Clause, ("-", Clause) or "OR"
    for match in CHUNK.finditer(cleaned):
        minus, phrase, word = match.groups()
        if word is not None and word in OR_WORDS:
            items.append("OR")
            continue
        if word is not None:
            minus, body = ("-", word[1:]) if word.startswith("-") else ("", word)
            if minus and not body.strip("-"):
                parsed.notices.append(NOTICE_MINUS)
                continue
        else:
            body = phrase
        found = terms(body)
        if not found:
            continue
        if len(found) > MAX_PHRASE_TERMS:
            found = found[:MAX_PHRASE_TERMS]
        if minus:
            items.append(("-", Clause(tuple(found))))
        elif phrase is not None:
            items.append(Clause(tuple(found)))
        else:  # one chunk such as «IT-компания» or «2015-2020»: each word on its own
            items.extend(Clause((t,)) for t in found)
    _group(items, parsed)
    if cleaned.strip() and not parsed.has_text:
        parsed.notices.append(NOTICE_NOTHING)
    return parsed


def _group(items: list, parsed: ParsedQuery) -> None:
    """Fold the item list into OR groups; an OR without a word on both sides is dropped with a notice."""
    count = 0
    last_required = pending_or = False
    for item in items:
        if item == "OR":
            if not last_required or pending_or:
                parsed.notices.append(NOTICE_OR)
            else:
                pending_or = True
            continue
        if count >= MAX_CLAUSES:
            parsed.notices.append(NOTICE_LONG.format(n=MAX_CLAUSES))
            break
        count += 1
        if isinstance(item, tuple):  # an exclusion cannot be an alternative
            if pending_or:
                parsed.notices.append(NOTICE_OR)
            parsed.excluded.append(item[1])
            last_required = pending_or = False
            continue
        if pending_or:
            if item not in parsed.required[-1]:
                parsed.required[-1].append(item)
        elif [item] not in parsed.required:
            parsed.required.append([item])
        last_required, pending_or = True, False
    if pending_or:
        parsed.notices.append(NOTICE_OR)
    if not parsed.required and parsed.excluded:
        parsed.notices.append(NOTICE_ONLY_EXCLUDED)
