"""Every bulk write path records its changes exactly once, in its own transaction, in a number
of queries that does not grow with the rows: the loader, the importer, ingestion, the refresh."""

import copy
import io
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from importer.models import ImportRun
from measures.changelog import ChangeLog
from measures.models import Change, Target
from progress.ingest import ingest
from progress.refresh import refresh_progress
from referencedata import DATA_DIR
from tests.datafiles import IMPORTER_FIXTURES, NATIONAL, edit_yaml, measure
from tests.factories import IndicatorSourceFactory, ObservationFactory, TargetFactory

pytestmark = pytest.mark.django_db


def load(data_dir: Path) -> None:
    call_command("load_policies", data_dir=data_dir, stdout=io.StringIO())


def new_changes(before: int) -> list[Change]:
    return list(Change.objects.order_by("id")[before:])


def add_synthetic_measures(data_dir: Path, n: int) -> None:
    """n more measures in the national document, copies of its first with new numbers."""

    def change(content: dict) -> None:
        first = measure(content, 1)
        last_part = content["parts"][-1]
        count = content["measure_count"]
        for number in range(count + 1, count + n + 1):
            extra = copy.deepcopy(first)
            extra.pop("eligibility", None)
            extra["number"] = number
            extra["title_en"] = f"Synthetic {number}"
            last_part["measures"].append(extra)
        content["measure_count"] = count + n
        if "measure_count" in last_part:
            last_part["measure_count"] += n

    edit_yaml(data_dir / NATIONAL, change)


def retitle_synthetic_measures(data_dir: Path) -> None:
    def change(content: dict) -> None:
        for part in content["parts"]:
            for item in part["measures"]:
                if item["title_en"].startswith("Synthetic"):
                    item["title_en"] += " (revised)"

    edit_yaml(data_dir / NATIONAL, change)


class TestTheLoader:
    def test_a_first_load_records_each_row_added_and_a_second_nothing(self, data_dir):
        load(data_dir)
        added = Change.objects.filter(process="load_policies")
        assert added.filter(object_kind="measure", kind="added").count() == 80
        assert added.filter(object_kind="target", kind="added").count() == Target.objects.count()
        assert not added.exclude(kind__in=["added", "superseded"]).exists()
        before = Change.objects.count()
        load(data_dir)
        assert Change.objects.count() == before

    def test_changed_fields_sets_and_removals_are_recorded_once(self, data_dir):
        load(data_dir)
        before = Change.objects.count()

        def change(content: dict) -> None:
            item = measure(content, 3)
            item["summary_en"] = "Rewritten."
            item["topics"] = [*item["topics"], "medical_data"]
            item["agencies"].append({"agency": "nhc", "role": "joint"})
            measure(content, 12)["targets"] = []

        edit_yaml(data_dir / NATIONAL, change)
        load(data_dir)

        changes = new_changes(before)
        assert sorted((c.object_kind, c.kind, c.object_label) for c in changes) == [
            ("measure", "changed", "national-2025/3"),
            ("target", "removed", changes[0].object_label),
        ]
        edited = next(c for c in changes if c.kind == "changed")
        fields = {entry["field"]: entry for entry in edited.fields}
        assert set(fields) == {"summary_en", "topics", "agencies"}
        assert fields["summary_en"]["new"] == "Rewritten."
        assert "medical_data" in fields["topics"]["new"]
        assert "medical_data" not in fields["topics"]["old"]
        assert fields["topics"]["new"] == sorted(fields["topics"]["new"])
        assert fields["agencies"] == {
            "field": "agencies",
            "old": ["healthcare-security-authorities:lead"],
            "new": ["healthcare-security-authorities:lead", "nhc:joint"],
        }
        assert {c.process for c in changes} == {"load_policies"}
        removed = next(c for c in changes if c.kind == "removed")
        assert removed.object_label.startswith("national-2025/12#")
        assert removed.target_id is None  # the row is gone; its label stays
        assert removed.measure.number == 12

    def test_a_load_that_fails_leaves_no_change(self, data_dir):
        load(data_dir)
        target = Target.objects.get(measure__document__slug="national-2025", measure__number=12)
        ObservationFactory(target=target, observed_on=date(2025, 12, 31))
        before = Change.objects.count()
        edit_yaml(data_dir / NATIONAL, lambda c: measure(c, 3).update(summary_en="Rewritten."))
        edit_yaml(data_dir / NATIONAL, lambda c: measure(c, 12).update(targets=[]))
        with pytest.raises(Exception, match="rolled back"):
            load(data_dir)
        assert Change.objects.count() == before

    def test_recording_costs_the_same_queries_for_n_and_2n_changed_measures(
        self, tmp_path, monkeypatch
    ):
        """The queries the log adds to a load (its lookups and inserts) — the load's count with
        the log minus without — are the same for N and 2N changed measures."""
        added = {}
        for n in (20, 40):
            data_dir = copy_data(DATA_DIR, tmp_path / f"data-{n}")
            add_synthetic_measures(data_dir, n)
            load(data_dir)
            retitle_synthetic_measures(data_dir)
            before = Change.objects.count()
            with_log, changes = queries_of_a_load_undone(data_dir)
            assert [(c.object_kind, c.kind) for c in changes[before:]] == [
                ("measure", "changed")
            ] * n
            with monkeypatch.context() as muted:
                muted.setattr(ChangeLog, "record", lambda self, pending: None)
                without_log, _ = queries_of_a_load_undone(data_dir)
            added[n] = with_log - without_log
        assert added[20] == added[40] > 0


class Undo(Exception):
    pass


def queries_of_a_load_undone(data_dir: Path) -> tuple[int, list[Change]]:
    """How many queries a load makes and the change log after it; then the load is undone."""
    with CaptureQueriesContext(connection) as queries:
        try:
            with transaction.atomic():
                load(data_dir)
                changes = list(Change.objects.order_by("id"))
                raise Undo
        except Undo:
            pass
    return len(queries) - 1, changes  # less the query reading the log


def copy_data(source: Path, to: Path) -> Path:
    return Path(shutil.copytree(source, to))


class TestTheImporter:
    def test_a_new_document_is_recorded_as_its_import_run(self, reference_data):
        before = Change.objects.count()
        call_command(
            "import_document", str(IMPORTER_FIXTURES / "continuous.txt"), stdout=io.StringIO()
        )
        run = ImportRun.objects.get()
        changes = new_changes(before)
        assert {c.process for c in changes} == {f"import run {run.pk}"}
        kinds = sorted({(c.object_kind, c.kind) for c in changes})
        assert kinds == [("document", "added"), ("measure", "added"), ("target", "added")]
        document = run.document
        assert len([c for c in changes if c.object_kind == "measure"]) == document.measures.count()
        assert {c.document_id for c in changes} == {document.pk}

    def test_the_same_text_again_records_nothing_new(self, reference_data):
        path = str(IMPORTER_FIXTURES / "continuous.txt")
        call_command("import_document", path, stdout=io.StringIO())
        before = Change.objects.count()
        call_command("import_document", path, "--document", "beijing-2026-9", stdout=io.StringIO())
        assert all(c.kind == "changed" for c in new_changes(before))


class TestIngestion:
    def test_added_values_are_recorded_once_and_a_reingest_records_nothing(
        self, tmp_path, settings
    ):
        settings.INGEST_PATH_ROOTS = [tmp_path]
        first, second = TargetFactory(baseline_value=28), TargetFactory(baseline_value=28)
        path = tmp_path / "times.csv"
        path.write_text(
            f"target,date,value\n{first.public_id},2025-06-30,19.5\n"
            f"{second.public_id},2025-06-30,24\n"
        )
        source = IndicatorSourceFactory(location=str(path))
        before = Change.objects.count()

        result = ingest(source, today=date(2026, 6, 30))

        observations = [c for c in new_changes(before) if c.object_kind == "observation"]
        assert {(c.kind, c.process) for c in observations} == {
            ("added", f"ingest run {result.run_id}")
        }
        assert sorted(c.target_id for c in observations) == sorted([first.pk, second.pk])
        assert {c.object_label.split("@")[1] for c in observations} == {"2025-06-30"}
        before = Change.objects.count()
        ingest(source, today=date(2026, 6, 30))
        assert Change.objects.count() == before


class TestTheRefresh:
    def test_a_status_that_moves_is_recorded_once_and_reads_back_as_a_list(self):
        target = TargetFactory(baseline_value=28, goal_value=20, deadline=date(2025, 12, 31))
        refresh_progress(Target.objects.filter(pk=target.pk), today=date(2025, 1, 1))
        ObservationFactory(target=target, value=Decimal("19"), observed_on=date(2025, 6, 30))
        target.refresh_from_db()
        was = target.status
        before = Change.objects.count()

        refresh_progress(Target.objects.filter(pk=target.pk), today=date(2025, 7, 1))

        target.refresh_from_db()
        assert target.status != was
        (change,) = new_changes(before)
        assert (change.kind, change.process, change.target_id) == (
            "status",
            "refresh_progress",
            target.pk,
        )
        assert change.fields == [{"field": "status", "old": was, "new": target.status}]
        assert isinstance(Change.objects.get(pk=change.pk).fields, list)
        assert (
            change.object_label
            == f"{target.measure.document.slug}/{target.measure.number}#{target.key}"
        )

    def test_a_refresh_that_moves_no_status_records_nothing(self):
        targets = [TargetFactory() for _ in range(3)]
        everything = Target.objects.filter(pk__in=[t.pk for t in targets])
        refresh_progress(everything, today=date(2025, 7, 1))
        before = Change.objects.count()
        refresh_progress(everything, today=date(2025, 7, 1))
        assert Change.objects.count() == before

    def test_the_number_of_statements_does_not_grow_with_the_targets(self):
        costs = []
        for n in (3, 6):
            targets = [TargetFactory(deadline=date(2025, 1, 1)) for _ in range(n)]
            with CaptureQueriesContext(connection) as queries:
                refresh_progress(
                    Target.objects.filter(pk__in=[t.pk for t in targets]), today=date(2025, 7, 1)
                )
            assert Change.objects.filter(kind="status", target__in=targets).count() == n
            costs.append(len(queries))
        assert costs[0] == costs[1]
