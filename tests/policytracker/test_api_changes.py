"""/api/v1/changes/: the change log for machines, with the filters of /changes/, newest first,
walked by cursor."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from measures.changelog import Pending, recording
from measures.models import Change, ChangeKind, Target

API = "/api/v1/changes/"


@pytest.fixture
def changed(reference_data) -> Target:
    target = Target.objects.select_related("measure__document").get(
        measure__document__slug="beijing-2025", key="trial-startup"
    )
    with recording(process="api"):
        target.goal_value = Decimal("18")
        target.save()
    with recording(process="refresh_progress", bulk=True) as log:
        status = [{"field": "status", "old": "on_track", "new": "overdue"}]
        log.record([Pending(target, ChangeKind.STATUS, status)])
    return target


@pytest.mark.django_db
class TestChangeList:
    def test_it_lists_the_log_newest_first_in_both_languages(self, client, changed):
        body = client.get(API).json()
        first, second = body["results"][:2]
        assert first["change"] == "status"
        assert second["change"] == "changed"
        assert first["summary_zh"] == "现为逾期未报（原为进度正常）"
        assert first["summary_en"] == "now overdue (was on track)"
        assert second["fields"] == [{"field": "goal_value", "old": "20", "new": "18"}]
        assert second["summary_en"] == "goal value 20 weeks → 18 weeks"
        assert first["measure"] == changed.measure.public_id
        assert first["document"] == "beijing-2025"
        assert first["jurisdiction"] == "beijing"
        assert first["url"] == (
            f"http://testserver/measures/{changed.measure.public_id}/#target-trial-startup"
        )
        ids = [row["id"] for row in body["results"]]
        assert ids == sorted(ids, reverse=True)

    def test_a_cursor_walks_the_whole_log_once(self, client, changed):
        seen, url = [], f"{API}?page_size=100"
        while url:
            body = client.get(url).json()
            seen += [row["id"] for row in body["results"]]
            url = body["next"]
        assert seen == list(Change.objects.order_by("-id").values_list("id", flat=True))

    def test_the_filters_are_the_pages(self, client, changed):
        body = client.get(API, {"object": "target", "change": "status"}).json()
        statuses = Change.objects.filter(object_kind="target", kind="status").count()
        assert statuses > 1  # the loader's refresh judged some, the fixture moved one more
        assert [row["change"] for row in body["results"]] == ["status"] * statuses
        measure = changed.measure.public_id
        body = client.get(API, {"measure": measure, "page_size": 1000}).json()
        assert {row["measure"] for row in body["results"]} == {measure}
        assert len(body["results"]) == Change.objects.filter(measure=changed.measure).count()
        body = client.get(API, {"since": "2999-01-01"}).json()
        assert body["results"] == []

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ({"object": "treaty"}, "object"),
            ({"change": "renamed"}, "change"),
            ({"document": "nowhere"}, "document"),
            ({"topic": "nothing"}, "topic"),
            ({"measure": "beijing-2025"}, "measure"),
            ({"since": "yesterday"}, "since"),
            ({"page_size": "0"}, "page_size"),
            ({"page_size": "5000"}, "page_size"),
        ],
    )
    def test_a_bad_value_is_a_400_naming_the_field(self, client, changed, query, field):
        response = client.get(API, query)
        assert response.status_code == 400
        assert list(response.json()) == [field]

    def test_its_queries_do_not_grow_with_the_rows(self, client, changed):
        def count(size: int) -> int:
            with CaptureQueriesContext(connection) as queries:
                response = client.get(API, {"page_size": size}, HTTP_CACHE_CONTROL="no-cache")
            assert len(response.json()["results"]) == size
            return len(queries)

        assert count(5) == count(200) <= 2

    def test_a_page_downloads_as_csv(self, client, changed):
        response = client.get(API, {"format": "csv", "change": "status"})
        assert response.status_code == 200
        lines = response.content.decode("utf-8-sig").splitlines()
        assert lines[0].startswith("id,at,object,object_label,change,summary_zh,summary_en")
        assert "现为逾期未报（原为进度正常）" in lines[1]

    def test_it_is_in_the_root_and_the_schema(self, client, db):
        assert client.get("/api/v1/").json()["changes"] == "http://testserver/api/v1/changes/"
        schema = client.get("/api/schema/", {"format": "json"}).json()
        operation = schema["paths"][API]["get"]
        names = {parameter["name"] for parameter in operation["parameters"]}
        expected = {"document", "jurisdiction", "topic", "agency", "object", "change"}
        assert expected | {"measure", "since", "cursor", "page_size"} <= names
        assert all(parameter.get("description") for parameter in operation["parameters"])
