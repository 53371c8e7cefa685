"""End to end, in a real browser: an analyst finds measures in a few clicks, in either language.

Runs Debian's Chromium (/usr/bin/chromium, or CHROMIUM_PATH) through Playwright against a live
server started by the test. Screenshots of the main pages go to test-artifacts/.
"""

import os
import re
import shutil
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's chromium package")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread while the module's tests
    # run; their database access is still synchronous and safe. Set for this module only.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, reference_data):
    # A Chinese-speaking analyst's browser; each test gets a fresh profile (cookies, language).
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base = live_server.url
    yield page
    context.close()


def shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


@pytest.mark.django_db(transaction=True)
def test_an_analyst_finds_a_measure_and_its_predecessor(page):
    from playwright.sync_api import expect

    # The overview: the three documents and where the targets stand.
    page.goto(page.base + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("中国创新药支持政策")
    expect(page.locator(".card h3")).to_have_count(3)
    expect(page.get_by_text("北京市支持创新医药高质量发展若干措施(2025年)")).to_be_visible()
    shoot(page, "overview")

    # Filter the measures by topic, then by agency: each click narrows the table. The list
    # holds what is in force today: the national measures and Beijing's 2025 edition.
    page.get_by_role("link", name="政策措施").first.click()
    expect(page.locator(".results-head .meta")).to_have_text("48 条措施")
    page.locator('a[data-facet="topic"][data-value="clinical_trials"]').click()
    expect(page).to_have_url(re.compile(r"topic=clinical_trials"))
    topic_rows = page.locator("table.measures-table tbody tr").count()
    assert 0 < topic_rows < 48
    page.locator('a[data-facet="agency"][data-value="bj-health"]').click()
    expect(page).to_have_url(re.compile(r"agency=bj-health"))
    both_rows = page.locator("table.measures-table tbody tr").count()
    assert 0 < both_rows <= topic_rows
    shoot(page, "measures-filtered")
    page.get_by_role("link", name="清除筛选").first.click()
    expect(page.locator(".results-head .meta")).to_have_text("48 条措施")

    # Search: every measure mentioning 双通道, the term marked.
    page.get_by_label("搜索标题、摘要、全文和目标").fill("双通道")
    page.get_by_role("button", name="搜索").click()
    expect(page.locator("mark").first).to_have_text("双通道")
    expect(page.locator("td.id a", has_text="beijing-2025/18")).to_be_visible()
    shoot(page, "search")

    # Open a 2025 measure and follow its link to the 2024 measure it strengthens.
    page.locator("td.id a", has_text="beijing-2025/18").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("国家谈判药品直接进入医院用药目录")
    shoot(page, "measure")
    page.locator(".links a", has_text="beijing-2024/14").click()
    expect(page).to_have_url(re.compile(r"/measures/beijing-2024/14/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("国谈药加快进院")
    expect(page.get_by_text("药事会")).not_to_have_count(0)

    # Switch to English: the same page, in English.
    page.get_by_role("button", name="English").click()
    expect(page).to_have_url(re.compile(r"/measures/beijing-2024/14/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Targets and time limits")).to_be_visible()
    shoot(page, "measure-english")


@pytest.mark.django_db(transaction=True)
def test_pages_work_on_a_phone_and_without_javascript(browser, live_server, reference_data):
    from playwright.sync_api import expect

    context = browser.new_context(
        locale="en-US", viewport={"width": 390, "height": 844}, java_script_enabled=False
    )
    page = context.new_page()
    page.goto(live_server.url + "/measures/?q=药事会&in_force=all")
    expect(page.locator("td.id a", has_text="national-2025/10")).to_be_visible()
    # Nothing wider than the screen but the table, which scrolls inside its own box.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1
    page.locator('a[data-facet="document"][data-value="beijing-2024"]').click()
    expect(page.locator("td.id a")).to_have_count(1)
    shoot(page, "measures-phone")
    context.close()


@pytest.mark.django_db(transaction=True)
def test_bad_addresses_get_a_helpful_page(page):
    from playwright.sync_api import expect

    response = page.goto(page.base + "/measures/?topic=nonsense")
    assert response.status == 400
    expect(page.get_by_role("alert")).to_contain_text("nonsense")
    response = page.goto(page.base + "/measures/national-2025/99/")
    assert response.status == 404
    expect(page.get_by_role("link", name="全部政策文件")).to_be_visible()
