"""Browser journeys: Debian's Chromium driven by Playwright (sync API) against
pytest-django's live server.

- Never downloads a browser: PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 and an explicit
  executable (CHROMIUM, default /usr/bin/chromium; `make browser` installs it).
- Every test in e2e/ is marked ``e2e`` (``make unit`` leaves them out).
- ``shot(page, name)`` saves a full-page screenshot to e2e/screenshots/<test>/<n>-<name>.png;
  the ``visit`` helper navigates and screenshots in one step, so every page a journey
  visits is captured for review.
- ``demo`` loads the demo (``seed_demo --teachers 20``) into the live server's database.
- Accessibility: every screenshot also runs axe-core on the page (axe-playwright-python,
  its bundled axe.min.js injected into the page: no network). The journeys of
  ``AXE_ENFORCED`` fail on any serious or critical violation; every journey's findings
  are written to e2e/screenshots/axe-report.json (docs/decisions/0266).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
AXE_REPORT = SCREENSHOTS / "axe-report.json"
# The journeys that fail on a serious or critical axe finding (the others report it).
AXE_ENFORCED = frozenset(
    {
        "test_applicant",
        "test_certservices",
        "test_navigation",
        "test_notice",
        "test_public",
        "test_registration_journey",
        "test_registration_rules",
        "test_review",
        "test_staff",
        "test_ux",
    }
)
AXE_BLOCKING = ("serious", "critical")
DEMO_PASSWORD = "Jiaozi@2024"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}

E2E_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if E2E_DIR in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make browser` (apt-get install chromium).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _new_page(browser: Any, viewport: dict[str, int], **kwargs: Any) -> Any:
    context = browser.new_context(viewport=viewport, locale="zh-CN", **kwargs)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A desktop page in a fresh context (no cookies). Console errors (a CSP violation,
    a missing static file) fail the test."""
    page = _new_page(browser, DESKTOP)
    errors = _collect_console_errors(page)
    yield page
    page.context.close()
    assert not errors, f"browser console errors: {errors}"


@pytest.fixture
def phone_page(browser: Any) -> Iterator[Any]:
    page = _new_page(browser, PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    errors = _collect_console_errors(page)
    yield page
    page.context.close()
    assert not errors, f"browser console errors: {errors}"


def _collect_console_errors(page: Any) -> list[str]:
    errors: list[str] = []
    page.on(
        "console",
        lambda msg: errors.append(msg.text) if msg.type == "error" and not _expected(msg.text) else None,
    )
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def _expected(text: str) -> bool:
    # 404/403 pages are visited on purpose; Chromium logs their status as a console error.
    return bool(re.search(r"status of (403|404)", text))


def axe_findings(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is (rule, impact, where)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    findings = []
    for violation in results.response.get("violations", []):
        findings.append(
            {
                "rule": violation["id"],
                "impact": violation.get("impact") or "",
                "help": violation.get("help", ""),
                "targets": [" ".join(map(str, n.get("target", []))) for n in violation.get("nodes", [])][:5],
            }
        )
    return findings


@pytest.fixture
def axe_log(request: pytest.FixtureRequest) -> Iterator[list[dict[str, Any]]]:
    """Findings of the test's pages; blocking ones fail an enforced journey at the end."""
    import json

    log: list[dict[str, Any]] = []
    yield log
    module = request.node.module.__name__.rsplit(".", 1)[-1]
    if log:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        report = json.loads(AXE_REPORT.read_text()) if AXE_REPORT.exists() else {}
        report[request.node.nodeid] = log
        AXE_REPORT.write_text(json.dumps(report, ensure_ascii=False, indent=1))
    blocking = [f for f in log if f["impact"] in AXE_BLOCKING]
    if module in AXE_ENFORCED and os.environ.get("AXE", "1") != "0":
        assert not blocking, "axe: serious or critical violations:\n" + "\n".join(
            f"{f['page']}: {f['rule']} ({f['impact']}) {f['targets']}" for f in blocking
        )


@pytest.fixture
def shot(request: pytest.FixtureRequest, axe_log: list[dict[str, Any]]) -> Callable[[Any, str], Path]:
    folder = SCREENSHOTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    counter = {"n": 0}

    def take(page: Any, name: str) -> Path:
        counter["n"] += 1
        path = folder / f"{counter['n']:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        if os.environ.get("AXE", "1") != "0":
            width = (page.viewport_size or {}).get("width", 0)
            for finding in axe_findings(page):
                axe_log.append({"page": f"{name} @{width}px {page.url}", **finding})
        return path

    return take


@pytest.fixture
def visit(live_server: Any, shot: Callable[[Any, str], Path]) -> Callable[..., Any]:
    """``visit(page, "/path", "name")`` → the response, after a full-page screenshot."""

    def go(page: Any, path: str, name: str) -> Any:
        response = page.goto(live_server.url + path)
        page.wait_for_load_state("load")
        shot(page, name)
        return response

    return go


@pytest.fixture
def divisions(transactional_db: None, live_server: Any) -> None:
    """Anhui's divisions and bureaus. The data migration loads them, but a transactional
    test flushes the database after each test, so later tests load them again."""
    from django.core.management import call_command

    call_command("load_divisions", province="anhui", stdout=StringIO())


@pytest.fixture
def demo(divisions: None) -> None:
    from django.core.management import call_command

    call_command("seed_demo", teachers=20, no_applications=True, stdout=StringIO())


@pytest.fixture
def staff_prefix() -> str:
    from django.conf import settings

    return settings.STAFF_URL_PREFIX


@pytest.fixture
def sign_in(
    live_server: Any, staff_prefix: str, shot: Callable[[Any, str], Path]
) -> Callable[[Any, str], None]:
    """Signs a demo persona in at the staff entrance: password, then the TOTP code."""

    def go(page: Any, username: str) -> None:
        from django.urls import reverse

        from jiaozi.accounts.models import User
        from jiaozi.accounts.services import demo_totp_code

        page.goto(live_server.url + reverse("accounts:login"))
        shot(page, f"login-{username}")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_load_state("load")
        shot(page, f"after-password-{username}")
        if page.locator("input[name=otp_token], input[name=code], input[name=token]").count():
            shot(page, f"otp-{username}")
            user = User.objects.get(username=username)
            field = page.locator("input[name=otp_token], input[name=code], input[name=token]").first
            field.fill(demo_totp_code(user=user))
            page.locator("main form button[type=submit]").first.click()
            page.wait_for_load_state("load")
            shot(page, f"after-otp-{username}")

    return go


@pytest.fixture
def applicant_sign_in(live_server: Any, shot: Callable[[Any, str], Path]) -> Callable[..., None]:
    """Signs an applicant in on the portal with a password (the cookies cleared first)."""

    def go(page: Any, username: str, password: str, name: str) -> None:
        from django.urls import reverse

        page.context.clear_cookies()
        page.goto(live_server.url + reverse("applicants:login"))
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_load_state("load")
        shot(page, name)

    return go


def _upload_required(page: Any, *, except_: tuple[str, ...] = ()) -> list[str]:
    """On the applicant's edit page, upload a PDF of every material the application's
    campaign requires (§4) and that is not there yet, one form post each, as a teacher
    would; returns the kinds uploaded."""
    from jiaozi.registration.applications.submission import required_kinds
    from jiaozi.registration.models import Application, Material
    from jiaozi.registration.tests.test_materials import pdf_bytes

    found = re.search(r"/applications/(\d+)/", page.url)
    assert found is not None, page.url
    pk = int(found.group(1))
    application = Application.objects.select_related("campaign").get(pk=pk)
    present = set(application.materials.values_list("kind", flat=True))
    done = []
    for kind in required_kinds(application.campaign, application.due):
        if kind in present or kind in except_:
            continue
        label = str(Material.Kind(kind).label)
        page.select_option("select[name=kind]", kind)
        page.set_input_files(
            "input[name=file]",
            files=[{"name": f"{label}.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}],
        )
        page.get_by_role("button", name="上传").click()
        page.wait_for_load_state("load")
        done.append(kind)
    return done


@pytest.fixture
def upload_required() -> Callable[..., list[str]]:
    """See ``_upload_required``."""
    return _upload_required
