"""Command-line interface: `flask --app portal …` (SPEC §7)."""
from __future__ import annotations

import time
from datetime import timedelta

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from portal.demo import DEMO_PASSWORD, seed_demo
from portal.extensions import db
from portal.models import Role, User, utcnow
from portal.services import accounts
from portal.services.errors import ServiceError
from portal.services.files import collect_orphans
from portal.services.library_import import import_lines
from portal.services.mail import deliver_pending
from portal.services.regions import sync_regions
from portal.services.search_sync import rebuild_index
from portal.storage import get_storage

users_cli = AppGroup("users", help="Пользователи: создание и API-токены.")
regions_cli = AppGroup("regions", help="Справочник регионов.")
storage_cli = AppGroup("storage", help="Файловое хранилище.")
outbox_cli = AppGroup("outbox", help="Исходящая почта.")
library_cli = AppGroup("library", help="Библиотека практик.")
search_cli = AppGroup("search", help="Поисковый индекс библиотеки.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.APPLICANT.value, show_default=True)
@click.option("--name", "full_name", default="", help="ФИО")
def users_create(email: str, password: str, role: str, full_name: str) -> None:
    """Create a confirmed user with a role."""
    try:
        user = accounts.create_user(db.session, email=email, password=password, full_name=full_name or email,
                                    role=role, config=current_app.config, confirmed_at=utcnow())
    except ServiceError as exc:
        raise click.ClickException(exc.message)
    db.session.commit()
    click.echo(f"created user {user.id} <{user.email}> role={user.role}")


@users_cli.command("token")
@click.argument("email")
@click.option("--name", default="cli", show_default=True)
def users_token(email: str, name: str) -> None:
    """Create an API token for EMAIL and print it (shown once)."""
    user = db.session.scalar(db.select(User).where(User.email == accounts.normalise_email(email)))
    if user is None:
        raise click.ClickException(f"no user {email}")
    _token, secret = accounts.create_api_token(db.session, user=user, name=name, now=utcnow())
    db.session.commit()
    click.echo(secret)


@regions_cli.command("sync")
def regions_sync() -> None:
    """Load the federal subjects from portal/data/regions.csv into the database."""
    changed = sync_regions(db.session)
    db.session.commit()
    click.echo(f"regions: {changed} inserted or updated")


@storage_cli.command("gc")
@click.option("--older-than-hours", default=24, show_default=True)
@click.option("--dry-run", is_flag=True)
def storage_gc(older_than_hours: int, dry_run: bool) -> None:
    """Delete stored objects that no file record refers to."""
    cutoff = utcnow() - timedelta(hours=older_than_hours)
    orphans = collect_orphans(db.session, storage=get_storage(), older_than=cutoff, dry_run=dry_run)
    for key in orphans:
        click.echo(("would delete " if dry_run else "deleted ") + key)
    click.echo(f"{len(orphans)} orphaned object(s)")


@outbox_cli.command("send")
@click.option("--loop", is_flag=True, help="Keep sending every few seconds (a worker process).")
@click.option("--interval", default=5.0, show_default=True)
def outbox_send(loop: bool, interval: float) -> None:
    """Deliver due messages from the outbox, with retries."""
    while True:
        sent, failed = deliver_pending(db.session, config=current_app.config, now=utcnow(), limit=200)
        if sent or failed or not loop:
            click.echo(f"sent {sent}, failed {failed}")
        if not loop:
            return
        time.sleep(interval)


@click.command("seed-demo")
@click.option("--quiet", is_flag=True)
def seed_demo_command(quiet: bool) -> None:
    """Create the demo seasons, accounts and entries (idempotent) and print the demo accounts."""
    now = utcnow()
    accounts_list = seed_demo(db.session, config=current_app.config, now=now)
    # Feature packages add their part of the demo (registered by the app factory; the core never imports them).
    for seeder in current_app.extensions.get("demo_seeders", []):
        accounts_list += seeder(db.session, config=current_app.config, now=now)
    db.session.commit()
    count = rebuild_index(current_app, db.session)
    if not quiet:
        click.echo(f"Библиотека: {count} практик в поисковом индексе.")
        click.echo(f"\nДемо-учётные записи (пароль у всех: {DEMO_PASSWORD}):")
        for role, email in accounts_list:
            click.echo(f"  {role:<10} {email}")


@library_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--dry-run", is_flag=True, help="Check every line and report, but import nothing.")
def library_import(path: str, dry_run: bool) -> None:
    """Import practices from a JSON Lines file (SPEC §8); a report line per problem, by line number."""
    with click.open_file(path, encoding="utf-8-sig") as handle:
        reports = import_lines(db.session, handle, user=None, now=utcnow())
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    counts: dict[str, int] = {}
    for report in reports:
        counts[report.status] = counts.get(report.status, 0) + 1
        if report.status in ("error", "skipped"):
            click.echo(f"строка {report.line}: {report.message}", err=True)
    summary = ", ".join(f"{name} {counts.get(name, 0)}" for name in ("created", "updated", "unchanged", "skipped",
                                                                     "error"))
    click.echo(("проверка без импорта: " if dry_run else "импорт: ") + summary)
    if counts.get("error") and not (counts.get("created") or counts.get("updated") or counts.get("unchanged")):
        raise SystemExit(1)


@search_cli.command("reindex")
def search_reindex() -> None:
    """Rebuild the library's search index from the database (searches go on using the old one until the swap)."""
    started = time.monotonic()
    count = rebuild_index(current_app, db.session)
    click.echo(f"indexed {count} practice(s) in {time.monotonic() - started:.1f} s")


def register_cli(app: Flask) -> None:
    for group in (users_cli, regions_cli, storage_cli, outbox_cli, library_cli, search_cli, seed_demo_command):
        app.cli.add_command(group)
