"""A change made through any path — the loader, the importer, the admin, the API, ingestion, the
progress refresh — reaches everyone who follows it, exactly once each: the /changes/ page, the
API, the Atom feed, a subscriber's next digest (received over SMTP) and a webhook delivery
(received by a server and its signature checked)."""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import feedparser
import pytest
from django.core.management import call_command
from django.db.models import Q
from django.utils import timezone, translation

from alerts.delivery import send_due
from alerts.models import Subscription
from measures.changewords import describe
from measures.models import Change, Observation, Target
from progress.ingest import ingest
from tests.datafiles import IMPORTER_FIXTURES, NATIONAL, edit_yaml, measure
from tests.factories import API, IndicatorSourceFactory, StaffUserFactory, editor_client
from tests.measures.test_changelog import admin_form_data
from tests.webhooks.test_delivery import endpoint_for, verify
from webhooks import tasks

pytestmark = pytest.mark.django_db

READER = "reader@example.org"
SECRET = "the-receivers-secret"


def load(data_dir: Path) -> None:
    call_command("load_policies", data_dir=data_dir, stdout=io.StringIO())


def special_case_target() -> Target:
    """national-2025/12's target: its goal (≤ 3 months) is what the editors change."""
    return Target.objects.get(
        measure__document__slug="national-2025",
        measure__number=12,
        key="special-case-review-interval",
    )


def a_target_to_meet() -> Target:
    """An open target whose goal a value equal to it meets."""
    return (
        Target.objects.filter(
            Q(deadline__isnull=True) | Q(deadline__gt=timezone.localdate()),
            kind="level",
            comparator__in=["lte", "gte", "eq"],
        )
        .exclude(status="achieved")
        .order_by("pk")
        .first()
    )


def newest(**fields) -> Change:
    return Change.objects.select_related("target", "document").filter(**fields).latest("id")


# -- the paths: each makes one change and returns the Change it expects ---------------------------


def by_the_loader(data_dir: Path, client) -> Change:
    edit_yaml(data_dir / NATIONAL, lambda c: measure(c, 12)["targets"][0].update(goal_value=2))
    load(data_dir)
    return newest(object_kind="target", kind="changed", process="load_policies")


def by_the_importer(data_dir: Path, client) -> Change:
    call_command("import_document", str(IMPORTER_FIXTURES / "continuous.txt"), stdout=io.StringIO())
    return newest(object_kind="document", kind="added")


def by_the_admin(data_dir: Path, client) -> Change:
    client.force_login(StaffUserFactory())
    url = f"/admin/measures/target/{special_case_target().pk}/change/"
    data = admin_form_data(client.get(url))
    data["goal_value"] = "2"
    assert client.post(url, data).status_code == 302
    return newest(object_kind="target", kind="changed", process="admin")


def by_the_api(data_dir: Path, client) -> Change:
    editor = editor_client()
    url = f"{API}/targets/{special_case_target().pk}/"
    tag = editor.get(url)["ETag"]
    response = editor.patch(url, {"goal_value": "2"}, format="json", HTTP_IF_MATCH=tag)
    assert response.status_code == 200, response.json()
    return newest(object_kind="target", kind="changed", process="api")


def by_ingestion(data_dir: Path, client) -> Change:
    target = a_target_to_meet()
    path = data_dir / "values.csv"
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    path.write_text(f"target,date,value\n{target.public_id},{yesterday},{target.goal_value}\n")
    ingest(IndicatorSourceFactory(location=str(path)))
    return newest(object_kind="observation", kind="added", process__startswith="ingest run ")


def by_the_refresh(data_dir: Path, client) -> Change:
    target = a_target_to_meet()
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    Observation.objects.create(
        target=target, value=Decimal(target.goal_value), observed_on=yesterday, grade="official"
    )
    call_command("refresh_progress", stdout=io.StringIO())
    return newest(object_kind="target", kind="status", process="refresh_progress")


PATHS: dict[str, Callable[[Path, object], Change]] = {
    "loader": by_the_loader,
    "importer": by_the_importer,
    "admin": by_the_admin,
    "api": by_the_api,
    "ingestion": by_ingestion,
    "refresh": by_the_refresh,
}


@pytest.mark.parametrize("path", PATHS)
def test_a_change_through_every_path_reaches_everyone_once(
    path, client, data_dir, settings, mail_server, receiver, loopback_allowed
):
    settings.INGEST_PATH_ROOTS = [data_dir]
    settings.SITE_URL = "https://tracker.example.org"
    load(data_dir)
    call_command("refresh_progress", stdout=io.StringIO())
    endpoint = endpoint_for(receiver, secret=SECRET)
    an_hour_ago = timezone.now() - datetime.timedelta(hours=1)
    before = timezone.now()

    change = PATHS[path](data_dir, client)

    assert change.at >= before
    slug = change.document.slug
    same = {"document": slug, "object": change.object_kind, "change": change.kind}
    query = "&".join(f"{name}={value}" for name, value in same.items())
    matching = Change.objects.filter(
        document__slug=slug, object_kind=change.object_kind, kind=change.kind, at__gte=before
    )
    with translation.override("en"):
        words = describe(change)

    # The page: a row for each matching change, and this change's words among them.
    html = client.get(f"/changes/?{query}", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert html.count('<tr class="change change-') >= matching.count() >= 1
    assert words in html

    # The API: this change once.
    listed = client.get(f"{API}/changes/?{query}").json()["results"]
    assert [row["id"] for row in listed].count(change.pk) == 1
    assert next(row for row in listed if row["id"] == change.pk)["summary_en"] == words

    # The feed: this change once, parsed by an independent parser.
    feed = feedparser.parse(client.get(f"/changes/feed/?{query}&lang=en").content)
    assert feed.bozo == 0
    ids = [entry.id for entry in feed.entries]
    assert len([i for i in ids if i.endswith(f"change/{change.pk}")]) == 1

    # A webhook: delivered once, signed, however often dispatch runs.
    tasks.dispatch(change.pk)
    tasks.dispatch(change.pk)
    received = receiver.wait_for(1)
    bodies = [verify(SECRET, got) for got in received]
    assert [body["id"] for body in bodies].count(change.pk) == 1
    assert endpoint.deliveries.filter(change=change).count() == 1

    # The next morning's digest, over SMTP: one e-mail with the change in words, and a second
    # run sends nothing more. An observation is told by the status it moves (ingestion refreshes
    # the targets it named), not by itself.
    Subscription.objects.create(
        email=READER,
        kind="document",
        criteria=slug,
        language="en",
        confirmed_at=an_hour_ago,
        last_sent_through=an_hour_ago,
    )
    morning = timezone.make_aware(
        datetime.datetime.combine(
            timezone.localdate() + datetime.timedelta(days=1), datetime.time(7)
        )
    )
    send_due(morning)
    [message] = mail_server.to(READER)
    told = change
    if change.object_kind == "observation":
        told = newest(object_kind="target", kind="status", target_id=change.target_id)
    with translation.override("en"):
        assert describe(told) in message.text
    send_due(morning)
    assert len(mail_server.to(READER)) == 1
