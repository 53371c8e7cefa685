"""In a real browser: a drug firm describes itself in the finder's form and reads what applies
now, what will apply once its drug is approved, and what applied under an edition since replaced.

Uses the Chromium and fixtures of tests/browser.py.
"""

import re

import pytest

from tests.browser import shoot


@pytest.mark.django_db(transaction=True)
def test_a_firm_finds_the_support_it_can_claim(page):
    from playwright.sync_api import expect

    page.goto(page.base + "/")
    page.get_by_role("link", name="哪些支持政策适用于我们?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("哪些支持政策适用于我们?")
    # Sensible defaults: a Beijing drug firm in clinical trials.
    expect(page.get_by_label("我们是")).to_have_value("innovative_drug_firm")
    expect(page.get_by_label("我们的经营地")).to_have_value("beijing")

    # Its application has just been accepted; the drug is a Class-1 chemical drug.
    page.get_by_label("产品所处阶段").select_option("application_accepted")
    page.get_by_label("产品类别").select_option("chemical_drug")
    page.get_by_label("属于1类创新药").check()
    page.get_by_role("button", name="查找适用措施").click()

    # The profile is in the address, so the result can be shared.
    expect(page).to_have_url(re.compile(r"stage=application_accepted"))
    expect(page).to_have_url(re.compile(r"class1=on"))
    guidance = page.locator('[data-measure="national-2025/3"]')
    expect(guidance).to_contain_text("点对点指导")
    expect(guidance.locator(".approach")).to_contain_text("国家医疗保障局")
    expect(guidance.locator('[data-condition="stage"]')).to_contain_text("上市申请已受理")
    # Two sections: what applies now, then what applies once the drug is approved (or later).
    now = page.locator("ol.matches.now")
    later = page.locator("ol.matches.later")
    expect(page.get_by_role("heading", name=re.compile("条措施现在适用"))).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("条措施将在后续阶段适用"))).to_be_visible()
    expect(now.locator('[data-measure="beijing-2025/20"]')).to_be_visible()
    expect(now.locator('[data-measure="national-2025/3"]')).to_be_visible()
    expect(now.locator('[data-measure="beijing-2025/19"]')).to_have_count(0)
    listing = later.locator('[data-measure="beijing-2025/19"]')
    expect(listing).to_contain_text("获批上市后1个月内")
    expect(listing.locator(".tag.upcoming")).to_have_text("产品进入“已获批上市”后适用")
    stage = listing.locator('[data-condition="stage"]')
    expect(stage).to_have_class("check-later")
    expect(stage).not_to_contain_text("✓")
    expect(later.locator('[data-measure="national-2025/9"]')).to_be_visible()
    expect(later.locator('[data-measure="national-2025/7"]')).to_contain_text("商保创新药目录")
    # Nothing that applies later is shown above what applies now.
    assert now.bounding_box()["y"] < later.bounding_box()["y"]
    expect(page.get_by_role("link", name="下载结果（CSV）")).to_have_attribute(
        "href", re.compile(r"format=csv")
    )
    shoot(page, "applicability")

    # Printed, the result stands alone without the form.
    page.emulate_media(media="print")
    expect(page.locator("form.finder")).to_be_hidden()
    expect(guidance).to_be_visible()
    page.emulate_media(media="screen")

    # A wrong value typed into the address gets a form error, not a crash.
    response = page.goto(page.base + "/applicability/?entity_type=wizard&location=beijing")
    assert response.status == 400
    expect(page.get_by_role("alert")).to_contain_text("我们是")

    # Superseded measures on request: Beijing's 2024 fast listing, and what replaced it.
    page.goto(
        page.base + "/applicability/?entity_type=innovative_drug_firm&location=beijing"
        "&stage=approved&product_type=chemical_drug&class1=on"
    )
    expect(page.locator('[data-measure^="beijing-2024/"]')).to_have_count(0)
    page.get_by_label("包括已被替代的措施").check()
    page.get_by_role("button", name="查找适用措施").click()
    expect(page).to_have_url(re.compile(r"in_force=all"))
    old = page.locator('ol.matches.now [data-measure="beijing-2024/12"]')
    expect(old.locator(".superseded")).to_contain_text("2025-04-07")
    old.get_by_role("link", name="beijing-2025/19").click()
    expect(page).to_have_url(re.compile(r"/measures/beijing-2025/19/$"))
    page.go_back()

    # As of the last day of 2024: the 2024 edition, and no 2025 measure.
    page.get_by_label("包括已被替代的措施").uncheck()
    page.get_by_label("截至日期").fill("2024-12-31")
    page.get_by_role("button", name="查找适用措施").click()
    expect(page.get_by_role("status")).to_contain_text("2024-12-31")
    expect(page.locator('.finding [data-measure^="beijing-2024/"]').first).to_be_visible()
    expect(page.locator('.finding [data-measure*="-2025/"]')).to_have_count(0)
    shoot(page, "applicability-as-of")

    # The same profile, in English.
    page.goto(page.base + "/applicability/?entity_type=commercial_insurer&location=china_other")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator('[data-measure="national-2025/7"]')).to_contain_text(
        "commercial-insurance innovative-drug list"
    )
    expect(page.locator('.matches:not(.nearly) [data-measure^="beijing-"]')).to_have_count(0)
    # Beijing measures nearly apply: the firm is elsewhere.
    expect(
        page.locator('.nearly [data-measure^="beijing-2025/"] .failed-condition').first
    ).to_be_visible()
    shoot(page, "applicability-english")


@pytest.mark.django_db(transaction=True)
def test_the_class_1_box_goes_when_the_firm_makes_devices(page):
    from playwright.sync_api import expect

    page.goto(page.base + "/applicability/")
    class1 = page.get_by_label("属于1类创新药")
    expect(class1).to_be_visible()
    page.get_by_label("我们是").select_option("device_firm")
    expect(class1).to_be_hidden()
    page.get_by_label("我们是").select_option("innovative_drug_firm")
    expect(class1).to_be_visible()
    page.get_by_label("产品类别").select_option("ivd")
    expect(class1).to_be_hidden()
