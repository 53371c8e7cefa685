"""Every page of alerts, and the confirmation e-mail, in one language (tests/language.py)."""

import time
from unittest import mock

import pytest

from alerts import links
from alerts.models import Subscription
from tests.alerts.conftest import links_in, path_of
from tests.language import visible_text, wrong_language

pytestmark = pytest.mark.django_db


def speaks(html: str, language: str) -> None:
    assert visible_text(html)[0] == language
    assert [str(slip) for slip in wrong_language(html)] == []


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_alert_pages_speak_one_language(client, subscribe, mail_server, target, language):
    def page(response, status=200):
        assert response.status_code == status
        speaks(response.content.decode(), language)

    ask = {"HTTP_ACCEPT_LANGUAGE": language}
    page(client.get("/alerts/subscribe/?kind=document&criteria=beijing-2025", **ask))
    page(subscribe(email="bad", kind="document", criteria="nope", language=language), 400)
    page(
        subscribe(
            email="me@example.com", kind="document", criteria="beijing-2025", language=language
        )
    )
    message = mail_server.only_message()
    speaks(message.html, language)
    confirm = links_in(message.text, "confirm")[0]
    page(client.get(confirm, **ask))  # asks
    page(client.post(confirm, **ask))  # confirmed
    page(client.get(confirm, **ask))  # already on
    subscription = Subscription.objects.get()
    manage = path_of(links.manage_url(subscription))
    page(client.get(manage, **ask))
    page(client.post(manage, {"action": "save", "subscription": "x"}, **ask), 400)
    unsubscribe = path_of(links.unsubscribe_url(subscription))
    page(client.get(unsubscribe, **ask))
    page(client.post(unsubscribe, **ask))
    page(client.get(manage, **ask))  # with the ended alert
    page(client.get(confirm, **ask), 410)  # ended
    page(client.get("/alerts/confirm/forged:link/", **ask), 400)
    page(client.post("/alerts/confirm/forged:link/", **ask), 400)
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 10**6):
        expired = path_of(links.confirm_url(subscription))
    page(client.get(expired, **ask), 410)
    page(client.post(expired, **ask), 410)
