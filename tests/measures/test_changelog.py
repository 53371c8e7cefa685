"""The change log records single writes (the admin, the API) once each, with who made them, and
the recorder keeps its rows inside the writer's transaction."""

import datetime
from decimal import Decimal

import pytest
from django.db import transaction

from measures.changelog import recording, values_of
from measures.models import Change, LinkStatus, MeasureLink, Milestone, ProductStage, Topic
from tests.factories import (
    API,
    MeasureFactory,
    MeasureLinkFactory,
    MilestoneFactory,
    StaffUserFactory,
    TargetFactory,
    editor_client,
)

pytestmark = pytest.mark.django_db


def admin_form_data(response) -> dict:
    """What the admin's change form posts back as it was shown (fields and inlines)."""
    data: dict = {}

    def fill(form) -> None:
        for name in form.fields:
            value = form[name].value()
            key = form.add_prefix(name)
            if value is None or value is False:
                continue
            data[key] = "on" if value is True else value

    fill(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{name}"] = value
        for form in formset.forms:
            fill(form)
    return data


@pytest.fixture
def editor(client):
    user = StaffUserFactory()
    client.force_login(user)
    return user


class TestTheAdmin:
    def test_a_goal_changed_by_an_editor_is_one_change_by_that_editor(self, client, editor):
        target = TargetFactory(goal_value=Decimal("28"))
        url = f"/admin/measures/target/{target.pk}/change/"
        data = admin_form_data(client.get(url))
        data["goal_value"] = "20"
        before = Change.objects.count()

        response = client.post(url, data)

        assert response.status_code == 302, response.context["adminform"].form.errors
        assert Change.objects.count() == before + 1
        change = Change.objects.newest_first().first()
        assert (change.object_kind, change.object_id, change.kind) == (
            "target",
            target.pk,
            "changed",
        )
        assert change.fields == [{"field": "goal_value", "old": "28", "new": "20"}]
        assert (change.actor_id, change.process) == (editor.pk, "admin")
        assert (change.target_id, change.measure_id) == (target.pk, target.measure_id)
        assert change.document_id == target.measure.document_id

    def test_saving_without_a_change_records_nothing(self, client, editor):
        target = TargetFactory()
        url = f"/admin/measures/target/{target.pk}/change/"
        data = admin_form_data(client.get(url))
        before = Change.objects.count()
        assert client.post(url, data).status_code == 302
        assert Change.objects.count() == before

    def test_a_milestone_deleted_in_the_admin_is_recorded_as_removed(self, client, editor):
        milestone = MilestoneFactory()
        before = Change.objects.count()
        url = f"/admin/measures/milestone/{milestone.pk}/delete/"
        assert client.post(url, {"post": "yes"}).status_code == 302
        assert not Milestone.objects.filter(pk=milestone.pk).exists()
        assert Change.objects.count() == before + 1
        change = Change.objects.newest_first().first()
        assert (change.object_kind, change.kind, change.process) == (
            "milestone",
            "removed",
            "admin",
        )
        assert change.measure_id == milestone.measure_id
        assert {"field": "key", "old": milestone.key, "new": None} in change.fields

    def test_confirming_suggestions_records_each_and_the_superseded_measure(self, client, editor):
        link = MeasureLinkFactory(status=LinkStatus.SUGGESTED)
        before = Change.objects.count()
        response = client.post(
            "/admin/measures/measurelink/",
            {"action": "confirm_suggestions", "_selected_action": [link.pk]},
        )
        assert response.status_code == 302
        changes = list(Change.objects.order_by("id")[before:])
        assert sorted((c.object_kind, c.kind) for c in changes) == [
            ("link", "changed"),
            ("measure", "superseded"),
        ]
        changed = next(c for c in changes if c.kind == "changed")
        assert changed.fields == [{"field": "status", "old": "suggested", "new": "confirmed"}]
        assert {c.actor_id for c in changes} == {editor.pk}
        superseded = next(c for c in changes if c.kind == "superseded")
        assert superseded.object_id == link.older_id

    def topics(self, *codes: str) -> list[Topic]:
        return [
            Topic.objects.get_or_create(code=code, defaults={"name_zh": code, "name_en": code})[0]
            for code in codes
        ]

    def test_topics_changed_in_the_measure_form_are_one_change_with_their_codes(
        self, client, editor
    ):
        measure = MeasureFactory()
        measure.topics.set(self.topics("a", "b"))
        c = self.topics("c")[0]
        url = f"/admin/measures/measure/{measure.pk}/change/"
        data = admin_form_data(client.get(url))
        data["topics"] = [t.pk for t in Topic.objects.filter(code__in=["b"])] + [c.pk]
        before = Change.objects.count()

        response = client.post(url, data)

        assert response.status_code == 302, response.context["adminform"].form.errors
        assert Change.objects.count() == before + 1
        change = Change.objects.newest_first().first()
        assert (change.object_kind, change.object_id, change.kind) == (
            "measure",
            measure.pk,
            "changed",
        )
        assert change.fields == [{"field": "topics", "old": ["a", "b"], "new": ["b", "c"]}]
        assert (change.actor_id, change.process, change.measure_id) == (
            editor.pk,
            "admin",
            measure.pk,
        )

    def test_a_title_and_the_stages_changed_together_are_one_change(self, client, editor):
        measure = MeasureFactory(title_en="Old title")
        stage = ProductStage.objects.create(
            code="trial", name_zh="临床", name_en="Trial", ordinal=1
        )
        url = f"/admin/measures/measure/{measure.pk}/change/"
        data = admin_form_data(client.get(url))
        data["title_en"] = "New title"
        data["stages"] = [stage.pk]
        before = Change.objects.count()

        assert client.post(url, data).status_code == 302

        assert Change.objects.count() == before + 1
        assert Change.objects.newest_first().first().fields == [
            {"field": "title_en", "old": "Old title", "new": "New title"},
            {"field": "stages", "old": [], "new": ["trial"]},
        ]

    def test_saving_a_measure_unchanged_records_nothing(self, client, editor):
        measure = MeasureFactory()
        measure.topics.set(self.topics("a", "b"))
        url = f"/admin/measures/measure/{measure.pk}/change/"
        data = admin_form_data(client.get(url))
        before = Change.objects.count()
        assert client.post(url, data).status_code == 302
        assert Change.objects.count() == before

    def test_sets_taken_away_and_given_back_in_one_transaction_record_nothing(self):
        measure = MeasureFactory()
        topics = self.topics("a", "b")
        measure.topics.set(topics)
        before = Change.objects.count()
        with transaction.atomic():
            measure.topics.clear()
            measure.topics.add(*topics)
        assert Change.objects.count() == before

    def test_sets_of_a_measure_added_in_the_same_transaction_are_part_of_its_addition(self):
        topics = self.topics("a")
        with transaction.atomic():
            measure = MeasureFactory()
            measure.topics.set(topics)
        changes = Change.objects.filter(object_kind="measure", object_id=measure.pk)
        assert [c.kind for c in changes] == ["added"]


class TestTheApi:
    def test_a_goal_patched_through_the_api_is_one_change_by_api(self):
        target = TargetFactory(goal_value=Decimal("28"))
        editor = editor_client()
        url = f"{API}/targets/{target.pk}/"
        tag = editor.get(url)["ETag"]
        before = Change.objects.count()

        response = editor.patch(url, {"goal_value": "20"}, format="json", HTTP_IF_MATCH=tag)

        assert response.status_code == 200, response.json()
        assert Change.objects.count() == before + 1
        change = Change.objects.newest_first().first()
        assert change.fields == [{"field": "goal_value", "old": "28", "new": "20"}]
        assert change.process == "api"
        assert change.actor.groups.filter(name="editors").exists()

    def test_a_refused_patch_records_nothing(self):
        target = TargetFactory(goal_value=Decimal("28"))
        editor = editor_client()
        url = f"{API}/targets/{target.pk}/"
        tag = editor.get(url)["ETag"]
        before = Change.objects.count()
        response = editor.patch(url, {"goal_value": "many"}, format="json", HTTP_IF_MATCH=tag)
        assert response.status_code == 400
        assert "goal_value" in response.json()
        assert Change.objects.count() == before

    def test_a_link_confirmed_through_the_review_api_is_recorded(self):
        link = MeasureLinkFactory(status=LinkStatus.SUGGESTED)
        editor = editor_client()
        url = f"{API}/links/{link.pk}/"
        tag = editor.get(url)["ETag"]
        before = Change.objects.count()
        response = editor.patch(url, {"status": "confirmed"}, format="json", HTTP_IF_MATCH=tag)
        assert response.status_code == 200, response.json()
        new = Change.objects.order_by("id")[before:]
        assert sorted((c.object_kind, c.kind, c.process) for c in new) == [
            ("link", "changed", "api"),
            ("measure", "superseded", "api"),
        ]


class TestTheRecorder:
    def test_a_bulk_write_that_rolls_back_leaves_no_change(self):
        target = TargetFactory(goal_value=Decimal("28"))
        before = Change.objects.count()

        def write_then_fail() -> None:
            with transaction.atomic():
                with recording(process="test", bulk=True) as log:
                    old = values_of(target)
                    target.goal_value = Decimal("20")
                    target.save()
                    log.changed(target, old)
                raise RuntimeError("the writer fails after the log was written")

        with pytest.raises(RuntimeError):
            write_then_fail()
        assert Change.objects.count() == before
        target.refresh_from_db()
        assert target.goal_value == 28

    def test_a_failing_block_writes_nothing(self):
        target = TargetFactory()
        before = Change.objects.count()

        def fail_in_the_block() -> None:
            with recording(process="test", bulk=True) as log:
                log.removed([target])
                raise RuntimeError

        with pytest.raises(RuntimeError):
            fail_in_the_block()
        assert Change.objects.count() == before

    def test_two_changes_to_one_object_in_bulk_are_one_row(self):
        target = TargetFactory(goal_value=Decimal("28"), deadline=datetime.date(2025, 12, 31))
        with recording(process="test", bulk=True) as log:
            old = values_of(target)
            target.goal_value = Decimal("20")
            log.changed(target, old)
            old = values_of(target)
            target.deadline = datetime.date(2026, 6, 30)
            log.changed(target, old)
            log.changed_set(target.measure, "topics", ["a"], ["a", "b"])
        changes = Change.objects.filter(process="test").order_by("id")
        assert [(c.object_kind, c.fields) for c in changes] == [
            (
                "target",
                [
                    {"field": "goal_value", "old": "28", "new": "20"},
                    {"field": "deadline", "old": "2025-12-31", "new": "2026-06-30"},
                ],
            ),
            ("measure", [{"field": "topics", "old": ["a"], "new": ["a", "b"]}]),
        ]

    def test_suggestions_coming_and_going_are_not_recorded(self):
        before = Change.objects.count()
        link = MeasureLinkFactory(status=LinkStatus.SUGGESTED)
        MeasureLink.objects.filter(pk=link.pk).delete()
        # The factory's measures were added; the suggestion itself left no trace.
        assert not Change.objects.filter(object_kind="link").exists()
        assert Change.objects.count() > before
