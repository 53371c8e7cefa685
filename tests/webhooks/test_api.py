"""/api/v1/webhooks/: API-token holders register, list, change and delete their own endpoints."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import API, DocumentFactory, StaffUserFactory
from webhooks.models import Endpoint

pytestmark = pytest.mark.django_db

URL = f"{API}/webhooks/"


def token_client(user=None) -> APIClient:
    """A client signed in by token: any user with a token, not only editors."""
    user = user or StaffUserFactory(is_staff=False, is_superuser=False)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def hook_url(receiver, loopback_allowed) -> str:
    return f"{receiver.url}/hook"


def test_registering_returns_the_secret_once(hook_url):
    client = token_client()
    document = DocumentFactory()
    response = client.post(
        URL,
        {"url": hook_url, "events": ["target.status", "measure.*"], "document": document.slug},
        format="json",
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    endpoint = Endpoint.objects.get(pk=created["id"])
    assert created["secret"] == endpoint.secret
    assert len(created["secret"]) >= 32  # generated
    assert (created["events"], created["document"]) == (
        ["target.status", "measure.*"],
        document.slug,
    )
    listed = client.get(URL).json()["results"]
    assert [e["id"] for e in listed] == [endpoint.pk]
    assert "secret" not in listed[0]
    assert "secret" not in client.get(f"{URL}{endpoint.pk}/").json()


def test_a_given_secret_is_kept_and_events_default_to_every_change(hook_url):
    response = token_client().post(
        URL, {"url": hook_url, "secret": "my-own-secret-of-32-characters!"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["events"] == ["*"]
    assert Endpoint.objects.get().secret == "my-own-secret-of-32-characters!"


def test_each_user_sees_and_changes_only_their_own(hook_url):
    mine, theirs = token_client(), token_client()
    endpoint = mine.post(URL, {"url": hook_url}, format="json").json()
    assert theirs.get(URL).json()["results"] == []
    assert theirs.get(f"{URL}{endpoint['id']}/").status_code == 404
    assert (
        theirs.patch(f"{URL}{endpoint['id']}/", {"active": False}, format="json").status_code == 404
    )
    assert theirs.delete(f"{URL}{endpoint['id']}/").status_code == 404
    assert Endpoint.objects.filter(active=True).count() == 1


def test_the_owner_updates_enables_and_deletes(hook_url):
    client = token_client()
    endpoint = client.post(URL, {"url": hook_url}, format="json").json()
    Endpoint.objects.filter(pk=endpoint["id"]).update(
        active=False, consecutive_failures=15, disabled_reason="15 failed attempts in a row"
    )
    response = client.patch(
        f"{URL}{endpoint['id']}/", {"active": True, "events": ["*.removed"]}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["events"] == ["*.removed"]
    stored = Endpoint.objects.get()
    assert (stored.active, stored.consecutive_failures, stored.disabled_reason) == (True, 0, "")
    assert client.delete(f"{URL}{endpoint['id']}/").status_code == 204
    assert not Endpoint.objects.exists()


def test_anonymous_callers_are_refused():
    client = APIClient()
    assert client.get(URL).status_code == 401
    assert client.post(URL, {"url": "https://hooks.example.org/"}, format="json").status_code == 401
    assert not Endpoint.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://hooks.example.org/in"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "http://localhost:9/hook"}, "url"),  # loopback by name
        ({"url": "http://127.0.0.1:9/hook"}, "url"),
        ({"url": "http://169.254.169.254/latest/meta-data/"}, "url"),
        ({"url": "http://10.0.0.1/hook"}, "url"),
        ({"url": "http://[::1]:9/hook"}, "url"),
        ({"url": "https://host.invalid/hook"}, "url"),  # does not resolve
        ({}, "url"),
        ({"url": "https://93.184.216.34/", "events": []}, "events"),
        ({"url": "https://93.184.216.34/", "events": ["measure.renamed"]}, "events"),
        ({"url": "https://93.184.216.34/", "events": "*"}, "events"),
        ({"url": "https://93.184.216.34/", "document": "no-such-document"}, "document"),
        ({"url": "https://93.184.216.34/", "jurisdiction": "nowhere"}, "jurisdiction"),
        ({"url": "https://93.184.216.34/", "secret": "short"}, "secret"),
        ({"url": "https://93.184.216.34/", "secret": 12345678901234567890}, "secret"),
    ],
)
def test_bad_registrations_are_400_naming_the_field(body, field):
    response = token_client().post(URL, body, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Endpoint.objects.exists()


def test_a_private_address_is_refused_without_the_setting(receiver):
    response = token_client().post(URL, {"url": f"{receiver.url}/hook"}, format="json")
    assert response.status_code == 400
    assert "private, loopback" in response.json()["url"][0]


def test_a_bad_update_changes_nothing(hook_url):
    client = token_client()
    endpoint = client.post(URL, {"url": hook_url}, format="json").json()
    response = client.patch(
        f"{URL}{endpoint['id']}/", {"url": "http://10.0.0.1/", "active": False}, format="json"
    )
    assert response.status_code == 400
    assert "url" in response.json()
    stored = Endpoint.objects.get()
    assert (stored.url, stored.active) == (hook_url, True)


def test_the_list_takes_a_constant_number_of_queries(hook_url, django_assert_max_num_queries):
    user = StaffUserFactory(is_staff=False, is_superuser=False)
    client = token_client(user)
    for slug in ("one", "two", "three"):
        client.post(
            URL, {"url": hook_url, "document": DocumentFactory(slug=slug).slug}, format="json"
        )
    with django_assert_max_num_queries(4):  # token, count, page (with documents), and nothing else
        assert len(client.get(URL).json()["results"]) == 3


def test_the_schema_lists_the_webhooks_endpoint(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    assert {"/api/v1/webhooks/", "/api/v1/webhooks/{id}/"} <= set(schema["paths"])
    operations = schema["paths"]["/api/v1/webhooks/"]
    assert {"get", "post"} <= set(operations)
    created = operations["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    assert created == {"$ref": "#/components/schemas/NewEndpoint"}
    assert "secret" in schema["components"]["schemas"]["NewEndpoint"]["properties"]


def test_a_method_not_offered_is_405_before_credentials_are_asked_for():
    assert APIClient().generic("TRACE", URL).status_code == 405
    assert APIClient().put(f"{URL}1/", {}, format="json").status_code == 405
