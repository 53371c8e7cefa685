"""The OpenAPI schema documents the whole API, and the API keeps the schema's promises."""

import datetime
import os
import zlib

import pytest
import schemathesis
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.provisional import domains
from rest_framework.authtoken.models import Token

from measures import models as m
from measures.api.permissions import EDITORS
from measures.validity import EARLIEST_AS_OF
from policytracker.wsgi import application
from referencedata import DATA_DIR
from tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

# Examples per operation in the fuzzing phase (the coverage phase adds its own), for each
# persona: anonymous, and an editor, who may also write.
EXAMPLES = 30


PUBLIC_ENDPOINTS = {
    "/api/v1/documents/",
    "/api/v1/documents/{slug}/",
    "/api/v1/measures/",
    "/api/v1/measures/{document}/{number}/",
    "/api/v1/targets/",
    "/api/v1/targets/{id}/",
    "/api/v1/targets/{id}/observations/",
    "/api/v1/links/",
    "/api/v1/links/{id}/",
    "/api/v1/section-links/",
    "/api/v1/section-links/{id}/",
    "/api/v1/agencies/",
    "/api/v1/agencies/{slug}/",
    "/api/v1/topics/",
    "/api/v1/topics/{code}/",
    "/api/v1/entity-types/",
    "/api/v1/entity-types/{code}/",
    "/api/v1/stages/",
    "/api/v1/stages/{code}/",
    "/api/v1/vocabularies/",
    "/api/v1/health/",
    "/api/v1/data-quality/",
    "/api/v1/progress/",
    "/api/v1/targets/{id}/snapshots/",
    "/api/v1/applicability/",
    "/api/v1/compare/",
    "/api/v1/milestones/",
    "/api/v1/milestones/{id}/",
    "/api/v1/webhooks/",
    "/api/v1/webhooks/{id}/",
    "/api/v1/changes/",
}


def test_the_schema_documents_every_endpoint_field_and_filter(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert set(schema["paths"]) == PUBLIC_ENDPOINTS
    measures = schema["paths"]["/api/v1/measures/"]["get"]
    names = {parameter["name"] for parameter in measures["parameters"]}
    assert {
        "document",
        "jurisdiction",
        "section",
        "topic",
        "agency",
        "entity_type",
        "stage",
        "has_target",
        "status",
        "grade",
        "q",
        "updated_since",
        "sort",
        "page",
        "page_size",
        "paginate",
    } <= names
    undescribed = [p["name"] for p in measures["parameters"] if not p.get("description")]
    assert undescribed == []
    for name, component in schema["components"]["schemas"].items():
        for field, spec in component.get("properties", {}).items():
            assert spec.get("description") or "$ref" in spec or "allOf" in spec, f"{name}.{field}"


def test_the_docs_work_offline(client):
    page = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn." not in page
    assert "unpkg" not in page


@pytest.fixture(scope="module")
def catalogue(django_db_setup, django_db_blocker):
    """The reference data, loaded once for the module's many fuzzed operations (loading it
    for each took longer than fuzzing one), in a transaction rolled back at the end: each test
    runs inside it (pytest-django's own transaction nests as a savepoint) and leaves it as
    it found it."""
    with django_db_blocker.unblock(), transaction.atomic():
        with open(os.devnull, "w") as quiet:
            call_command("load_policies", data_dir=DATA_DIR, stdout=quiet)
            call_command("refresh_progress", stdout=quiet)
        yield
        transaction.set_rollback(True)


@pytest.fixture
def connection_kept_between_requests():
    """Requests made straight to the WSGI app end with Django closing the database connection,
    which would end the test's transaction (PostgreSQL); Django's test client avoids that the
    same way, by not closing connections while a test runs."""
    signals = (request_started, request_finished)
    for signal in signals:
        signal.disconnect(close_old_connections)
    yield
    for signal in signals:
        signal.connect(close_old_connections)


# What the server answers besides the schema's defaults, each for a reason of its own:
# - an update without If-Match is 428 Precondition Required (RFC 6585), not a generic 400;
# - a well-formed If-Match naming another version is rightly 412 (the schema cannot know the
#   record's ETag; `*` and the current tag pass, tests/policytracker/test_api_contract.py);
# - no value may hold a NUL character: the server refuses any address with one (a 400 saying
#   so), which the API's description states.
CONTRACT = schemathesis.Config.from_dict(
    {
        "checks": {
            "missing_required_header": {"expected-statuses": [400, 401, 403, 406, 415, 422, 428]},
        },
        "generation": {"allow-x00": False},
        "operations": [
            {
                "include-method": "PATCH",
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "3xx", 401, 403, 404, 409, 412, 429, "5xx"]
                    }
                },
            }
        ],
    }
)

# Loaded once, in-process (generating the schema needs no database). schemathesis' lazy
# fixture loader relies on a pytest internal that pytest 9 no longer has.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, config=CONTRACT)

# A day is valid by the schema's `format: date`; the server also keeps it within the days it
# can show (1949-10-01 to today in Shanghai), which a static schema cannot say of a moving
# today: valid dates are drawn from that range.
schemathesis.openapi.format(
    "date",
    st.dates(EARLIEST_AS_OF, datetime.date.today() - datetime.timedelta(days=1)).map(
        datetime.date.isoformat
    ),
)

# A URL is valid by `format: uri` (RFC 3986); the server also holds hosts to DNS limits (labels
# of 63 characters, 253 in all, RFC 1034) as Django's URLValidator does: valid URLs are drawn
# with such hosts.
schemathesis.openapi.format(
    "uri",
    st.builds(
        "{}://{}{}".format,
        st.sampled_from(["https", "http"]),
        domains(max_length=200),
        st.from_regex(r"(/[A-Za-z0-9._~-]{0,20}){0,3}", fullmatch=True),
    ),
)


def refer_to_existing_records(case) -> None:
    """A valid request names records that exist. The schema says what a code looks like, not
    which codes the catalogue holds (data, like the ids in paths, which may rightly be 404):
    in a valid request, each code a filter or body names is turned into an existing one, the
    drawn value choosing which."""
    codes = {
        "document": list(m.Document.objects.values_list("slug", flat=True)),
        "jurisdiction": list(m.Jurisdiction.objects.values_list("code", flat=True)),
        "topic": list(m.Topic.objects.values_list("code", flat=True)),
        "agency": list(m.Agency.objects.values_list("slug", flat=True)),
        "entity_type": list(m.EntityType.objects.values_list("code", flat=True)),
        "stage": list(m.ProductStage.objects.values_list("code", flat=True)),
    }

    def existing(name: str, value):
        known = codes[name]
        if isinstance(value, list):
            return [known[zlib.crc32(str(item).encode()) % len(known)] for item in value]
        return known[zlib.crc32(str(value).encode()) % len(known)]

    if case.path == "/api/v1/measures/" and case.query:
        case.query = {
            name: existing(name, value) if name in codes else value
            for name, value in case.query.items()
        }
    if case.path == "/api/v1/compare/" and case.query:
        first, second = m.Document.objects.order_by("slug").values_list("slug", flat=True)[:2]
        case.query = {**case.query, "a": first, "b": second}  # two documents, not one twice
    body = case.body if isinstance(case.body, dict) else {}
    if case.path == "/api/v1/applicability/" and "topics" in body:
        case.body = {**body, "topics": existing("topic", body["topics"])}
    if case.path == "/api/v1/webhooks/" and case.method == "POST" and "url" in body:
        # A URL is valid by its format; the server also wants its host to resolve to a public
        # address (webhooks/addresses.py), which a drawn host name cannot promise offline.
        case.body = {**body, "url": "https://93.184.216.34/hook"}
        for name in ("document", "jurisdiction"):
            if body.get(name) is not None:
                case.body[name] = existing(name, body[name])
    if case.path == "/api/v1/milestones/" and case.method == "POST" and "measure" in body:
        measure = m.Measure.objects.select_related("document").order_by("pk").first()
        case.body = {**body, "measure": measure.public_id}


def call_and_validate(case, headers: dict | None = None) -> None:
    if case.meta is not None and case.meta.generation.mode.is_positive:
        refer_to_existing_records(case)
    # Every check: no server error; statuses, content types, headers and bodies as documented;
    # valid requests accepted and invalid ones refused; credentials honoured.
    case.call_and_validate(headers=headers)


@pytest.fixture
def editor_token(db) -> str:
    """The token of a member of the editors group, who may write."""
    user = StaffUserFactory(is_superuser=False)
    user.groups.add(Group.objects.get_or_create(name=EDITORS)[0])
    return Token.objects.create(user=user).key


HYPOTHESIS = hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)


@schema.parametrize()
@HYPOTHESIS
def test_the_api_keeps_its_schema_under_fuzzing(
    case, catalogue, db, settings, connection_kept_between_requests
):
    settings.API_ANONYMOUS_RATE = "100000/minute"
    call_and_validate(case)


@schema.parametrize()
@HYPOTHESIS
def test_the_api_keeps_its_schema_for_an_editor(
    case, catalogue, editor_token, settings, connection_kept_between_requests
):
    call_and_validate(case, headers={"Authorization": f"Token {editor_token}"})
