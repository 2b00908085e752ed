"""A small Russian library to search: hand-written practices for relevance, and a seeded generated one for counts."""
from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from search.documents import PracticeDoc
from search.index import SearchIndex

NOMINATIONS = ("production", "education", "social", "public_service", "business")


def practice(id: int, title: str, summary: str = "", description: str = "", *, results: str = "",
             replicability: str = "", keywords: tuple[str, ...] = (), files_text: str = "",
             nomination: str = "education", region: str | None = "77", district: str | None = "CFD", year: int = 2024,
             form: str | None = "teacher-teacher", award: str | None = None, audience: str | None = "teachers",
             published_at: datetime | None = None) -> PracticeDoc:
    """A practice with sensible defaults for what a test does not care about."""
    return PracticeDoc(id=id, title=title, summary=summary, description=description, results=results,
                       replicability=replicability, keywords=keywords, files_text=files_text, nomination=nomination,
                       region=region, district=district, year=year, form=form, award=award, audience=audience,
                       published_at=published_at or datetime(year, 6, 1, tzinfo=timezone.utc))


LIBRARY = [
    practice(1, "Школа молодого наставника", "Наставник сопровождает молодого педагога в первый год работы.",
             "Опытные наставники проводят открытые уроки.", keywords=("наставничество", "адаптация"), year=2021),
    practice(2, "Наставничество на предприятии", "Программа адаптации молодых специалистов завода.",
             "Мастера цеха работают с наставляемыми.", nomination="production", region="66", district="UFD",
             form="worker-worker", audience="workers", award="winner", year=2023),
    practice(3, "Учёт достижений наставляемых", "Электронный учёт результатов каждого студента.",
             "Кураторы ведут учёт встреч с наставниками.", nomination="education", region="16", district="VFD",
             form="teacher-student", audience="students", year=2022),
    practice(4, "Учет компетенций сотрудников", "Система учета навыков на предприятии.",
             nomination="production", region="16", district="VFD", form="worker-worker", audience="workers",
             award="prize", year=2025),
    practice(5, "Mentoring programme for young engineers", "Mentors meet mentees every week.",
             "The mentoring sessions build engineering skills.", nomination="business", region="78", district="NWFD",
             form="reverse", audience="workers", year=2024),
    practice(6, "Подростки и волонтёры", "Волонтёры помогают подросткам из трудных семей.",
             "Встречи в кружках по интересам.", nomination="social", region="02", district="VFD", form="group",
             audience="pupils", award="laureate", year=2020),
    practice(7, "Цифровое наставничество", "Онлайн-платформа для наставников и студентов колледжа.",
             "Студенты получают обратную связь от наставника.", nomination="education", region="50", district="CFD",
             form="employer-student", audience="students", year=2026),
    practice(8, "Адаптация госслужащих", "Наставник помогает новому госслужащему освоить регламенты.",
             nomination="public_service", region="77", district="CFD", form="worker-worker",
             audience="civil_servants", award="special", year=2019),
    practice(9, "Клуб молодых учителей", "Встречи молодых учителей с методистами.",
             "Учителя обсуждают уроки, а наставник — нет.", nomination="education", region="69", district="CFD",
             audience="teachers", year=2018),
    practice(10, "Бизнес-наставничество для стартапов", "Предприниматели становятся наставниками стартапов.",
             nomination="business", region="77", district="CFD", form="group", audience="other", year=2025),
    practice(11, "<script>alert('x')</script> Наставник & ученик", "Заголовок с разметкой <b>жирный</b>.",
             nomination="education", region="54", district="SibFD", audience="pupils", year=2023),
    practice(12, "Программа «Молодой специалист»", "Специалисты молодые, а программа новая.",
             "Молодой специалист проходит стажировку.", files_text="Презентация: наставник и молодой специалист "
             "на заводе. Отчёт о стажировке.", nomination="production", region="52", district="VFD",
             audience="workers", year=2024),
]


def generated(n: int, seed: int = 7) -> list[PracticeDoc]:
    """`n` practices with random facets and words from a small vocabulary (for counting against brute force)."""
    rng = random.Random(seed)
    words = ("наставник наставника наставниками наставничество педагог педагогов молодой молодых специалист "
             "специалистов адаптация адаптации предприятие предприятии студент студентов учёт учет школа школе "
             "mentor mentoring").split()
    docs = []
    for i in range(1, n + 1):
        text = lambda k: " ".join(rng.choice(words) for _ in range(k))  # noqa: E731
        docs.append(practice(
            i, text(4).capitalize(), text(12), text(30), results=text(8), keywords=(rng.choice(words),),
            nomination=rng.choice(NOMINATIONS), region=rng.choice(["77", "50", "16", "66", None]),
            district=rng.choice(["CFD", "VFD", None]), year=rng.randint(2015, 2026),
            form=rng.choice(["group", "reverse", None]), award=rng.choice([None, "winner", "prize"]),
            audience=rng.choice(["pupils", "students", "workers"])))
    return docs


def build(path, docs) -> SearchIndex:
    index = SearchIndex(str(path), lock_timeout=5.0)
    index.rebuild(iter(docs))
    return index


@pytest.fixture(scope="session")
def library(tmp_path_factory) -> SearchIndex:
    """The hand-written library, built once (read-only: tests that write make their own)."""
    return build(tmp_path_factory.mktemp("library"), LIBRARY)


@pytest.fixture(scope="session")
def big_docs() -> list[PracticeDoc]:
    return generated(400)


@pytest.fixture(scope="session")
def big(tmp_path_factory, big_docs) -> SearchIndex:
    return build(tmp_path_factory.mktemp("big"), big_docs)


@pytest.fixture
def fresh(tmp_path) -> SearchIndex:
    """A library of its own, to write to."""
    return build(tmp_path / "index", LIBRARY)


__all__ = ["LIBRARY", "build", "generated", "practice", "replace"]
