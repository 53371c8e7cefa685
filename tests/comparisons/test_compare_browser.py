"""In a real browser: an analyst picks two documents and reads what changed (see test_browser.py
for how Chromium is driven)."""

import re

import pytest

from tests.browser import shoot


@pytest.mark.django_db(transaction=True)
def test_an_analyst_compares_beijing_2024_with_2025(page):
    from playwright.sync_api import expect

    page.goto(page.base + "/")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="对比").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("文件对比")

    # The same document twice: the form says what is wrong.
    page.get_by_label("对比").select_option("beijing-2024")
    page.get_by_label("与").select_option("beijing-2024")
    page.get_by_role("button", name="对比").click()
    expect(page.locator(".error")).to_have_text("请选择两份不同的文件。")

    page.get_by_label("与").select_option("beijing-2025")
    page.get_by_role("button", name="对比").click()
    expect(page).to_have_url(re.compile(r"/compare/beijing-2024/beijing-2025/$"))
    expect(page.locator("tr.part-row")).to_have_count(8)
    fourth = page.locator("tr.part-row").nth(3)
    expect(fourth).to_contain_text("加力促进创新医药临床应用")
    expect(fourth).to_contain_text("努力拓展创新医药支付渠道")
    startup = page.locator('li[data-metric="trial_startup_weeks"]').first
    expect(startup).to_contain_text("≤28周 → ≤20周")
    shoot(page, "compare")

    # The picker started from two different documents: submitting it as shown compares them.
    page.goto(page.base + "/compare/")
    page.get_by_role("button", name="对比").click()
    expect(page).to_have_url(re.compile(r"/compare/beijing-2024/beijing-2025/$"))

    # Only the new measures; read our two summaries side by side; follow a measure to its page.
    page.get_by_label("关系").select_option("new")
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"relation=new"))
    relations = page.locator("article.measure-pair").evaluate_all(
        "nodes => nodes.map(n => n.dataset.relation)"
    )
    assert relations
    assert set(relations) == {"new"}
    page.goto(page.base + "/compare/beijing-2024/beijing-2025/?relation=strengthened")
    first = page.locator("article.measure-pair").first
    expect(first.locator(".side.older .our-summary").first).to_contain_text("本站摘要")
    expect(first.locator(".side.newer .our-summary")).to_contain_text("本站摘要")
    expect(first.locator("details.diff")).to_have_count(0)  # no word diff of paraphrases
    first.locator("h4 a").click()
    expect(page).to_have_url(re.compile(r"/measures/beijing-2025/\d+/$"))
