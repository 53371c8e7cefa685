"""Our own 404 and 500 pages, in the site's layout and the reader's language, DEBUG on or off;
and the favicon."""

from pathlib import Path

import pytest
from django.test import Client
from django.urls import path

from policytracker import urls as site_urls


def fails(request):
    raise RuntimeError("a bug in a view")


# The site's routes and one view with a bug, for the 500 page (see test_a_failing_view_...).
urlpatterns = [path("fails/", fails), *site_urls.urlpatterns]
handler404 = site_urls.handler404
handler500 = site_urls.handler500

LANGUAGES = {
    "zh-hans": {
        "brand": "政策追踪",
        "not_found": "此地址没有对应的文件或措施",
        "server_error": "服务器错误",
        "back": "全部政策文件",
    },
    "en": {
        "brand": "Policy Tracker",
        "not_found": "There is no document or measure at this address",
        "server_error": "Server error",
        "back": "All documents",
    },
}


def assert_site_page(response, language: str) -> str:
    page = response.content.decode()
    words = LANGUAGES[language]
    assert f'<html lang="{language}">' in page
    assert f'<a class="brand" href="/">{words["brand"]}</a>' in page
    assert f'<a href="/">{words["back"]}</a>' in page
    assert 'rel="icon"' in page
    assert "Traceback" not in page
    return page


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [True, False], ids=["debug", "production"])
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "address", ["/measures/national-2025/999/", "/documents/nowhere/", "/agencies/nobody/"]
)
def test_an_unknown_id_gets_our_404_page(client, settings, debug, language, address):
    settings.DEBUG = debug
    response = client.get(address, headers={"Accept-Language": language})
    assert response.status_code == 404
    page = assert_site_page(response, language)
    assert LANGUAGES[language]["not_found"] in page
    # Not Django's technical page, which lists the URL patterns.
    assert "URLconf" not in page
    # A search, and the switch to the other language (which returns to this address).
    assert '<form class="search" method="get" action="/measures/" role="search">' in page
    assert '<form class="language" action="/i18n/setlang/" method="post">' in page
    assert f'name="next" type="hidden" value="{address}"' in page


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_an_address_matching_no_route_gets_our_404_page_in_production(client, settings, language):
    settings.DEBUG = False
    response = client.get("/no-such-page/", headers={"Accept-Language": language})
    assert response.status_code == 404
    assert LANGUAGES[language]["not_found"] in assert_site_page(response, language)


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_failing_view_gets_our_500_page(settings, language):
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__
    client = Client(raise_request_exception=False)
    response = client.get("/fails/", headers={"Accept-Language": language})
    assert response.status_code == 500
    page = assert_site_page(response, language)
    assert f"<h1>{LANGUAGES[language]['server_error']}</h1>" in page
    # Rendered without the request (nothing that may have failed is read): no language switch.
    assert 'class="language"' not in page


@pytest.mark.django_db
def test_the_api_still_answers_json_for_an_unknown_address(client, settings):
    settings.DEBUG = True
    response = client.get("/api/v1/measures/nowhere/1/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


@pytest.mark.django_db
def test_the_favicon_is_served_at_its_usual_address(client):
    from django.contrib.staticfiles import finders

    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/img/favicon.svg"
    # The static file it leads to (served by WhiteNoise, or `runserver` with DEBUG).
    icon = finders.find("img/favicon.svg")
    assert icon is not None
    assert Path(icon).read_text().startswith("<svg ")
