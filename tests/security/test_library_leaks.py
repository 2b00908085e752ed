"""Nothing unpublished or unconsented leaves the portal through any public route: pages, file downloads, feed,
results, API, search hits, facet counts or similar practices — after publishing, editing and unpublishing in random
orders (a seeded property test)."""
from __future__ import annotations

import random

import pytest
from sqlalchemy import select

from portal.models import EntryFile, LibraryItem, utcnow
from portal.services import library
from portal.services.search_sync import rebuild_index
from portal.storage import backend_named
from tests.factories import make_awarded_entry, make_library_item, make_organisation, make_season, make_user

SECRET = "Засекреченный"       # only in unpublished practices (and the unconsented entry)
SECRET_ORG = "ООО «Тайная организация»"
WORDS = ("наставник", "наставниками", "засекреченный", "засекреченных", "тайная", "", "молодых")


def _public_bodies(client, *, item_ids, file_pairs, slug) -> dict[str, str]:
    """Every public route's answer, including searches for the secret words and every facet filter."""
    paths = ["/library/", "/library/feed.atom", f"/results/{slug}", "/api/v1/practices",
             f"/api/v1/seasons/{slug}/results"]
    for word in WORDS:
        paths += [f"/library/?q={word}", f"/api/v1/practices?q={word}", f"/api/v1/practices?q={word}&per_page=100"]
    for facet, value in (("nomination", "education"), ("year", "2024"), ("region", "77"), ("award", "winner"),
                         ("form", "workplace"), ("audience", "pupils"), ("district", "CFD")):
        paths += [f"/library/?{facet}={value}", f"/api/v1/practices?{facet}={value}&q=засекреченный"]
    for item_id in item_ids:
        paths += [f"/library/{item_id}", f"/api/v1/practices/{item_id}"]
    for item_id, file_id in file_pairs:
        paths.append(f"/library/{item_id}/files/{file_id}")
    bodies = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code in (200, 404), (path, response.status_code)
        bodies[path] = response.get_data(as_text=True)
        response.close()
    return bodies


def _api_ids(client, **params) -> set[int]:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    data = client.get(f"/api/v1/practices?per_page=100&{query}").get_json()
    return {item["id"] for item in data["items"]}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_unpublished_practices_never_leak(app, client, db, seed):
    rng = random.Random(seed)
    now = utcnow()
    owner = make_user()
    organisation = make_organisation(owner, name=SECRET_ORG)
    season = make_season(slug=f"leak-{seed}")
    season.results_published_at = now
    # An awarded entry whose applicant refused publication: its title and organisation must stay private.
    refused = make_awarded_entry(owner, season, organisation=organisation, consent=False)
    refused.title = f"{SECRET} проект наставников"
    awarded = make_awarded_entry(make_user(), season, code="production", tier="prize", place=None)
    published = library.publish_entry(db.session, entry=awarded, user=None, now=now, storage_for=backend_named)
    items = [published]
    for n in range(6):
        items.append(make_library_item(title=f"Практика наставников {n}", nomination=rng.choice(
            ["education", "production"]), year=rng.choice([2023, 2024]), region=rng.choice(["77", "66"]),
            audience=rng.choice(["pupils", "workers"])))
    db.session.commit()
    rebuild_index(app, db.session)

    for step in range(8):
        item = rng.choice(items)
        if item.is_published and rng.random() < 0.6:
            title = item.title if SECRET in item.title else f"{SECRET} {item.title}"
            library.update_item(db.session, item=item, user=None, data={"title": title,
                                "keywords": [f"{SECRET}ключ", "тайная"]}, now=now, storage_for=backend_named)
            library.unpublish_item(db.session, item=item, user=None, now=now, reason="проверка")
        elif not item.is_published:
            library.update_item(db.session, item=item, user=None, now=now, storage_for=backend_named,
                                data={"title": f"Практика наставников открыта {step}", "keywords": ["открытая"]})
            library.republish_item(db.session, item=item, user=None, now=now)
        db.session.commit()

        visible = {i.id for i in db.session.scalars(select(LibraryItem).where(LibraryItem.status == "published"))}
        hidden = {i.id for i in items} - visible
        files = [(published.id, f.id) for f in db.session.scalars(select(EntryFile))]
        bodies = _public_bodies(client, item_ids=[i.id for i in items], file_pairs=files, slug=season.slug)
        # (the searched words are echoed in lower case; the secret texts are capitalised)
        leaks = [path for path, body in bodies.items() if SECRET in body or SECRET_ORG in body]
        assert leaks == [], f"step {step}: secret text in {leaks}"
        for item_id in hidden:
            assert client.get(f"/library/{item_id}").status_code == 404
            assert client.get(f"/api/v1/practices/{item_id}").status_code == 404
        assert _api_ids(client) == visible
        assert _api_ids(client, q="засекреченный") == set()
        data = client.get("/api/v1/practices?per_page=100").get_json()
        assert data["total"] == len(visible)
        for facet, values in data["facets"].items():
            assert sum(v["count"] for v in values) <= len(visible), facet
        expected_years = {}
        for i in db.session.scalars(select(LibraryItem).where(LibraryItem.id.in_(visible))):
            expected_years[str(i.year)] = expected_years.get(str(i.year), 0) + 1
        assert {v["value"]: v["count"] for v in data["facets"]["year"]} == expected_years
        if published.id in hidden:
            response = client.get(f"/library/{published.id}/files/{files[0][1]}")
            response.close()
            assert response.status_code == 404
