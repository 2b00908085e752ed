"""Browser fixtures for every test that drives a page: a live server on a free port and Playwright driving Debian's
Chromium (never a downloaded browser). Registered for the whole suite in tests/conftest.py, so one Playwright runs per
process whichever folder a browser test lives in."""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from tests.factories import PASSWORD

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
# Pages on a loaded 2-core machine (the suite runs beside the browser) may take a few seconds: wait as long for an
# expectation as for an action, instead of Playwright's default 5 s.
expect.set_options(timeout=15_000)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


@pytest.fixture
def live_server(app):
    """Serve `app` from a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["SERVER_NAME"] = f"127.0.0.1:{server.server_port}"
    app.config["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's package `chromium` (make chromium)")
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def page(browser):
    # Reduced motion: Bootstrap then opens and closes collapses without a transition, so a click never lands on a
    # button that moves under the pointer while its panel is still unfolding.
    context = browser.new_context(locale="ru-RU", timezone_id="Asia/Vladivostok", viewport={"width": 1280, "height": 900},
                                  reduced_motion="reduce")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def log_in(page, live_server):
    """`log_in(email)`: sign in through the login form with the factories' password, as a person would; whoever was
    signed in on this page before is signed out first (the browser's cookies cleared)."""
    def sign_in(email: str) -> None:
        page.context.clear_cookies()
        page.goto(live_server + "/auth/login")
        page.get_by_label("Электронная почта").fill(email)
        page.get_by_label("Пароль").fill(PASSWORD)
        page.get_by_role("button", name="Войти").click()
        expect(page.get_by_role("button", name="Выйти")).to_be_visible()
    return sign_in


@pytest.fixture
def shot(page):
    """Save a full-page screenshot under tests/artifacts/ (ignored by git) for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
