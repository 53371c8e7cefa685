"""End to end, in a real browser: an analyst finds measures in a few clicks, in either language.

Runs Debian's Chromium (/usr/bin/chromium, or CHROMIUM_PATH) through Playwright against a live
server started by the test. Screenshots of the main pages go to test-artifacts/.
The browser fixtures (`browser`, `page`, `shoot`) are shared from tests/browser.py.
"""

import re

import pytest

from tests.browser import shoot


@pytest.mark.django_db(transaction=True)
def test_an_analyst_finds_a_measure_and_its_predecessor(page):
    from playwright.sync_api import expect

    # The overview: the three documents and where the targets stand.
    page.goto(page.base + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("中国创新药支持政策")
    expect(page.locator(".card h3")).to_have_count(3)
    expect(page.get_by_text("北京市支持创新医药高质量发展若干措施（2025年）")).to_be_visible()
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
    expect(page.locator("table.measures-table tbody tr")).to_have_count(1)
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


@pytest.mark.django_db(transaction=True)
def test_an_analyst_walks_back_to_a_past_day_and_returns(page):
    from playwright.sync_api import expect

    # Today: the 2025 edition and the national measures; the 2024 edition was superseded.
    page.goto(page.base + "/measures/")
    expect(page.locator(".results-head .meta")).to_have_text("48 条措施")
    expect(page.locator("#as-of-banner")).to_have_count(0)

    # Narrow by topic, then set a past day in the date field: the filter is kept.
    page.locator('a[data-facet="topic"][data-value="clinical_trials"]').click()
    expect(page).to_have_url(re.compile(r"topic=clinical_trials"))
    page.locator("#as_of").fill("2024-12-31")
    page.locator("#time-switch button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"as_of=2024-12-31"))
    expect(page).to_have_url(re.compile(r"topic=clinical_trials"))
    banner = page.locator("#as-of-banner")
    expect(banner).to_contain_text("2024-12-31")
    expect(page.locator("td.id a", has_text="beijing-2024/1").first).to_be_visible()
    expect(page.locator("td.id a", has_text="beijing-2025/")).to_have_count(0)
    shoot(page, "measures-as-of-2024")

    # A measure opened from there keeps the day and says it was in force then.
    page.locator("td.id a", has_text="beijing-2024/1").first.click()
    expect(page).to_have_url(re.compile(r"/measures/beijing-2024/\d+/\?as_of=2024-12-31"))
    expect(page.locator("#as-of-banner")).to_be_visible()
    expect(page.locator('.meta [data-validity="in_force"]')).to_be_visible()

    # Back to today: the banner goes, and the 2024 measure says what replaced it.
    page.locator("#as-of-banner a.back-to-today").click()
    expect(page).not_to_have_url(re.compile(r"as_of="))
    expect(page.locator("#as-of-banner")).to_have_count(0)
    expect(page.locator('.meta [data-validity="superseded"]')).to_contain_text("北京2025年版")

    # The list includes superseded measures at the flick of the switch, each row marked.
    page.goto(page.base + "/measures/?document=beijing-2024")
    expect(page.locator(".empty-validity")).to_contain_text("2025-04-07")
    page.locator('.empty-validity a[data-switch="all"]').click()
    expect(page.locator("tr.validity-row-superseded")).to_have_count(32)
    shoot(page, "measures-superseded")


@pytest.mark.django_db(transaction=True)
def test_the_progress_page_takes_a_past_day_from_its_form(page):
    from playwright.sync_api import expect

    page.goto(page.base + "/progress/?document=beijing-2024")
    page.locator("#as_of").fill("2024-12-31")
    page.locator("#time-switch button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"as_of=2024-12-31"))
    expect(page).to_have_url(re.compile(r"document=beijing-2024"))
    expect(page.locator("#as-of-banner")).to_contain_text("2024-12-31")
    page.locator("#as-of-banner a.back-to-today").click()
    expect(page).to_have_url(re.compile(r"/progress/\?document=beijing-2024$"))
