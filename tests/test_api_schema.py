"""The OpenAPI schema documents the whole API, and the API keeps the schema's promises."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    positive_data_acceptance,
)

from policytracker.wsgi import application

pytestmark = pytest.mark.django_db


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


# Loaded once, in-process (generating the schema needs no database). schemathesis' lazy
# fixture loader relies on a pytest internal that pytest 9 no longer has.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


@schema.parametrize()
@hypothesis_settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_the_api_keeps_its_schema_under_fuzzing(
    case, reference_data, settings, connection_kept_between_requests
):
    settings.API_ANONYMOUS_RATE = "100000/minute"
    # Every response check (no server error; status codes, content types, headers and bodies
    # as documented; credentials honoured). Two input heuristics are left out on purpose: a code
    # the catalogue does not know (topic=xyz) is a valid string by the schema yet rightly a 400,
    # and an empty filter (unit=), as HTML forms send it, means "no filter". Both found real
    # gaps while this test was written (page_size=null, paginate=AAA), now refused.
    case.call_and_validate(excluded_checks=[positive_data_acceptance, negative_data_rejection])
