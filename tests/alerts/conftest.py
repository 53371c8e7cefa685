import re
from urllib.parse import urlsplit

import pytest

from tests.factories import DocumentFactory, MeasureFactory, TargetFactory

LINK = re.compile(r"https?://[^\s\"'<>]+")


def path_of(url: str) -> str:
    return urlsplit(url).path


def links_in(text: str, part: str) -> list[str]:
    """The paths of the e-mail's links to alerts/<part>/."""
    return [path_of(url) for url in LINK.findall(text) if f"/alerts/{part}/" in url]


@pytest.fixture
def subscribe(client, mail_server, django_capture_on_commit_callbacks):
    """Post the subscribe form as a reader does (the confirmation task runs at commit)."""

    def post(**fields):
        data = {"frequency": "daily", "language": "zh-hans", **fields}
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/alerts/subscribe/", data, HTTP_ACCEPT_LANGUAGE=data["language"])

    return post


@pytest.fixture
def target(db):
    document = DocumentFactory(
        slug="beijing-2025", title_zh="北京措施", title_en="Beijing measures"
    )
    measure = MeasureFactory(section__document=document, number=12)
    return TargetFactory(measure=measure)
