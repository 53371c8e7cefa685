"""In a real browser, the Content-Security-Policy blocks nothing the pages use: no violation on
the main pages, the admin and the API's pages, and the pages' scripts (now files) still run."""

import re

import pytest

PAGES = [
    "/",
    "/measures/",
    "/documents/beijing-2025/",
    "/agencies/",
    "/progress/",
    "/data-quality/",
    "/compare/beijing-2024/beijing-2025/",
    "/applicability/?entity_type=innovative_drug_company&location=beijing",
    "/no-such-page/",
    "/admin/login/",
    "/api/v1/topics/",
]


@pytest.mark.django_db(transaction=True)
def test_no_page_breaks_the_policy_and_the_scripts_still_run(
    browser,
    live_server,
    reference_data,
):
    from playwright.sync_api import expect

    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text)
            if "Content Security Policy" in message.text
            or "Content-Security-Policy" in message.text
            else None
        ),
    )
    page.on("pageerror", lambda error: violations.append(str(error)))
    # Every violation is also an event on the document, whether or not the console shows it.
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => console.error("
        "'Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )

    for path in PAGES:
        response = page.goto(live_server.url + path)
        assert response.headers["content-security-policy"].startswith("default-src 'self'")
        page.wait_for_load_state("load")

    # The API docs: Swagger UI draws the operations from the schema, with its script a file.
    page.goto(live_server.url + "/api/docs/")
    expect(page.locator(".opblock").first).to_be_visible(timeout=30_000)

    # The measure page's copy button appears only when site.js runs.
    page.goto(live_server.url + "/measures/beijing-2025/1/")
    expect(page.locator("button.copy")).to_be_visible()
    # Choosing a sort order submits the form at once (site.js, not an inline handler).
    page.goto(live_server.url + "/measures/")
    page.locator("select#sort").select_option("title")
    expect(page).to_have_url(re.compile(r"sort=title"))

    context.close()
    assert violations == []
