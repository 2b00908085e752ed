"""The migrations build exactly the schema the models describe (no autogenerate diff), on this run's database."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portal.extensions import db
from portal.models import Region


def test_migrations_match_the_models(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                                "compare_server_default": False})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_regions_are_loaded_with_time_zones(app):
    regions = db.session.scalars(db.select(Region).order_by(Region.code)).all()
    assert len(regions) == 89
    assert (regions[0].code, regions[0].name_ru) == ("01", "Республика Адыгея")
    assert db.session.get(Region, "25").time_zone == "Asia/Vladivostok"
