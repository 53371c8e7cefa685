"""The links in every e-mail: the manage page of an address, and unsubscribing in one click
(RFC 8058) or from the page, never by merely opening the link."""

import pytest
from django.test import Client

from alerts import links
from alerts.models import Subscription
from tests.alerts.conftest import confirm, links_in, path_of
from tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def alerts(target):
    """An address with three alerts (one ended), and another address's alert."""
    other_document = DocumentFactory(slug="national-2025")
    rows = [
        Subscription(email="me@example.com", kind="document", criteria="beijing-2025"),
        Subscription(email="me@example.com", kind="measure", criteria="beijing-2025/12"),
        Subscription(email="me@example.com", kind="target", criteria=target.pk),
        Subscription(email="me@example.com", kind="search", criteria={"q": ["医保"]}),
        Subscription(email="you@example.com", kind="document", criteria=other_document.slug),
    ]
    for row in rows:
        row.save()
        row.confirm()
    rows[2].unsubscribe()
    return rows


def test_the_manage_page_lists_the_address_alerts_only(client, alerts, django_assert_num_queries):
    link = path_of(links.manage_url(alerts[0]))

    with django_assert_num_queries(5):  # the link's row, the address's rows, and the names
        page = client.get(link, HTTP_ACCEPT_LANGUAGE="en")

    assert page.status_code == 200
    html = page.content.decode()
    assert "me@example.com" in html
    assert "you@example.com" not in html
    assert "national-2025" not in html
    assert 'href="/documents/beijing-2025/"' in html
    assert 'href="/measures/beijing-2025/12/"' in html
    assert "unsubscribed" in html
    # One form per alert still on (the ended one has none), and one to end them all.
    assert html.count('value="save"') == 3


def test_the_manage_page_changes_how_often_and_the_language(client, alerts):
    link = path_of(links.manage_url(alerts[0]))
    measure_alert = alerts[1]

    response = client.post(
        link,
        {
            "subscription": measure_alert.pk,
            "frequency": "weekly",
            "language": "en",
            "action": "save",
        },
    )

    assert response.status_code == 303
    measure_alert.refresh_from_db()
    assert (measure_alert.frequency, measure_alert.language) == ("weekly", "en")
    assert "提醒设置已保存" in client.get(link).content.decode()


@pytest.mark.parametrize(
    "change",
    [
        {"subscription": "other address", "frequency": "weekly", "language": "en"},
        {"subscription": "mine", "frequency": "hourly", "language": "en"},
        {"subscription": "mine", "frequency": "weekly", "language": "fr"},
        {"subscription": "", "frequency": "weekly", "language": "en"},
    ],
)
def test_a_bad_change_on_the_manage_page_is_a_form_error_and_changes_nothing(
    client, alerts, change
):
    link = path_of(links.manage_url(alerts[0]))
    chosen = {"other address": alerts[4].pk, "mine": alerts[1].pk, "": ""}[change["subscription"]]
    before = list(Subscription.objects.values_list("frequency", "language", "unsubscribed_at"))

    response = client.post(link, {**change, "subscription": chosen, "action": "save"})
    also = client.post(link, {"subscription": alerts[4].pk, "action": "unsubscribe"})

    assert response.status_code == 400
    assert response.context["form"].errors
    assert also.status_code == 400
    after = list(Subscription.objects.values_list("frequency", "language", "unsubscribed_at"))
    assert after == before


def test_the_manage_page_unsubscribes_one_or_all(client, alerts):
    link = path_of(links.manage_url(alerts[0]))

    client.post(link, {"subscription": alerts[1].pk, "action": "unsubscribe"})

    assert list(Subscription.objects.active().values_list("pk", flat=True)) == [
        alerts[0].pk,
        alerts[3].pk,
        alerts[4].pk,
    ]

    response = client.post(link, {"action": "unsubscribe_all"})

    assert response.status_code == 303
    assert list(Subscription.objects.active()) == [alerts[4]]  # another address's stays on
    assert "您已退订全部提醒" in client.get(link).content.decode()


def test_a_forged_manage_link_is_refused(client, alerts):
    unsubscribe_signed = path_of(links.unsubscribe_url(alerts[0])).split("/")[-2]

    response = client.get(f"/alerts/manage/{unsubscribe_signed}/", HTTP_ACCEPT_LANGUAGE="en")
    posted = client.post(f"/alerts/manage/{unsubscribe_signed}/", {"action": "unsubscribe_all"})

    assert response.status_code == 400
    assert posted.status_code == 400
    assert Subscription.objects.active().count() == 4


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_one_click_unsubscribe_from_the_mail_headers(
    subscribe, mail_server, target, language, django_capture_on_commit_callbacks
):
    subscribe(
        email="click@example.com", kind="document", criteria="beijing-2025", language=language
    )
    message = mail_server.only_message()
    client = Client(enforce_csrf_checks=True)  # a mail client has no cookie or token of ours
    confirm(client, links_in(message.text, "confirm")[0])
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header = message["List-Unsubscribe"]
    assert header.startswith("<http://127.0.0.1:8000/alerts/unsubscribe/")
    assert header.endswith(">")
    assert links_in(message.text, "unsubscribe") == [path_of(header[1:-1])]
    link = path_of(header[1:-1])

    # Opening the link (as a mail scanner does) only asks.
    asked = client.get(link, HTTP_ACCEPT_LANGUAGE=language)
    assert asked.status_code == 200
    assert Subscription.objects.get().is_active

    response = client.post(
        link,
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    subscription = Subscription.objects.get()
    assert subscription.unsubscribed_at is not None
    assert not subscription.is_active
    # Again: still unsubscribed, no error.
    assert client.post(link, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert Subscription.objects.get().unsubscribed_at == subscription.unsubscribed_at


def test_the_unsubscribe_page_button_unsubscribes(alerts):
    client = Client(enforce_csrf_checks=True)
    link = path_of(links.unsubscribe_url(alerts[0]))
    page = client.get(link, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Stop these e-mails" in page

    response = client.post(link, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    alerts[0].refresh_from_db()
    assert alerts[0].unsubscribed_at is not None


def test_a_forged_unsubscribe_link_changes_nothing(alerts):
    client = Client(enforce_csrf_checks=True)
    manage_signed = path_of(links.manage_url(alerts[0])).split("/")[-2]

    response = client.post(
        f"/alerts/unsubscribe/{manage_signed}/", {"List-Unsubscribe": "One-Click"}
    )

    assert response.status_code == 400
    assert Subscription.objects.active().count() == 4
