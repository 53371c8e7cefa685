"""On a phone as on a desktop: no page scrolls sideways, in either language.

One browser and one page per language: each address is loaded once and the viewport resized
through the widths (a resize reflows the page as a phone of that width would show it)."""

import re

import pytest

from tests.browser import shoot

PAGES = {
    "home": "/",
    "measures-filtered": "/measures/?topic=clinical_trials&agency=bj-health",
    "measures-searched": "/measures/?q=双通道&in_force=all",
    "measure": "/measures/national-2025/10/",
    "documents": "/documents/",
    "document": "/documents/national-2025/",
    "agencies": "/agencies/",
    "agency": "/agencies/nhsa/",
    "progress": "/progress/",
    "compare-picker": "/compare/",
    "compare-editions": "/compare/beijing-2024/beijing-2025/",
    "compare-levels": "/compare/national-2025/beijing-2025/",
    "finder": "/applicability/?entity_type=innovative_drug_firm&location=beijing",
    "data-quality": "/data-quality/",
    "changes": "/changes/",
    "not-found": "/measures/national-2025/999/",
}
PHONES = (360, 390, 414)
DESKTOP = 1366
SHOT_WIDTHS = (390, DESKTOP)

# What sticks out to the right of the viewport, unless a box that scrolls or clips holds it.
STICKING_OUT = """() => {
  const width = document.documentElement.clientWidth;
  const clipped = (element) => {
    for (let box = element.parentElement; box && box !== document.body; box = box.parentElement) {
      if (getComputedStyle(box).overflowX !== "visible") return true;
    }
    return false;
  };
  const name = (element) =>
    element.tagName.toLowerCase() + (element.className ? "." + element.className : "");
  return [...document.body.querySelectorAll("*")]
    .filter((element) => {
      const box = element.getBoundingClientRect();
      return box.width > 0 && box.right > width + 1 && !clipped(element);
    })
    .slice(0, 5)
    .map((element) => {
      const right = Math.round(element.getBoundingClientRect().right);
      return `${name(element)} (right edge ${right})`;
    });
}"""


def sideways(page) -> list[str]:
    """What makes the page wider than the viewport: empty when nothing does."""
    scroll_width, client_width = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    problems = page.evaluate(STICKING_OUT)
    if scroll_width > client_width:
        problems.insert(0, f"page is {scroll_width} px wide")
    return problems


# Tables of data whose rows cannot become cards (no cell says what it holds).
WITHOUT_CARDS = """() => [...document.querySelectorAll("main table")]
  .filter((table) => table.querySelector("tbody td") && !table.querySelector("td[data-label]"))
  .map((table) => "table." + (table.className || "(no class)") + " is not shown as cards")"""


def walk(page, language: str) -> dict[str, list[str]]:
    failures = {}
    for name, address in PAGES.items():
        page.set_viewport_size({"width": DESKTOP, "height": 900})
        response = page.goto(page.base + address)
        assert response.status == (404 if name == "not-found" else 200), address
        for width in (*PHONES, DESKTOP):
            page.set_viewport_size({"width": width, "height": 900})
            problems = sideways(page)
            if width in PHONES:
                problems += page.evaluate(WITHOUT_CARDS)
            if problems:
                failures[f"{language} {width} {address}"] = problems
            if width in SHOT_WIDTHS:
                shoot(page, f"phones-{language}-{name}-{width}")
    return failures


@pytest.mark.django_db(transaction=True)
def test_no_page_scrolls_sideways_on_a_phone_in_either_language(page):
    from playwright.sync_api import expect

    failures = walk(page, "zh")
    # Switch language the way a reader does: the button in the header (a cookie keeps it).
    page.goto(page.base + "/")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    failures |= walk(page, "en")
    assert not failures, "\n".join(f"{case}: {', '.join(why)}" for case, why in failures.items())


@pytest.mark.django_db(transaction=True)
def test_on_a_phone_the_measures_come_before_the_folded_filters(page):
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(page.base + "/measures/?topic=clinical_trials")
    filters = page.locator("details.filters")
    expect(filters).not_to_have_attribute("open", "")
    expect(page.locator('a[data-facet="agency"]').first).to_be_hidden()
    # The first result is on the first screen, a card whose topics read as words.
    first = page.locator("table.measures-table tbody tr").first
    assert first.bounding_box()["y"] < 844
    tag = first.locator(".tag").first
    box = tag.bounding_box()
    assert box["width"] > 2 * box["height"], box

    # The toggle opens the filters; a filter narrows the list as on a desktop.
    page.locator("details.filters > summary").click()
    page.locator('a[data-facet="agency"][data-value="bj-health"]').click()
    expect(page).to_have_url(re.compile(r"agency=bj-health"))
    expect(page.locator("details.filters")).not_to_have_attribute("open", "")

    # On a desktop the filters stay open beside the results, without a toggle.
    page.set_viewport_size({"width": 1366, "height": 900})
    expect(filters).to_have_attribute("open", "")
    expect(page.locator("details.filters > summary")).to_be_hidden()
    expect(page.locator('a[data-facet="agency"]').first).to_be_visible()


@pytest.mark.django_db(transaction=True)
def test_on_a_phone_progress_targets_read_as_lines_not_columns(page):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(page.base + "/progress/")
    name = page.locator("table.progress-table tbody tr").first.locator("td").nth(1)
    box = name.bounding_box()
    # A card as wide as the screen, not a column one character wide.
    assert box["width"] > 300, box
