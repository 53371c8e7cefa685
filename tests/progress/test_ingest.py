"""Observations ingested from indicator sources: over HTTP or from a file, CSV or JSON, with a
record of every run, bad rows refused with reasons, and nothing recorded twice."""

import hashlib
import io
import json
import os
from datetime import date
from decimal import Decimal

import pytest
from celery.exceptions import Retry
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_celery_beat.models import PeriodicTask

from measures.models import IndicatorSource, Observation, ObservationOrigin, Target
from progress.ingest import FetchError, TransientFetchError, ingest
from progress.models import IngestRun, ProgressSnapshot
from progress.schedules import sync_schedules
from progress.tasks import ingest_observations
from referencedata import DATA_DIR
from tests.datafiles import edit_yaml, measure
from tests.factories import IndicatorSourceFactory, StaffUserFactory, TargetFactory
from tests.httpsource import Response

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 30)


def csv_file(*rows: tuple[str, str, str]) -> bytes:
    lines = ["target,date,value", *(",".join(row) for row in rows)]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(autouse=True)
def files_folder(settings, tmp_path):
    """The test's own folder is the one folder path sources may read from."""
    settings.INGEST_PATH_ROOTS = [tmp_path]
    return tmp_path


@pytest.fixture
def targets():
    """Two targets: ≤ 20 weeks from 28, and another of the same kind."""
    return TargetFactory(baseline_value=28), TargetFactory(baseline_value=28)


class TestIngestingOverHttp:
    def test_new_values_are_recorded_with_their_provenance(self, file_server, targets):
        first, second = targets
        body = csv_file(
            (first.public_id, "2025-06-30", "19.5"), (second.public_id, "2025-06-30", "24")
        )
        source = IndicatorSourceFactory(location=file_server.serve("/times.csv", Response(body)))

        result = ingest(source, today=TODAY)

        assert (result.status, result.added, result.skipped, result.rejected) == (
            "added",
            2,
            0,
            0,
        )
        value = Observation.objects.get(target=first)
        assert value.value == Decimal("19.50")
        assert value.origin == ObservationOrigin.INGESTED
        assert value.indicator_source == source
        assert value.retrieved_at is not None
        assert value.content_hash == hashlib.sha256(body).hexdigest()
        assert value.source_url == source.location
        run = IngestRun.objects.get()
        assert (run.status, run.rows_read, run.rows_added) == ("added", 2, 2)
        # Progress follows the commit: 19.5 ≤ 20 is achieved, with today's snapshot.
        first.refresh_from_db()
        assert first.status == "achieved"
        assert ProgressSnapshot.objects.filter(target=first, taken_on=TODAY).count() == 1

    def test_reading_the_same_file_again_adds_nothing(self, file_server, targets):
        body = csv_file((targets[0].public_id, "2025-06-30", "19.5"))
        source = IndicatorSourceFactory(location=file_server.serve("/a.csv", Response(body)))
        ingest(source, today=TODAY)
        again = ingest(source, today=TODAY)
        assert (again.status, again.added, again.skipped) == ("unchanged", 0, 1)
        assert Observation.objects.count() == 1
        assert ProgressSnapshot.objects.count() == 1  # one per target and day
        assert IngestRun.objects.count() == 2

    def test_a_json_array_is_read_by_its_keys(self, file_server, targets):
        body = json.dumps(
            [{"indicator": targets[0].public_id, "when": "2025-05-31", "weeks": 21.25}]
        ).encode()
        source = IndicatorSourceFactory(
            location=file_server.serve("/a.json", Response(body)),
            format="json",
            target_field="indicator",
            date_field="when",
            value_field="weeks",
        )
        assert ingest(source, today=TODAY).added == 1
        assert Observation.objects.get().value == Decimal("21.25")

    def test_a_server_error_is_retried_with_a_record_of_each_attempt(self, file_server, targets):
        body = csv_file((targets[0].public_id, "2025-06-30", "19.5"))
        location = file_server.serve("/flaky.csv", Response(b"busy", status=503), Response(body))
        source = IndicatorSourceFactory(location=location)
        # Inline, Celery raises the Retry it would schedule (a worker runs it after the backoff;
        # tests/progress/test_worker.py shows that end to end).
        with pytest.raises(Retry) as retry:
            ingest_observations.apply(args=[source.pk])
        assert isinstance(retry.value.exc, TransientFetchError)
        assert ingest_observations.apply(args=[source.pk]).get()["added"] == 1
        assert list(IngestRun.objects.order_by("pk").values_list("status", flat=True)) == [
            "failed",
            "added",
        ]
        assert "HTTP 503" in IngestRun.objects.order_by("pk").first().error

    def test_a_missing_file_is_not_retried(self, file_server, targets):
        source = IndicatorSourceFactory(location=f"{file_server.url}/gone.csv")
        with pytest.raises(FetchError) as raised:
            ingest_observations.apply(args=[source.pk]).get()
        assert not isinstance(raised.value, TransientFetchError)
        assert file_server.requests == ["/gone.csv"]
        assert IngestRun.objects.get().error == "HTTP 404 Not Found"

    def test_a_server_too_slow_for_the_time_limit_is_given_up(self, file_server, targets):
        body = csv_file((targets[0].public_id, "2025-06-30", "19.5")) + b"#" * 200_000
        # Each piece comes within the socket timeout; the whole file does not come in time.
        location = file_server.serve("/slow.csv", Response(body, drip=0.3))
        source = IndicatorSourceFactory(location=location, timeout=1)
        with pytest.raises(TransientFetchError, match="not read within 1 s"):
            ingest(source, today=TODAY)
        assert not Observation.objects.exists()
        assert IngestRun.objects.get().status == "failed"


class TestBadRows:
    def bad_file(self, targets) -> bytes:
        return csv_file(
            (targets[0].public_id, "2025-06-30", "19.5"),
            ("beijing-2099/1:nothing", "2025-06-30", "3"),
            (targets[1].public_id, "30/06/2025", "abc"),
            (targets[1].public_id, "2027-01-01", "22"),
        )

    def test_bad_rows_are_refused_with_reasons_and_the_rest_imported(self, tmp_path, targets):
        path = tmp_path / "values.csv"
        path.write_bytes(self.bad_file(targets))
        source = IndicatorSourceFactory(location=str(path))
        result = ingest(source, today=TODAY)
        assert (result.status, result.added, result.rejected) == ("partial", 1, 3)
        run = IngestRun.objects.get()
        assert run.problems == [
            "row 3: unknown target in column “target” (give measure id and key, "
            "e.g. beijing-2024/1:startup-weeks)",
            "row 4: the date in column “date” is not YYYY-MM-DD; "
            "the value in column “value” is not a number",
            "row 5: date 2027-01-01 is in the future",
        ]
        assert list(Observation.objects.values_list("target", flat=True)) == [targets[0].pk]

    def test_a_source_may_reject_the_whole_file_for_one_bad_row(self, tmp_path, targets):
        path = tmp_path / "values.csv"
        path.write_bytes(self.bad_file(targets))
        source = IndicatorSourceFactory(location=str(path), on_error="reject_file")
        result = ingest(source, today=TODAY)
        assert (result.status, result.added, result.rejected) == ("rejected", 0, 3)
        assert not Observation.objects.exists()
        assert not ProgressSnapshot.objects.exists()
        assert IngestRun.objects.get().rows_rejected == 3

    def test_a_different_value_for_a_recorded_day_is_refused_not_overwritten(
        self, tmp_path, targets
    ):
        path = tmp_path / "values.csv"
        path.write_bytes(csv_file((targets[0].public_id, "2025-06-30", "19.5")))
        source = IndicatorSourceFactory(location=str(path))
        ingest(source, today=TODAY)
        path.write_bytes(
            csv_file(
                (targets[0].public_id, "2025-06-30", "18"),
                (targets[0].public_id, "2025-07-31", "17"),
                (targets[0].public_id, "2025-07-31", "16"),
            )
        )
        result = ingest(source, today=TODAY)
        assert (result.added, result.rejected) == (1, 2)
        assert "already has the value 19.50 on 2025-06-30" in result.problems[0]
        values = Observation.objects.order_by("observed_on").values_list("value", flat=True)
        assert list(values) == [Decimal("19.50"), Decimal("17.00")]

    @pytest.mark.parametrize(
        ("fmt", "content", "reason"),
        [
            ("csv", b"when,what\n2025-01-01,3\n", "missing column(s): target, date, value"),
            ("json", b"{not json", "not valid JSON"),
            ("json", b'{"target": "x"}', "a JSON file must hold an array of objects"),
            ("csv", b"\xff\xfe\x00bad", "not UTF-8 text"),
        ],
    )
    def test_an_unreadable_file_leaves_the_database_as_it_was(
        self, tmp_path, targets, fmt, content, reason
    ):
        path = tmp_path / "values"
        path.write_bytes(content)
        source = IndicatorSourceFactory(location=str(path), format=fmt)
        result = ingest(source, today=TODAY)
        assert result.status == "rejected"
        assert reason in result.problems[0]
        assert not Observation.objects.exists()
        assert IngestRun.objects.get().error.startswith(reason.split(":")[0])


class TestCost:
    def test_the_queries_do_not_grow_with_the_rows(self, tmp_path):
        counts = []
        for size in (5, 60):
            Observation.objects.all().delete()
            ProgressSnapshot.objects.all().delete()
            rows = [(t.public_id, "2025-06-30", "21") for t in TargetFactory.create_batch(size)]
            path = tmp_path / f"{size}.csv"
            path.write_bytes(csv_file(*rows))
            source = IndicatorSourceFactory(location=str(path))
            with CaptureQueriesContext(connection) as queries:
                assert ingest(source, today=TODAY).added == size
            counts.append(len(queries))
        assert counts[0] == counts[1], counts


class TestTheCommand:
    def test_it_reads_one_source_and_reports(self, tmp_path, targets):
        path = tmp_path / "values.csv"
        path.write_bytes(csv_file((targets[0].public_id, "2025-06-30", "19.5")))
        IndicatorSourceFactory(name="stats", location=str(path))
        out = io.StringIO()
        call_command("ingest_observations", source="stats", stdout=out)
        assert "stats: added: 1 read, 1 added, 0 already recorded, 0 rejected." in out.getvalue()

    def test_a_note_is_kept_in_the_language_it_is_written_in(self, tmp_path, targets):
        first, second = targets
        path = tmp_path / "values.csv"
        path.write_bytes(
            "target,date,value,note\n"
            f"{first.public_id},2025-06-30,19.5,市统计局季度通报\n"
            f"{second.public_id},2025-06-30,21,quarterly bulletin\n".encode()
        )
        IndicatorSourceFactory(name="stats", location=str(path), note_field="note")
        call_command("ingest_observations", stdout=io.StringIO())
        notes = Observation.objects.order_by("target").values_list("note_zh", "note_en")
        assert list(notes) == [("市统计局季度通报", ""), ("", "quarterly bulletin")]

    def test_it_names_an_unknown_source(self):
        with pytest.raises(CommandError, match="no indicator source named “nope”"):
            call_command("ingest_observations", source="nope")

    def test_it_fails_naming_each_problem(self, tmp_path, targets):
        path = tmp_path / "values.csv"
        path.write_bytes(csv_file(("nowhere/1:x", "2025-06-30", "1")))
        IndicatorSourceFactory(name="stats", location=str(path))
        IndicatorSourceFactory(name="gone", location=str(tmp_path / "missing.csv"))
        err = io.StringIO()
        with pytest.raises(CommandError, match="not ingested, or not every row: gone, stats"):
            call_command("ingest_observations", stdout=io.StringIO(), stderr=err)
        assert "stats: row 2: unknown target in column “target”" in err.getvalue()
        assert "gone: could not read" in err.getvalue()


def test_the_loader_never_touches_ingested_values(reference_data, tmp_path):
    target = Target.objects.get(measure__document__slug="beijing-2025", key="trial-startup")
    path = tmp_path / "values.csv"
    path.write_bytes(csv_file((target.public_id, "2026-03-31", "19")))
    ingest(IndicatorSourceFactory(location=str(path)), today=TODAY)
    call_command("load_policies", data_dir=DATA_DIR, stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert Observation.objects.filter(origin="ingested", target=target).count() == 1


def test_a_reference_value_for_an_ingested_day_leaves_the_ingested_one(data_dir, tmp_path):
    call_command("load_policies", data_dir=data_dir, stdout=io.StringIO())
    target = Target.objects.get(measure__document__slug="beijing-2025", key="trial-startup")
    path = tmp_path / "values.csv"
    path.write_bytes(csv_file((target.public_id, "2025-06-30", "19")))
    ingest(IndicatorSourceFactory(location=str(path)), today=TODAY)

    def add_reference_value(content: dict) -> None:
        [item] = [t for t in measure(content, 1)["targets"] if t["key"] == "trial-startup"]
        # Dated within the target's period and before its source (s41) was published.
        item["observations"] = [{"observed_on": date(2025, 6, 30), "value": 21, "source": "s41"}]

    edit_yaml(data_dir / "documents/beijing-2025.yaml", add_reference_value)
    call_command("load_policies", data_dir=data_dir, stdout=io.StringIO())
    recorded = Observation.objects.get(target=target, observed_on=date(2025, 6, 30))
    assert (recorded.origin, recorded.value) == ("ingested", Decimal("19.00"))


class TestSchedules:
    def test_the_nightly_refresh_and_each_source_get_a_periodic_task(self):
        source = IndicatorSourceFactory(schedule="30 4 * * 1")
        IndicatorSourceFactory(schedule="")  # by hand only
        result = sync_schedules()
        refresh = PeriodicTask.objects.get(name="refresh-progress")
        assert (refresh.task, refresh.crontab.hour) == ("measures.refresh_progress", "2")
        task = PeriodicTask.objects.get(name=source.task_name)
        assert task.task == "measures.ingest_observations"
        assert json.loads(task.args) == [source.pk]
        assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == (
            "30",
            "4",
            "1",
        )
        drain = PeriodicTask.objects.get(name="drain-outbox")
        assert (drain.task, drain.crontab.minute) == ("measures.drain_outbox", "*")
        digests = PeriodicTask.objects.get(name="send-digests")
        assert (digests.task, digests.crontab.hour) == ("alerts.send_digests", "7")
        webhooks = PeriodicTask.objects.get(name="send-webhooks")
        assert (webhooks.task, webhooks.crontab.minute) == ("webhooks.send_due", "*")
        assert result.created == 5
        assert sync_schedules().created == 0  # idempotent

    def test_an_admin_edit_of_the_refresh_survives_a_sync(self):
        sync_schedules()
        PeriodicTask.objects.filter(name="refresh-progress").update(enabled=False)
        sync_schedules()
        assert PeriodicTask.objects.get(name="refresh-progress").enabled is False

    def test_saving_a_source_in_the_admin_reschedules_it(self, client):
        client.force_login(StaffUserFactory())
        form = {
            "name": "stats",
            "title": "",
            "location": "https://example.org/stats.csv",
            "format": "csv",
            "target_field": "target",
            "date_field": "date",
            "value_field": "value",
            "note_field": "",
            "on_error": "skip_row",
            "schedule": "0 6 * * *",
            "enabled": "on",
            "timeout": "60",
            "grade": "secondary",
            "grade_note_zh": "",
            "grade_note_en": "",
        }
        response = client.post("/admin/measures/indicatorsource/add/", form)
        assert response.status_code == 302, response.content.decode()[:3000]
        source = IndicatorSource.objects.get(name="stats")
        assert PeriodicTask.objects.get(name=source.task_name).crontab.hour == "6"
        form["enabled"] = ""
        client.post(f"/admin/measures/indicatorsource/{source.pk}/change/", form)
        assert not PeriodicTask.objects.filter(name=source.task_name).exists()

    def test_a_malformed_schedule_is_a_form_error(self, client):
        client.force_login(StaffUserFactory())
        response = client.post(
            "/admin/measures/indicatorsource/add/",
            {"name": "x", "location": "/srv/data/x.csv", "format": "csv", "schedule": "daily"},
        )
        assert response.status_code == 200
        assert "请给出五个字段：分 时 日 月 星期" in response.content.decode()
        assert not IndicatorSource.objects.exists()

    def test_an_editor_reads_a_source_now_from_the_admin(
        self, client, tmp_path, targets, django_capture_on_commit_callbacks
    ):
        from policytracker.celery import app

        path = tmp_path / "values.csv"
        path.write_bytes(csv_file((targets[0].public_id, "2025-06-30", "19.5")))
        source = IndicatorSourceFactory(location=str(path))
        client.force_login(StaffUserFactory())
        previous, app.conf.task_always_eager = app.conf.task_always_eager, True
        try:
            with django_capture_on_commit_callbacks(execute=True):
                response = client.post(
                    "/admin/measures/indicatorsource/",
                    {"action": "ingest_now", "_selected_action": [source.pk]},
                )
        finally:
            app.conf.task_always_eager = previous
        assert response.status_code == 302
        assert IngestRun.objects.get(source=source).rows_added == 1

    def test_the_runs_are_listed_in_the_admin(self, client, tmp_path, targets):
        path = tmp_path / "values.csv"
        path.write_bytes(csv_file((targets[0].public_id, "2025-06-30", "19.5")))
        ingest(IndicatorSourceFactory(name="stats", location=str(path)), today=TODAY)
        client.force_login(StaffUserFactory())
        page = client.get("/admin/progress/ingestrun/").content.decode()
        assert "stats" in page
        run = IngestRun.objects.get()
        assert client.get(f"/admin/progress/ingestrun/{run.pk}/change/").status_code == 200


class TestHostileFiles:
    """What a file, or a source's location, can do to the server: each is a clear problem on a
    recorded run, never a traceback, a half-written file or a file the admin should not see."""

    def test_a_nul_or_a_lone_surrogate_in_a_cell_refuses_that_row(self, tmp_path, targets):
        first, second = targets
        path = tmp_path / "values.csv"
        path.write_bytes(
            b"target,date,value,note\n"
            + f"{first.public_id},2025-06-30,19.5,fine\n".encode()
            + f"{second.public_id},2025-06-30,21,bad\x00note\n".encode()
            + f"{second.public_id}\x00,2025-05-31,21,\n".encode()
        )
        source = IndicatorSourceFactory(name="stats", location=str(path), note_field="note")
        err = io.StringIO()
        with pytest.raises(CommandError, match="not every row: stats"):
            call_command("ingest_observations", stdout=io.StringIO(), stderr=err)
        run = IngestRun.objects.get(source=source)
        assert (run.status, run.rows_added, run.rows_rejected) == ("partial", 1, 2)
        assert run.problems == [
            "row 3: column “note” holds a NUL character",
            "row 4: column “target” holds a NUL character",
        ]
        assert "Traceback" not in err.getvalue()
        assert list(Observation.objects.values_list("target", "note_en")) == [(first.pk, "fine")]

    def test_json_escapes_that_make_no_text_refuse_the_file_when_it_says_so(
        self, tmp_path, targets
    ):
        rows = [
            {"target": targets[0].public_id, "date": "2025-06-30", "value": 19.5},
            {"target": targets[1].public_id, "date": "2025-06-30\u0000", "value": 1},
        ]
        text = json.dumps(rows)[:-1] + ', {"target": "\\ud800", "date": "x", "value": 1}]'
        path = tmp_path / "values.json"
        path.write_text(text)
        source = IndicatorSourceFactory(location=str(path), format="json", on_error="reject_file")
        result = ingest_observations.apply(args=[source.pk]).get()
        assert (result["status"], result["added"], result["rejected"]) == ("rejected", 0, 2)
        assert IngestRun.objects.get().problems == [
            "row 2: column “date” holds a NUL character",
            "row 3: column “target” holds a lone surrogate",
        ]
        assert not Observation.objects.exists()

    @pytest.mark.parametrize(
        "outside",
        ["/etc/passwd", "{tmp}/../outside.csv", "{tmp}/link.csv", "values.csv", "/dev/zero"],
    )
    def test_a_path_outside_the_folders_is_never_read(self, tmp_path, targets, outside):
        (tmp_path.parent / "outside.csv").write_bytes(b"secret,lines\nroot,x\n")
        (tmp_path / "link.csv").symlink_to(tmp_path.parent / "outside.csv")
        source = IndicatorSourceFactory(location=outside.format(tmp=tmp_path))
        with pytest.raises(FetchError) as raised:
            ingest(source, today=TODAY)
        run = IngestRun.objects.get()
        assert run.status == "failed"
        assert str(tmp_path) in run.error  # it names the folder that is open
        assert "secret" not in run.error
        assert "lines" not in str(raised.value)

    def test_a_device_or_a_pipe_is_refused_unread(self, settings, tmp_path, targets):
        os.mkfifo(tmp_path / "pipe.csv")  # opening it for reading would wait for a writer
        settings.INGEST_PATH_ROOTS = [tmp_path, "/dev"]
        for location in (str(tmp_path / "pipe.csv"), "/dev/zero", str(tmp_path)):
            with pytest.raises(FetchError, match="is not a regular file"):
                ingest(IndicatorSourceFactory(location=location), today=TODAY)
        assert list(IngestRun.objects.values_list("status", flat=True)) == ["failed"] * 3

    def test_a_file_over_the_cap_is_refused_as_a_download_is(self, tmp_path, targets, monkeypatch):
        from progress import ingest as module

        path = tmp_path / "huge.csv"
        with path.open("wb") as handle:
            handle.write(b"target,date,value\n")
            handle.truncate(module.MAX_BYTES + 1)  # sparse: no disk used
        with pytest.raises(FetchError, match="larger than 20 MB"):
            ingest(IndicatorSourceFactory(location=str(path)), today=TODAY)
        # A file of exactly the cap is read whole (a smaller cap, so the test stays quick).
        body = csv_file((targets[0].public_id, "2025-06-30", "19.5"))
        path.write_bytes(body)
        monkeypatch.setattr(module, "MAX_BYTES", len(body))
        assert ingest(IndicatorSourceFactory(location=str(path)), today=TODAY).added == 1
        monkeypatch.setattr(module, "MAX_BYTES", len(body) - 1)
        with pytest.raises(FetchError, match="larger than"):
            ingest(IndicatorSourceFactory(location=str(path)), today=TODAY)

    def test_a_file_with_other_columns_shows_only_its_header_names_shortened(self, tmp_path):
        path = tmp_path / "other.csv"
        long_name = "x" * 100
        path.write_bytes(f"a\x01b,{long_name}\nsecret-value,more-secret\n".encode())
        result = ingest(IndicatorSourceFactory(location=str(path)), today=TODAY)
        assert result.problems == [
            "missing column(s): target, date, value (the file has: a\\x01b, " + "x" * 40 + "…)"
        ]
        assert "secret" not in IngestRun.objects.get().error

    def test_json_nested_deeper_than_python_can_follow_is_refused(self, tmp_path):
        path = tmp_path / "deep.json"
        path.write_text("[" * 100_000 + "]" * 100_000)
        result = ingest(IndicatorSourceFactory(location=str(path), format="json"), today=TODAY)
        assert result.problems == ["not valid JSON: nested too deeply"]


class TestPathsInTheAdmin:
    def post(self, client, location: str):
        client.force_login(StaffUserFactory())
        form = {
            "name": "stats",
            "location": location,
            "format": "csv",
            "target_field": "target",
            "date_field": "date",
            "value_field": "value",
            "on_error": "skip_row",
            "timeout": "60",
            "grade": "secondary",
        }
        return client.post("/admin/measures/indicatorsource/add/", form)

    @pytest.mark.parametrize("location", ["/etc/passwd", "{tmp}/../x.csv", "x.csv", "/a\x01b"])
    def test_a_path_outside_the_folders_is_a_form_error_naming_them(
        self, client, tmp_path, location
    ):
        response = self.post(client, location.format(tmp=tmp_path))
        assert response.status_code == 200
        page = response.content.decode()
        assert "errorlist" in page
        if "\x01" not in location:
            assert str(tmp_path) in page
        assert not IndicatorSource.objects.exists()

    def test_no_folder_at_all_means_urls_only(self, client, settings, tmp_path):
        settings.INGEST_PATH_ROOTS = []
        response = self.post(client, str(tmp_path / "values.csv"))
        assert "服务器上没有向指标来源开放的文件夹" in response.content.decode()
        assert not IndicatorSource.objects.exists()

    def test_a_file_in_the_folder_is_saved(self, client, tmp_path):
        response = self.post(client, str(tmp_path / "values.csv"))
        assert response.status_code == 302
        assert IndicatorSource.objects.get().location == str(tmp_path / "values.csv")


def test_a_value_dated_before_the_catalogue_begins_is_refused(tmp_path, targets):
    # The same bounds as an editor's observation through the API (Observation.date_problem).
    path = tmp_path / "values.csv"
    path.write_bytes(csv_file((targets[0].public_id, "1686-01-01", "19.5")))
    result = ingest(IndicatorSourceFactory(location=str(path)), today=TODAY)
    assert (result.added, result.rejected) == (0, 1)
    assert IngestRun.objects.get().problems == ["row 2: date 1686-01-01 is before 1949-10-01"]
