"""The English catalogue is complete: every string marked in the code and templates has a translation.

Russian is the source language (the msgids); English comes from `portal/translations/en/LC_MESSAGES/messages.po`.
The messages are extracted afresh from the source with the same mapping as `make extract-messages` (babel.cfg and the
keywords `_`, `gettext`, `_l`, `lazy_gettext`), so a string added without a translation fails here, by name, even
before anyone has run `make extract-messages`. No application, no database.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
BABEL_CFG = ROOT / "babel.cfg"
EN_PO = ROOT / "portal" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
EN_PO_SHOWN = os.path.relpath(EN_PO, ROOT)
# As in the Makefile: pybabel's default keywords (`_`, `gettext`, `ngettext`, …) plus the lazy ones.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "N_": None}
# %(name)s, %(n)d, %(size).1f …: the name and the conversion must survive translation.
PLACEHOLDER = re.compile(r"%\((\w+)\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")


def _msgid(message_id) -> str:
    """The singular msgid (a plural message has a tuple of ids)."""
    return message_id[0] if isinstance(message_id, (tuple, list)) else message_id


def _translation(message) -> str:
    return "".join(message.string) if isinstance(message.string, (tuple, list)) else (message.string or "")


def _placeholders(text: str) -> set[str]:
    return {m.group(0) for m in PLACEHOLDER.finditer(text)}


@pytest.fixture(scope="module")
def catalog():
    with EN_PO.open("rb") as f:
        return read_po(f, locale="en")


@pytest.fixture(scope="module")
def entries(catalog):
    """Every message of the catalogue except the header (whose msgid is empty)."""
    return [m for m in catalog if _msgid(m.id)]


@pytest.fixture(scope="module")
def extracted() -> dict[str, list[str]]:
    """msgid -> ["file:line", …] for every string marked in the source, extracted the way `make extract-messages` does."""
    with BABEL_CFG.open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f, filename=str(BABEL_CFG))
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True):
        found.setdefault(_msgid(message), []).append(f"{filename}:{lineno}")
    return found


def test_babel_cfg_maps_the_code_and_the_templates():
    with BABEL_CFG.open(encoding="utf-8") as f:
        method_map, _options = parse_mapping_cfg(f, filename=str(BABEL_CFG))
    assert dict(method_map) == {"portal/**.py": "python", "reviewers/**.py": "python", "templates/**.html": "jinja2",
                                "templates/**.txt": "jinja2"}


def test_the_catalogue_has_no_empty_or_fuzzy_entries(catalog, entries):
    assert entries, f"{EN_PO_SHOWN} holds no messages"
    assert not catalog.fuzzy, f"the header of {EN_PO_SHOWN} is marked fuzzy"
    problems = [f"{'empty' if not _translation(m).strip() else 'fuzzy'}: {_msgid(m.id)!r}"
                for m in entries if not _translation(m).strip() or m.fuzzy]
    assert not problems, f"{len(problems)} empty or fuzzy entries in {EN_PO_SHOWN}:\n" + "\n".join(problems)


def test_every_string_in_the_source_is_translated(catalog, extracted):
    assert extracted, "nothing was extracted: check babel.cfg and the extractors"
    missing = []
    for msgid, places in sorted(extracted.items(), key=lambda item: item[1][0]):
        message = catalog.get(msgid)
        if message is None:
            missing.append(f"{places[0]}: {msgid!r} (not in the catalogue)")
        elif not _translation(message).strip() or message.fuzzy:
            missing.append(f"{places[0]}: {msgid!r} ({'fuzzy' if _translation(message).strip() else 'empty'})")
    assert not missing, (
        f"{len(missing)} strings in the source have no English translation. Run `make extract-messages`, translate them "
        f"in {EN_PO_SHOWN} and run `make translations`:\n" + "\n".join(missing))


def test_placeholders_survive_translation(entries):
    wrong = []
    for m in entries:
        source, target = _placeholders(_msgid(m.id)), _placeholders(_translation(m))
        if source != target:
            wrong.append(f"{_msgid(m.id)!r}: {sorted(source)} in the msgid, {sorted(target)} in the translation")
    assert not wrong, "placeholders differ between msgid and msgstr:\n" + "\n".join(wrong)


def test_placeholder_pattern():
    assert _placeholders("Не более %(n)d символов (сейчас %(len)d).") == {"%(n)d", "%(len)d"}
    assert _placeholders("%(n)s МБ, %(x).1f, 100%") == {"%(n)s", "%(x).1f"}
