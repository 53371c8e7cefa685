"""Subscribing by e-mail without an account: the form on the catalogue's pages, the confirmation
e-mail received over SMTP, and its signed, expiring link (double opt-in)."""

import time
from unittest import mock

import pytest
from django.test import Client
from django.utils import translation

from alerts import links
from alerts.models import Subscription
from tests.alerts.conftest import confirm as press_confirm
from tests.alerts.conftest import links_in, path_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "subject", "words"),
    [
        ("en", "Confirm your e-mail alert", "Follow this link within 3 days"),
        ("zh-hans", "请确认您的邮件提醒", "请在 3 天内打开此链接"),
    ],
)
def test_subscribing_mails_a_link_that_confirms(
    client, subscribe, mail_server, target, language, subject, words
):
    response = subscribe(
        email="Reader@Example.com", kind="document", criteria="beijing-2025", language=language
    )

    assert response.status_code == 200
    assert "reader@example.com" in response.content.decode()
    subscription = Subscription.objects.get()
    assert (subscription.email, subscription.kind, subscription.criteria) == (
        "reader@example.com",
        "document",
        "beijing-2025",
    )
    assert subscription.confirmed_at is None
    message = mail_server.only_message()
    assert message.rcpt_tos == ["reader@example.com"]
    assert message["Subject"].strip().startswith(subject)
    assert message["Content-Language"] == language
    assert words in message.text
    assert ("Beijing measures" if language == "en" else "北京措施") in message.text
    [confirm] = links_in(message.text, "confirm")
    assert links_in(message.html, "confirm") == [confirm]
    assert subscription.confirmed_at is None

    # Opening the link (as a mail scanner does) only asks.
    asked = client.get(confirm, HTTP_ACCEPT_LANGUAGE=language)
    assert asked.status_code == 200
    button = "Confirm" if language == "en" else "确认"
    assert f'<button type="submit">{button}</button>' in asked.content.decode()
    subscription.refresh_from_db()
    assert subscription.confirmed_at is None

    reader = Client(enforce_csrf_checks=True)
    confirmed = press_confirm(reader, confirm, HTTP_ACCEPT_LANGUAGE=language)

    assert confirmed.status_code == 200
    assert ("Your alert is on" if language == "en" else "提醒已启用") in (
        confirmed.content.decode()
    )
    subscription.refresh_from_db()
    assert subscription.confirmed_at is not None
    assert subscription.last_sent_through == subscription.confirmed_at
    assert subscription.is_active
    # Opening the link again says the alert is on; confirming again changes nothing.
    assert f'<form method="post" action="{confirm}">' not in reader.get(confirm).content.decode()
    assert reader.post(confirm).status_code == 403  # no token: not from our page
    assert client.post(confirm).status_code == 200
    again = Subscription.objects.get()
    assert again.confirmed_at == subscription.confirmed_at


def test_an_expired_confirmation_link_is_gone_and_changes_nothing(client, target):
    subscription = Subscription.objects.create(
        email="late@example.com", kind="document", criteria="beijing-2025"
    )
    four_days_ago = time.time() - 4 * 24 * 3600
    with mock.patch("django.core.signing.time.time", return_value=four_days_ago):
        link = path_of(links.confirm_url(subscription))

    for response in (
        client.get(link, HTTP_ACCEPT_LANGUAGE="en"),
        client.post(link, HTTP_ACCEPT_LANGUAGE="en"),
    ):
        assert response.status_code == 410
        assert "This link has expired" in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.confirmed_at is None


@pytest.mark.parametrize("forge", ["tampered", "other purpose", "unknown token"])
def test_a_forged_confirmation_link_is_refused_and_changes_nothing(client, target, forge):
    subscription = Subscription.objects.create(
        email="someone@example.com", kind="document", criteria="beijing-2025"
    )
    signed = path_of(links.confirm_url(subscription)).split("/")[-2]
    if forge == "tampered":
        signed = signed[:-1] + ("A" if signed[-1] != "A" else "B")
    elif forge == "other purpose":
        signed = path_of(links.manage_url(subscription)).split("/")[-2]
    else:
        stranger = Subscription(token="not-a-token-of-ours")
        signed = path_of(links.confirm_url(stranger)).split("/")[-2]

    link = f"/alerts/confirm/{signed}/"
    for response in (
        client.get(link, HTTP_ACCEPT_LANGUAGE="zh-hans"),
        client.post(link, HTTP_ACCEPT_LANGUAGE="zh-hans"),
    ):
        assert response.status_code == 400
        assert "此链接无效" in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.confirmed_at is None


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"email": "not an address", "kind": "document", "criteria": "beijing-2025"}, "email"),
        ({"email": "", "kind": "document", "criteria": "beijing-2025"}, "email"),
        ({"email": "a@example.com", "kind": "document", "criteria": "no-such-document"}, None),
        ({"email": "a@example.com", "kind": "measure", "criteria": "beijing-2025/999"}, None),
        ({"email": "a@example.com", "kind": "measure", "criteria": "beijing-2025/x"}, None),
        ({"email": "a@example.com", "kind": "target", "criteria": "99999"}, None),
        ({"email": "a@example.com", "kind": "search", "criteria": "in_force=maybe"}, None),
        ({"email": "a@example.com", "kind": "search", "criteria": "document=nope"}, None),
        ({"email": "a@example.com", "kind": "search", "criteria": "secret=1"}, None),
        ({"email": "a@example.com", "kind": "profile", "criteria": "location=beijing"}, None),
        ({"email": "a@example.com", "kind": "everything", "criteria": ""}, "kind"),
        (
            {
                "email": "a@example.com",
                "kind": "document",
                "criteria": "beijing-2025",
                "frequency": "hourly",
            },
            "frequency",
        ),
    ],
)
def test_a_bad_subscription_is_a_form_error_and_stores_and_sends_nothing(
    subscribe, mail_server, target, fields, error_field
):
    response = subscribe(**fields)

    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors
    if error_field:
        assert error_field in form.errors
    else:
        assert form.non_field_errors()
    assert Subscription.objects.count() == 0
    assert mail_server.messages == []


def test_subscribing_again_reuses_the_row_and_does_not_flood_the_address(
    subscribe, mail_server, target
):
    subscribe(email="a@example.com", kind="measure", criteria="beijing-2025/12")
    subscribe(email="A@example.com", kind="measure", criteria=" beijing-2025/12 ", language="en")

    subscription = Subscription.objects.get()
    assert subscription.language == "en"  # not confirmed yet: the latest form's choice
    assert len(mail_server.messages) == 1


def test_an_ended_subscription_taken_up_again_must_be_confirmed_again(
    client, subscribe, mail_server, target
):
    subscription = Subscription.objects.create(
        email="back@example.com", kind="target", criteria=target.pk
    )
    subscription.confirm()
    subscription.unsubscribe()
    old_link = path_of(links.confirm_url(subscription))
    # An old confirmation link does not start an ended alert.
    assert client.get(old_link).status_code == 410
    assert client.post(old_link).status_code == 410

    subscribe(email="back@example.com", kind="target", criteria=str(target.pk))

    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is None
    assert subscription.confirmed_at is None
    [confirm] = links_in(mail_server.only_message().text, "confirm")
    assert press_confirm(client, confirm).status_code == 200
    subscription.refresh_from_db()
    assert subscription.is_active


def test_a_search_is_followed_from_the_measures_page(client, subscribe, target):
    query = "q=%E8%AF%95%E9%AA%8C&document=beijing-2025"
    page = client.get(f"/measures/?{query}").content.decode()
    assert 'action="/alerts/subscribe/"' in page
    assert 'name="kind" value="search"' in page
    criteria = "q=%E8%AF%95%E9%AA%8C&amp;document=beijing-2025"
    assert f'name="criteria" value="{criteria}"' in page

    response = subscribe(email="s@example.com", kind="search", criteria=query + "&page=2")

    assert response.status_code == 200
    # The page number is not part of what is followed; names are sorted.
    assert Subscription.objects.get().criteria == {"document": ["beijing-2025"], "q": ["试验"]}


def test_a_document_measure_and_target_are_followed_from_their_pages(client, target):
    document_page = client.get("/documents/beijing-2025/").content.decode()
    assert 'name="kind" value="document"' in document_page
    assert 'name="criteria" value="beijing-2025"' in document_page

    measure_page = client.get("/measures/beijing-2025/12/").content.decode()
    assert 'name="kind" value="measure"' in measure_page
    assert 'name="criteria" value="beijing-2025/12"' in measure_page
    assert 'name="kind" value="target"' in measure_page
    assert f'name="criteria" value="{target.pk}"' in measure_page


def test_a_firm_profile_is_followed_from_the_finder(client, subscribe, reference_data):
    query = "entity_type=innovative_drug_firm&location=beijing&stage=clinical_trial"
    page = client.get(f"/applicability/?{query}").content.decode()
    assert 'name="kind" value="profile"' in page

    response = subscribe(email="firm@example.com", kind="profile", criteria=query)

    assert response.status_code == 200
    subscription = Subscription.objects.get()
    assert subscription.criteria == {
        "entity_type": ["innovative_drug_firm"],
        "location": ["beijing"],
        "stage": ["clinical_trial"],
    }
    assert subscription.query_dict().urlencode() == (
        "entity_type=innovative_drug_firm&location=beijing&stage=clinical_trial"
    )


def test_the_form_defaults_to_the_page_language(client, target):
    with translation.override("en"):
        page = client.get("/documents/beijing-2025/", HTTP_ACCEPT_LANGUAGE="en")
    assert '<option value="en" selected>' in page.content.decode()
    page = client.get("/documents/beijing-2025/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert '<option value="zh-hans" selected>' in page.content.decode()
