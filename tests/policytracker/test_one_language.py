"""One language a page: no English sentence on a Chinese page, no Chinese on an English one,
outside the names, titles and quotations the page marks with their own `lang`
(tests/language.py reads the rendered text)."""

import pytest

from tests.language import visible_text, wrong_language

FINDER = {
    "entity_type": "innovative_drug_firm",
    "location": "beijing",
    "stage": "application_accepted",
    "product_type": "chemical_drug",
    "class1": "on",
}

PAGES = {
    "home": "/",
    "measures": "/measures/",
    "measures-searched": "/measures/?q=%E5%88%9B%E6%96%B0%E8%8D%AF",
    "measure": "/measures/beijing-2025/12/",
    "documents": "/documents/",
    "document": "/documents/beijing-2025/",
    "agencies": "/agencies/",
    "agency": "/agencies/nmpa/",
    "progress": "/progress/",
    "compare-editions": "/compare/beijing-2024/beijing-2025/",
    "compare-levels": "/compare/national-2025/beijing-2025/",
    "finder": "/applicability/?" + "&".join(f"{k}={v}" for k, v in FINDER.items()),
    "data-quality": "/data-quality/",
    "changes": "/changes/",
    "changes-filtered": "/changes/?jurisdiction=beijing&object=target",
    "not-found": "/measures/beijing-2025/999/",
}


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("page", PAGES)
def test_a_page_speaks_one_language(client, reference_data, page, language):
    response = client.get(PAGES[page], HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == (404 if page == "not-found" else 200)
    html = response.content.decode()
    assert visible_text(html)[0] == language
    slips = [str(slip) for slip in wrong_language(html)]
    assert slips == []
