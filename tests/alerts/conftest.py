import re
from urllib.parse import urlsplit

import pytest

from policytracker.celery import app as celery_app
from tests.factories import DocumentFactory, MeasureFactory, TargetFactory

LINK = re.compile(r"https?://[^\s\"'<>]+")


def path_of(url: str) -> str:
    return urlsplit(url).path


def links_in(text: str, part: str) -> list[str]:
    """The paths of the e-mail's links to alerts/<part>/."""
    return [path_of(url) for url in LINK.findall(text) if f"/alerts/{part}/" in url]


CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def confirm(client, link: str, **headers):
    """Follow the confirmation link as a reader does: open the page (which alone changes
    nothing), then press its button, posting the page's form with its CSRF token."""
    page = client.get(link, **headers)
    assert page.status_code == 200, page.status_code
    html = page.content.decode()
    form = f'<form method="post" action="{link}">'
    assert form in html
    [token] = CSRF.findall(html[html.index(form) :].split("</form>")[0])
    return client.post(link, {"csrfmiddlewaretoken": token}, **headers)


@pytest.fixture
def subscribe(client, mail_server, django_capture_on_commit_callbacks):
    """Post the subscribe form as a reader does; the confirmation task runs inline at commit,
    with a broker too (test_worker.py has a real worker send it)."""

    def post(**fields):
        data = {"frequency": "daily", "language": "zh-hans", **fields}
        previous, celery_app.conf.task_always_eager = celery_app.conf.task_always_eager, True
        try:
            with django_capture_on_commit_callbacks(execute=True):
                return client.post(
                    "/alerts/subscribe/", data, HTTP_ACCEPT_LANGUAGE=data["language"]
                )
        finally:
            celery_app.conf.task_always_eager = previous

    return post


@pytest.fixture
def target(db):
    document = DocumentFactory(
        slug="beijing-2025", title_zh="北京措施", title_en="Beijing measures"
    )
    measure = MeasureFactory(section__document=document, number=12)
    return TargetFactory(measure=measure)
