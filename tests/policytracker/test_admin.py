"""Editors: every admin list and form renders for staff; outsiders are sent to log in."""

import pytest
from django.contrib import admin
from django.contrib.admin.models import ADDITION, LogEntry
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from alerts.models import Digest, Subscription
from importer.models import ImportRun
from jobs.models import WorkerPing
from measures.models import Measure
from progress.models import IngestRun
from tests.factories import (
    IndicatorSourceFactory,
    MeasureFactory,
    MeasureLinkFactory,
    ObservationFactory,
    SectionLinkFactory,
    StaffUserFactory,
)
from webhooks.models import Delivery, DeliveryAttempt, Endpoint


@pytest.fixture
def editor_client(client, reference_data):
    editor = StaffUserFactory()
    client.force_login(editor)
    Token.objects.create(user=editor)
    # Rows the reference data does not create, so that every change form has one to show.
    ObservationFactory()
    MeasureLinkFactory()
    SectionLinkFactory()
    WorkerPing.objects.create(token="admin-test")
    ImportRun.objects.create(file_name="a.txt", sha256="0" * 64, size=1, encoding="utf-8", text="x")
    IngestRun.objects.create(
        source=IndicatorSourceFactory(), started_at=timezone.now(), status="unchanged"
    )
    endpoint = Endpoint.objects.create(owner=editor, url="https://hooks.example.org/in")
    change = MeasureFactory().changes.first()
    DeliveryAttempt.objects.create(
        delivery=Delivery.objects.create(endpoint=endpoint, change=change), status_code=500
    )
    subscription, _new = Subscription.objects.subscribe(
        email="reader@example.org",
        kind="document",
        criteria="beijing-2025",
        frequency="daily",
        language="zh-hans",
    )
    Digest.objects.create(subscription=subscription, period_end=timezone.now())
    LogEntry.objects.log_actions(
        editor.pk, [WorkerPing.objects.get()], ADDITION, "[]", single_object=True
    )
    return client


MODELS = [model for model in admin.site._registry if model._meta.app_label != "auth"]


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_every_changelist_add_and_change_page_renders(editor_client, model):
    assert editor_client.get(admin_url(model, "changelist")).status_code == 200
    # The audit trail, the record of ingest runs and django-axes' login records cannot be edited.
    read_only = model._meta.label in {
        "admin.LogEntry",
        "progress.IngestRun",
        "webhooks.Delivery",
        "measures.Change",
        "alerts.Subscription",
        "alerts.Digest",
    } or (model._meta.app_label == "axes")
    assert editor_client.get(admin_url(model, "add")).status_code == (403 if read_only else 200)
    obj = model._default_manager.first()
    if obj is None:  # django-celery-beat's schedules and axes' login records start empty
        assert model._meta.app_label in {"django_celery_beat", "axes"}
        return
    assert editor_client.get(admin_url(model, "change", obj.pk)).status_code == 200


@pytest.mark.django_db
def test_changelist_search_finds_a_measure(editor_client):
    response = editor_client.get(admin_url(Measure, "changelist"), {"q": "特例单议"})
    assert response.status_code == 200
    assert "national-2025/12" in response.content.decode()


@pytest.mark.django_db
def test_outsiders_are_sent_to_log_in(client):
    response = client.get(reverse("admin:measures_measure_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
