"""Milestones of qualitative measures: from the data files, by editors through the API and the
admin, on the pages, and rolled up like targets (with the target roll-ups by part and measure)."""

import io
import os
from datetime import date

import pytest
from django.contrib.admin.models import LogEntry
from django.core.cache import cache
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from measures.models import Measure, Milestone, Target
from referencedata import DATA_DIR
from tests.datafiles import edit_yaml
from tests.factories import API, MilestoneFactory, StaffUserFactory, editor_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    cache.clear()  # throttling counts live in the cache
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


def load(data_dir=DATA_DIR) -> str:
    out = io.StringIO()
    call_command("load_policies", data_dir=data_dir, stdout=out)
    return out.getvalue()


class TestReferenceMilestones:
    def test_they_load_with_their_source_and_grade(self, reference_data):
        milestone = Milestone.objects.get(
            measure=Measure.objects.by_public_id("beijing-2024/9"),
            key="rare-disease-drug-white-list",
        )
        assert (milestone.status, milestone.status_on) == ("done", date(2025, 3, 20))
        assert (milestone.source.key, milestone.grade, milestone.origin) == (
            "s23",
            "secondary",
            "reference",
        )
        assert "0 created, 0 updated" in load()

    def test_a_milestone_dropped_from_the_file_goes_but_editors_ones_stay(self, data_dir):
        load(data_dir)
        editors = MilestoneFactory(
            measure=Measure.objects.by_public_id("beijing-2024/9"), origin="editor"
        )
        edit_yaml(data_dir / "milestones.yaml", lambda c: c["milestones"].pop())
        assert "1 deleted" in load(data_dir)
        assert Milestone.objects.filter(origin="reference").count() == 2
        assert Milestone.objects.filter(pk=editors.pk).exists()

    def test_a_bad_milestone_is_named_and_nothing_is_written(self, data_dir):
        def spoil(content: dict) -> None:
            content["milestones"][0]["measure"] = "beijing-2024/99"
            content["milestones"][1]["source"] = "nowhere"
            content["milestones"][2]["status"] = "finished"

        edit_yaml(data_dir / "milestones.yaml", spoil)
        err = io.StringIO()
        with pytest.raises(CommandError):
            call_command("load_policies", data_dir=data_dir, stdout=io.StringIO(), stderr=err)
        lines = err.getvalue()
        assert "data/milestones.yaml: milestones first-biologic-pilot-approved: status:" in lines
        assert not Milestone.objects.exists()
        # Each of the three problems is named, the schema one first.
        edit_yaml(data_dir / "milestones.yaml", lambda c: c["milestones"][2].update(status="done"))
        err = io.StringIO()
        with pytest.raises(CommandError):
            call_command("load_policies", data_dir=data_dir, stdout=io.StringIO(), stderr=err)
        assert "beijing-2024/99 milestone urgent-import-green-channel: measure: unknown" in (
            err.getvalue()
        )
        assert "rare-disease-drug-white-list: source: unknown source 'nowhere'" in err.getvalue()


class TestRollups:
    def test_milestones_count_done_as_one_and_in_progress_as_half(self):
        measure = MilestoneFactory(status="done").measure
        MilestoneFactory(measure=measure, status="in_progress")
        MilestoneFactory(measure=measure, status="not_started")
        for by in ("document", "part", "measure"):
            [row] = Milestone.objects.rollup(by)
            assert row["counts"] == {"not_started": 1, "in_progress": 1, "done": 1}
            assert row["weighted_share"] == pytest.approx(0.5)
        assert Milestone.objects.rollup("measure")[0]["key"] == measure.public_id

    def test_targets_roll_up_by_part_and_measure_too(self, reference_data):
        by_measure = {row["key"]: row for row in Target.objects.rollup("measure")}
        startup = by_measure["beijing-2024/1"]
        assert startup["counts"]["achieved"] >= 1
        assert startup["label_en"]
        by_part = {row["key"]: row for row in Target.objects.rollup("part")}
        assert (
            by_part["beijing-2024/1"]["total"]
            == Target.objects.filter(
                measure__document__slug="beijing-2024", measure__section__ordinal=1
            ).count()
        )
        # The weighted share counts targets without data as 0, so it is never above the average.
        for row in by_part.values():
            if row["share"] is not None:
                assert row["weighted_share"] <= row["share"] + 1e-9

    @pytest.mark.parametrize("limit", [1, 2, 3, 50])
    def test_every_rollup_in_one_statement_is_each_rollup_on_its_own(
        self, reference_data, limit, django_assert_num_queries
    ):
        groupings = ["document", "agency", "topic", "part", "measure"]
        for rows in (
            Target.objects.order_by(),
            Target.objects.filter(measure__document__slug="beijing-2025").order_by(),
            Target.objects.filter(status="achieved").order_by(),
            Milestone.objects.order_by(),
        ):
            with django_assert_num_queries(1):
                together = rows.rollup_tops(groupings, limit)
            # The largest groups first when some are left out, else every group in key order.
            assert together == {by: rows.rollup_top(by, limit) for by in groupings}

    def test_as_of_a_past_day_each_rollup_is_computed_by_its_query(self, reference_data):
        rows = Target.objects.as_of(date(2025, 6, 1)).order_by()
        assert rows.rollup_tops(["document", "topic"], 2) == {
            by: rows.rollup_top(by, 2) for by in ("document", "topic")
        }


class TestPages:
    def test_the_progress_page_lists_milestones_and_every_rollup(self, client, reference_data):
        page = client.get("/progress/").content.decode()
        assert 'href="/measures/beijing-2024/9/#milestone-rare-disease-drug-white-list"' in page
        assert "罕见病药品“白名单”制度实施" in page
        for heading in ("按文件", "按部门", "按主题", "按部分", "按措施"):
            assert heading in page
        # By part and by measure within a document only: across a national corpus they would
        # be hundreds of thousands of rows.
        assert 'href="?part=' not in page
        page = client.get("/progress/?document=beijing-2024").content.decode()
        assert 'href="?part=beijing-2024/1"' in page
        assert 'href="/measures/beijing-2024/1/"' in page  # by measure

    def test_the_progress_page_filters_by_part(self, client, reference_data):
        page = client.get("/progress/?part=beijing-2024/1").content.decode()
        assert 'href="/measures/beijing-2024/1/#target-startup-weeks"' in page
        assert "/measures/beijing-2024/5/#target" not in page
        assert client.get("/progress/?part=one").status_code == 400

    def test_the_measure_page_shows_its_milestones(
        self, client, reference_data, django_assert_max_num_queries
    ):
        with django_assert_max_num_queries(14):
            page = client.get("/measures/beijing-2025/12/").content.decode()
        assert 'id="milestone-first-biologic-pilot-approved"' in page
        assert "2025-05-21" in page


class TestApi:
    def test_milestones_are_listed_filtered_and_on_their_measure(self, api, reference_data):
        data = api.get(f"{API}/milestones/", {"document": "beijing-2024"}).json()
        assert {item["key"] for item in data["results"]} == {
            "urgent-import-green-channel",
            "rare-disease-drug-white-list",
        }
        measure = api.get(f"{API}/measures/beijing-2025/12/").json()
        assert measure["milestones"][0]["status"] == "done"
        assert api.get(f"{API}/milestones/", {"status": "lost"}).status_code == 400

    def test_progress_rolls_up_targets_and_milestones_five_ways(self, api, reference_data):
        data = api.get(f"{API}/progress/").json()
        keys = {"by_document", "by_part", "by_measure", "by_agency", "by_topic"}
        assert keys <= set(data)
        assert set(data["milestones"]) == keys
        beijing_2024 = next(
            r for r in data["milestones"]["by_document"] if r["key"] == "beijing-2024"
        )
        assert (beijing_2024["total"], beijing_2024["weighted_share"]) == (2, 1.0)

    def test_anonymous_clients_cannot_write(self, api, reference_data):
        body = {"measure": "beijing-2024/9", "key": "x"}
        assert api.post(f"{API}/milestones/", body, format="json").status_code == 401

    def test_an_editor_adds_and_updates_a_milestone(self, reference_data):
        client = editor_client()
        body = {
            "measure": "beijing-2025/13",
            "key": "green-channel-extended",
            "title_zh": "绿色通道扩围",
            "title_en": "Green channel widened",
            "status": "in_progress",
            "status_on": "2025-10-16",
            "evidence_url": "https://example.org/press",
            "grade": "secondary",
        }
        response = client.post(f"{API}/milestones/", body, format="json")
        assert response.status_code == 201, response.json()
        created = response.json()
        assert (created["measure"], created["origin"]) == ("beijing-2025/13", "editor")
        assert LogEntry.objects.filter(object_id=str(created["id"])).exists()

        url = f"{API}/milestones/{created['id']}/"
        assert client.patch(url, {"status": "done"}, format="json").status_code == 428
        tag = client.get(url)["ETag"]
        updated = client.patch(url, {"status": "done"}, format="json", HTTP_IF_MATCH=tag)
        assert updated.json()["status"] == "done"
        # The next load leaves an editor's milestone alone.
        with open(os.devnull, "w") as quiet:
            call_command("load_policies", data_dir=DATA_DIR, stdout=quiet)
        assert Milestone.objects.get(pk=created["id"]).status == "done"

    def test_bad_input_is_a_400_naming_each_field(self, reference_data):
        client = editor_client()
        body = {
            "measure": "beijing-2099/1",
            "key": "not a key",
            "title_zh": "",
            "status": "finished",
            "status_on": "soon",
            "evidence_url": "",
            "grade": "unknown",
        }
        response = client.post(f"{API}/milestones/", body, format="json")
        assert response.status_code == 400
        assert set(response.json()) >= {
            "measure",
            "key",
            "title_zh",
            "title_en",
            "status",
            "status_on",
            "evidence_url",
            "grade",
        }
        assert not Milestone.objects.filter(origin="editor").exists()

    def test_a_second_milestone_with_the_same_key_is_refused(self, reference_data):
        body = {
            "measure": "beijing-2024/9",
            "key": "rare-disease-drug-white-list",
            "title_zh": "重复",
            "title_en": "Again",
            "status": "done",
            "status_on": "2025-03-20",
            "evidence_url": "https://example.org/again",
            "grade": "secondary",
        }
        response = editor_client().post(f"{API}/milestones/", body, format="json")
        assert response.status_code == 409  # it exists already
        assert "key" in response.json()


def test_editors_edit_milestones_in_the_admin(client, reference_data):
    client.force_login(StaffUserFactory())
    assert client.get("/admin/measures/milestone/").status_code == 200
    measure = Measure.objects.by_public_id("beijing-2024/9")
    assert (
        "rare-disease-drug-white-list"
        in client.get(f"/admin/measures/measure/{measure.pk}/change/").content.decode()
    )
