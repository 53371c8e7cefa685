"""`manage.py load_policies`: checks every file, then writes in one transaction by stable id."""

import io
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from measures.models import (
    Document,
    Measure,
    MeasureAgency,
    MeasureLink,
    Observation,
    SectionLink,
    Target,
    TargetLink,
)
from referencedata import DATA_DIR
from tests.datafiles import NATIONAL, add_second_edition, edit_yaml, measure
from tests.services import PROJECT

# A measure's sets, by the vocabulary they draw on.
VOCABULARY = {"topics": "topics", "entity_types": "entity_types", "stages": "product_stages"}


def load(data_dir: Path = DATA_DIR, **options: Any) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("load_policies", data_dir=data_dir, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def snapshot() -> dict[str, list[dict]]:
    """Every row of every catalogue table, to prove a failed load changed nothing."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for app in ("measures", "comparisons")
        for model in apps.get_app_config(app).get_models()
    }


@pytest.mark.django_db
class TestLoadingTheNationalDocument:
    def test_it_loads_five_parts_and_sixteen_measures(self):
        load()
        document = Document.objects.get(slug="national-2025")
        assert document.number == "医保发〔2025〕16号"
        assert str(document.signed_on) == "2025-06-30"
        assert [row.agency.slug for row in document.issuer_rows.all()] == ["nhsa", "nhc"]
        sections = document.sections.order_by("ordinal")
        assert [section.measures.count() for section in sections] == [4, 4, 5, 2, 1]
        assert list(document.measures.values_list("number", flat=True)) == list(range(1, 17))

    def test_every_measure_is_sourced_graded_and_has_a_lead_agency(self):
        load()
        for item in Measure.objects.in_document("national-2025"):
            assert item.source is not None
            assert item.grade == "official"
            assert item.summary_zh
            assert item.summary_en
            assert item.agency_roles.filter(role="lead").exists(), item.public_id
        inferred = MeasureAgency.objects.filter(grade="inferred")
        assert inferred.exists()
        assert not inferred.filter(grade_note_zh="").exists()
        assert not inferred.filter(grade_note_en="").exists()

    def test_the_time_limits_become_rule_targets(self):
        load()
        committee = Target.objects.get(measure__document__slug="national-2025", measure__number=10)
        assert (committee.kind, committee.unit, committee.comparator) == ("rule", "month", "lte")
        assert committee.goal_value == 3
        assert "3个月内" in committee.deadline_text
        review = Target.objects.get(measure__document__slug="national-2025", measure__number=12)
        assert "按季度或月" in review.deadline_text

    def test_a_second_run_changes_nothing(self):
        first, _ = load()
        assert "0 unchanged" in first
        before = snapshot()
        second, _ = load()
        assert "0 created, 0 updated, 0 deleted" in second
        assert snapshot() == before

    def test_an_unchanged_reload_reads_each_table_once(self, django_assert_max_num_queries):
        load()
        # One query per table (plus the transaction), however many records the files hold.
        with django_assert_max_num_queries(26):
            load()

    def test_check_validates_without_writing(self):
        out, _ = load(check=True)
        assert "Valid: 3 document(s), 80 measure(s)" in out
        assert not Document.objects.exists()


@pytest.mark.django_db
class TestChangesToTheFiles:
    def test_a_changed_summary_updates_only_that_measure(self, data_dir):
        load(data_dir)
        edit_yaml(data_dir / NATIONAL, lambda c: measure(c, 3).update(summary_en="Rewritten."))
        out, _ = load(data_dir)
        assert "0 created, 1 updated, 0 deleted" in out
        assert Measure.objects.by_public_id("national-2025/3").summary_en == "Rewritten."

    def test_a_target_removed_from_the_file_is_deleted(self, data_dir):
        load(data_dir)
        edit_yaml(data_dir / NATIONAL, lambda c: measure(c, 12).update(targets=[]))
        out, _ = load(data_dir)
        assert "targets: 1 deleted" in out
        assert not Target.objects.filter(measure__number=12).exists()

    def test_it_refuses_to_delete_a_target_with_observations(self, data_dir):
        load(data_dir)
        target = Target.objects.get(measure__number=12)
        Observation.objects.create(
            target=target, value=3, observed_on="2025-12-31", grade="secondary"
        )
        before = snapshot()
        edit_yaml(data_dir / NATIONAL, lambda c: measure(c, 12).update(targets=[]))
        with pytest.raises(CommandError, match="rolled back"):
            load(data_dir)
        assert snapshot() == before

    def test_the_sets_of_eight_measures_cost_the_queries_of_one(self, data_dir):
        """Topics, entity types and stages are written together, not by a `.set()` each."""
        load(data_dir)
        vocabularies = yaml.safe_load((data_dir / "vocabularies.yaml").read_text("utf-8"))
        every = {name: [row["code"] for row in vocabularies[name]] for name in VOCABULARY.values()}

        def give_every_code(numbers: range) -> None:
            def change(content: dict) -> None:
                for number in numbers:
                    item = measure(content, number)
                    item["topics"] = every["topics"]
                    item["applies_to"]["entity_types"] = every["entity_types"]
                    item["applies_to"]["stages"] = every["product_stages"]

            edit_yaml(data_dir / NATIONAL, change)

        give_every_code(range(1, 2))
        with CaptureQueriesContext(connection) as one:
            out, _ = load(data_dir)
        assert "0 created, 1 updated, 0 deleted" in out
        give_every_code(range(2, 10))
        with CaptureQueriesContext(connection) as eight:
            out, _ = load(data_dir)
        assert "0 created, 8 updated, 0 deleted" in out
        assert len(eight.captured_queries) == len(one.captured_queries)
        for number in range(1, 10):
            written = Measure.objects.by_public_id(f"national-2025/{number}")
            for name, vocabulary in VOCABULARY.items():
                codes = getattr(written, name).values_list("code", flat=True)
                assert sorted(codes) == sorted(every[vocabulary])


@pytest.mark.django_db
class TestLinksBetweenEditionsAndLevels:
    def test_it_loads_curated_links(self, data_dir):
        add_second_edition(data_dir)
        load(data_dir)
        links = {
            (
                link.older.public_id if link.older else None,
                link.newer.public_id if link.newer else None,
            ): link.relation
            for link in MeasureLink.objects.select_related("older__document", "newer__document")
        }
        assert links == {
            ("test-2030/1", "test-2031/1"): "strengthened",
            ("national-2025/10", "test-2031/1"): "implements",
            (None, "test-2031/2"): "new",
            ("test-2030/2", None): "dropped",
        }
        assert all(link.status == "curated" for link in MeasureLink.objects.all())
        section_link = SectionLink.objects.get()
        assert (section_link.relation, section_link.grade) == ("renamed", "secondary")
        assert "0 created, 0 updated" in load(data_dir)[0]

    def test_a_link_removed_from_the_file_is_deleted_but_suggestions_stay(self, data_dir):
        add_second_edition(data_dir)
        load(data_dir)
        suggestion = MeasureLink.objects.create(
            older=Measure.objects.by_public_id("national-2025/1"),
            newer=Measure.objects.by_public_id("test-2031/2"),
            relation="implements",
            status="suggested",
            score=0.4,
            grade="inferred",
            grade_note="text similarity",
        )
        edit_yaml(
            data_dir / "documents/test-2031.yaml",
            lambda c: c["parts"][0]["measures"][0].update(links=[]),
        )
        out, _ = load(data_dir)
        assert "measure links: 2 deleted" in out
        assert MeasureLink.objects.filter(pk=suggestion.pk).exists()


def without(path: str) -> Callable[[dict], None]:
    """A change that deletes the field at a dotted path such as `parts.0.title_en`."""

    def change(content: dict) -> None:
        *parents, last = path.split(".")
        node: Any = content
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        del node[last]

    return change


BAD_INPUTS = {
    "missing field": (
        lambda c: without("title_en")(measure(c, 5)),
        "documents/national-2025.yaml: national-2025/5: -: "
        "title_en required unless grade is unknown",
    ),
    "duplicate number": (
        lambda c: measure(c, 6).update(number=5),
        "national-2025/5: number: measures must be numbered through the document without gaps "
        "or repeats; expected 6",
    ),
    "gap in numbering": (
        lambda c: [m.update(number=m["number"] + 1) for m in c["parts"][4]["measures"]],
        "national-2025/17: number: measures must be numbered through the document without gaps "
        "or repeats; expected 16",
    ),
    "unknown agency": (
        lambda c: measure(c, 3)["agencies"][0].update(agency="ministry-of-magic"),
        "national-2025/3: agencies.agency: unknown agency 'ministry-of-magic'",
    ),
    "wrong part count": (
        lambda c: c["parts"][1].update(measure_count=5),
        "national-2025 part 2: measure_count: the part declares 5 measures but lists 4",
    ),
    "bad date": (
        lambda c: c.update(signed_on="2025-02-30"),
        "national-2025: signed_on: Input should be a valid date",
    ),
    "unknown unit": (
        lambda c: measure(c, 10)["targets"][0].update(unit="fortnight"),
        "national-2025/10 target pharmacy-committee-deadline: unit: Input should be",
    ),
    "unknown field": (
        lambda c: measure(c, 1).update(titel_en="typo"),
        "national-2025/1: titel_en: unknown field",
    ),
    "deadline wording without English": (
        lambda c: measure(c, 10)["targets"][0].pop("deadline_text_en"),
        "deadline_text and deadline_text_en go together",
    ),
    "a note in one language only": (
        lambda c: measure(c, 1)["agencies"][0].update(grade_note_zh=""),
        "national-2025/1 agency nhsa: -: grade_note_zh is missing: a note is written in both "
        "languages",
    ),
    "a note citing an unknown source": (
        lambda c: measure(c, 1)["agencies"][0].update(
            grade_note_zh="见{s999}。", grade_note_en="Reported in {s999}."
        ),
        "national-2025/1 agency nhsa: grade_note_zh: cites an unknown source {s999}",
    ),
    "ASCII punctuation in Chinese text": (
        lambda c: measure(c, 2).update(summary_zh="开放医保数据,服务研发(试点)。"),
        "national-2025/2: summary_zh: ASCII punctuation in Chinese text: '数据,服务', '研发(试点', "
        "'试点)。'",
    ),
    "inferred without basis": (
        lambda c: measure(c, 1)["agencies"][0].update(grade_note_zh="", grade_note_en=""),
        "national-2025/1 agency nhsa: -: an inferred fact needs its basis in grade_note_zh/",
    ),
}


@pytest.mark.django_db
class TestBadInput:
    @pytest.mark.parametrize("kind", BAD_INPUTS)
    def test_it_exits_non_zero_names_the_problem_and_changes_nothing(self, data_dir, kind):
        load(data_dir)
        before = snapshot()
        change, expected = BAD_INPUTS[kind]
        # Also change a valid field, to show that no part of the set is written.
        edit_yaml(
            data_dir / NATIONAL,
            lambda c: (measure(c, 2).update(summary_en="Should not be written."), change(c)),
        )
        err = io.StringIO()
        with pytest.raises(CommandError, match="the database was not changed"):
            call_command("load_policies", data_dir=data_dir, stdout=io.StringIO(), stderr=err)
        assert expected in err.getvalue()
        assert snapshot() == before

    def test_check_names_file_record_and_field_of_ascii_punctuation_in_chinese(self, data_dir):
        def punctuate(c: dict) -> None:
            # Allowed: a URL, a decimal, a code in Chinese brackets, Latin text with ASCII.
            measure(c, 3).update(
                summary_zh="见 https://example.org/a,b(c) 与医保发〔2025〕16号，"
                "增幅1.5%，CAR-T (v2)。"
            )
            measure(c, 4).update(title_zh="“双通道”药店:首批")

        edit_yaml(data_dir / NATIONAL, punctuate)
        err = io.StringIO()
        with pytest.raises(CommandError):
            call_command(
                "load_policies", "--check", data_dir=data_dir, stdout=io.StringIO(), stderr=err
            )
        assert err.getvalue().splitlines() == [
            "data/documents/national-2025.yaml: national-2025/4: title_zh: ASCII punctuation in "
            "Chinese text: '药店:首批'"
        ]

    def test_malformed_yaml_is_reported_with_its_line(self, data_dir):
        path = data_dir / NATIONAL
        path.write_text(path.read_text(encoding="utf-8") + "\n  bad: [unclosed\n", "utf-8")
        with pytest.raises(CommandError):
            _, err = load(data_dir)
        err = io.StringIO()
        with pytest.raises(CommandError):
            call_command("load_policies", data_dir=data_dir, stdout=io.StringIO(), stderr=err)
        assert "documents/national-2025.yaml: line " in err.getvalue()
        assert "malformed YAML" in err.getvalue()
        assert not Document.objects.exists()

    def test_every_problem_is_reported_not_just_the_first(self, data_dir):
        def two_problems(c: dict) -> None:
            measure(c, 3)["agencies"][0].update(agency="nobody")
            c["parts"][0].update(measure_count=9)

        edit_yaml(data_dir / NATIONAL, two_problems)
        err = io.StringIO()
        with pytest.raises(CommandError, match="2 problem"):
            call_command("load_policies", data_dir=data_dir, stdout=io.StringIO(), stderr=err)
        assert len(err.getvalue().strip().splitlines()) == 2

    def test_a_missing_file_is_reported(self, data_dir):
        (data_dir / "agencies.yaml").unlink()
        err = io.StringIO()
        with pytest.raises(CommandError):
            call_command("load_policies", data_dir=data_dir, stdout=io.StringIO(), stderr=err)
        assert "data/agencies.yaml: -: -: file is missing" in err.getvalue()

    def test_an_impossible_unquoted_date_names_file_field_and_value(self, data_dir):
        # YAML reads an unquoted 2025-02-30 as a timestamp; the loader once raised a bare
        # ValueError from inside PyYAML, naming neither the file nor the field.
        load(data_dir)
        before = snapshot()
        national = data_dir / NATIONAL
        text = national.read_text(encoding="utf-8")
        national.write_text(text.replace("signed_on: 2025-06-30", "signed_on: 2025-02-30"), "utf-8")
        beijing = data_dir / "documents/beijing-2025.yaml"
        text = beijing.read_text(encoding="utf-8")
        assert "observed_on: 2025-04-18" in text
        assert "deadline: 2025-12-31" in text
        text = text.replace("observed_on: 2025-04-18", "observed_on: 0000-01-01", 1)
        text = text.replace("deadline: 2025-12-31", "deadline: 2025-12-31 25:00", 1)
        beijing.write_text(text, "utf-8")
        err = io.StringIO()
        with pytest.raises(CommandError, match=r"3 problem.*the database was not changed"):
            call_command("load_policies", data_dir=data_dir, stdout=io.StringIO(), stderr=err)
        lines = err.getvalue().splitlines()
        assert sorted(line.split(" (got ")[0].rsplit(": ", 1)[0] for line in lines) == [
            "data/documents/beijing-2025.yaml: beijing-2025/6 target cta-review observations[0]: "
            "observed_on",
            "data/documents/beijing-2025.yaml: beijing-2025/9 target innovative-products-approved: "
            "deadline",
            "data/documents/national-2025.yaml: national-2025: signed_on",
        ]
        got = sorted(line.split(" (got ")[1] for line in lines)
        assert got == ["'0000-01-01')", "'2025-02-30')", "'2025-12-31 25:00')"]
        assert "Traceback" not in err.getvalue()
        assert snapshot() == before

    def test_the_command_exits_non_zero_from_the_shell(self, data_dir):
        import subprocess
        import sys

        edit_yaml(data_dir / NATIONAL, lambda c: c.update(measure_count=17))
        result = subprocess.run(
            [sys.executable, "manage.py", "load_policies", "--check", "--data-dir", data_dir],
            capture_output=True,
            text=True,
            cwd=PROJECT,
        )
        assert result.returncode == 1
        assert "national-2025: measure_count: the document declares 17 measures" in result.stderr


@pytest.mark.django_db
class TestGradesAndObservations:
    def test_a_measure_of_unknown_content_is_kept_with_nothing_invented(self, data_dir):
        add_second_edition(data_dir)

        def unknown(c: dict) -> None:
            c["parts"][0]["measures"][1] = {
                "number": 2,
                "grade": "unknown",
                "placement_grade": "inferred",
                "placement_note_zh": "由部分的条数推出",
                "placement_note_en": "follows from the part count",
                "grade_note_zh": "无法重建",
                "grade_note_en": "not reconstructed",
            }

        edit_yaml(data_dir / "documents/test-2030.yaml", unknown)
        load(data_dir)
        item = Measure.objects.by_public_id("test-2030/2")
        assert item.is_unknown
        assert (item.title_zh, item.summary_zh, item.summary_en) == ("", "", "")
        assert item.placement_grade == "inferred"

    def test_an_unknown_measure_cannot_carry_a_summary(self, data_dir):
        edit_yaml(
            data_dir / NATIONAL,
            lambda c: measure(c, 4).update(
                grade="unknown", grade_note_zh="已佚", grade_note_en="lost"
            ),
        )
        err = io.StringIO()
        with pytest.raises(CommandError):
            call_command("load_policies", data_dir=data_dir, stdout=io.StringIO(), stderr=err)
        assert "national-2025/4: -: a measure of unknown content has no summary" in err.getvalue()

    def test_a_fact_cannot_be_graded_above_its_source(self, data_dir):
        edit_yaml(
            data_dir / NATIONAL,
            lambda c: measure(c, 6).update(source="chinadaily-2025-07-02", grade="official"),
        )
        err = io.StringIO()
        with pytest.raises(CommandError):
            call_command("load_policies", data_dir=data_dir, stdout=io.StringIO(), stderr=err)
        assert (
            "national-2025/6: grade: graded official but its source 'chinadaily-2025-07-02' "
            "is a secondary report" in err.getvalue()
        )

    def test_observations_are_loaded_and_kept_in_step_with_the_file(self, data_dir):
        # Dated within the target's period and no later than their source was published.
        def observe(c: dict) -> None:
            measure(c, 10)["targets"][0]["observations"] = [
                {
                    "observed_on": "2025-07-01",
                    "value": 2,
                    "source": "chinadaily-2025-07-02",
                    "grade": "secondary",
                    "note_zh": "报道的平均值",
                    "note_en": "reported average",
                },
                {
                    "observed_on": "2025-07-02",
                    "value": 1.5,
                    "source": "chinadaily-2025-07-02",
                    "grade": "secondary",
                },
            ]

        edit_yaml(data_dir / NATIONAL, observe)
        load(data_dir)
        target = Target.objects.get(measure__number=10)
        assert [(str(o.observed_on), o.value, o.origin) for o in target.observations.all()] == [
            ("2025-07-02", Decimal("1.50"), "reference"),
            ("2025-07-01", Decimal("2.00"), "reference"),
        ]
        assert (
            target.observations.first().link
            == "http://www.chinadaily.com.cn/a/202507/02/WS6864877ea31000e9a5739a98.html"
        )
        assert "0 created, 0 updated" in load(data_dir)[0]

        editor = Observation.objects.create(
            target=target,
            value=1,
            observed_on="2026-09-30",
            grade="secondary",
            source_url="https://example.org/editor",
        )
        edit_yaml(data_dir / NATIONAL, lambda c: measure(c, 10)["targets"][0]["observations"].pop())
        out, _ = load(data_dir)
        assert "observations: 1 deleted" in out
        assert set(target.observations.values_list("observed_on", flat=True)) == {
            date(2025, 7, 1),
            date(2026, 9, 30),
        }
        assert Observation.objects.get(pk=editor.pk).origin == "editor"

    def test_a_target_whose_only_observations_came_from_the_file_can_be_removed(self, data_dir):
        def observe(c: dict) -> None:
            measure(c, 12)["targets"][0]["observations"] = [
                {
                    "observed_on": "2025-07-01",
                    "value": 3,
                    "source": "chinadaily-2025-07-02",
                    "grade": "secondary",
                },
            ]

        edit_yaml(data_dir / NATIONAL, observe)
        load(data_dir)
        edit_yaml(data_dir / NATIONAL, lambda c: measure(c, 12).update(targets=[]))
        out, _ = load(data_dir)
        assert "targets: 1 deleted" in out
        assert not Observation.objects.filter(target__measure__document__slug="national-2025")


@pytest.mark.django_db
class TestProgressAfterALoad:
    def test_a_fresh_load_computes_progress_without_waiting_for_the_nightly_job(self):
        out, _ = load()
        assert "Progress recomputed for" in out
        observed = Target.objects.filter(observations__isnull=False).distinct()
        assert observed.exists()
        assert not observed.filter(progress_computed_at__isnull=True).exists()
        # beijing-2024/7: the end-2024 deadline passed without a report.
        devices = Target.objects.get(measure__document__slug="beijing-2024", measure__number=7)
        assert devices.status == "overdue"
        # A second load writes nothing, so it recomputes nothing.
        assert "Progress recomputed" not in load()[0]

    def test_changed_observations_and_goal_are_recomputed_in_the_same_run(self, data_dir):
        load(data_dir)
        target = Target.objects.get(measure__document__slug="national-2025", measure__number=10)
        assert target.status == "no_data"

        def observe(c: dict) -> None:
            measure(c, 10)["targets"][0]["observations"] = [
                {
                    "observed_on": "2025-07-01",
                    "value": 2,
                    "source": "chinadaily-2025-07-02",
                    "grade": "secondary",
                },
            ]

        edit_yaml(data_dir / NATIONAL, observe)
        out, _ = load(data_dir)
        assert "Progress recomputed for 1 target(s) whose data changed: 1 changed." in out
        target.refresh_from_db()
        # A rule, within 3 months: the one case took 2.
        assert (target.status, target.latest_value) == ("achieved", Decimal(2))
        # The goal changes (within 1 month): recomputed too.
        edit_yaml(data_dir / NATIONAL, lambda c: measure(c, 10)["targets"][0].update(goal_value=1))
        load(data_dir)
        target.refresh_from_db()
        assert target.status == "behind"
        # The observation goes: back to no data in the same run.
        edit_yaml(
            data_dir / NATIONAL, lambda c: measure(c, 10)["targets"][0].update(observations=[])
        )
        load(data_dir)
        target.refresh_from_db()
        assert (target.status, target.latest_value) == ("no_data", None)


def link_to(content: dict, number: int, national: str) -> dict:
    return next(link for link in measure(content, number)["links"] if link["measure"] == national)


@pytest.mark.django_db
class TestRelationsRespectTime:
    """A measure cannot implement (or go beyond) a text that did not exist yet."""

    def test_a_relation_that_runs_backwards_in_time_is_refused(self, data_dir):
        load(data_dir)
        before = snapshot()
        # Beijing 2025 took effect on 2025-04-07, the national measures date from 2025-07-01.
        edit_yaml(
            data_dir / "documents/beijing-2025.yaml",
            lambda c: link_to(c, 18, "national-2025/10").update(relation="implements"),
        )
        err = io.StringIO()
        with pytest.raises(CommandError, match="the database was not changed"):
            call_command("load_policies", data_dir=data_dir, stdout=io.StringIO(), stderr=err)
        [line] = err.getvalue().strip().splitlines()
        assert line.startswith(
            "data/documents/beijing-2025.yaml: beijing-2025/18 link national-2025/10: relation: "
        )
        assert "'implements' runs backwards in time" in line
        assert "beijing-2025 (2025-04-07)" in line
        assert "national-2025 (2025-07-01)" in line
        assert snapshot() == before

    def test_anticipates_needs_the_local_text_to_come_first(self, data_dir):
        edit_yaml(
            data_dir / NATIONAL,
            lambda c: c.update(published_on=date(2024, 1, 1), signed_on=date(2024, 1, 1)),
        )
        err = io.StringIO()
        with pytest.raises(CommandError):
            call_command("load_policies", data_dir=data_dir, stdout=io.StringIO(), stderr=err)
        assert "beijing-2025/18 link national-2025/10: relation: 'anticipates' says" in (
            err.getvalue()
        )

    def test_a_relation_between_undated_documents_cannot_be_checked_and_stands(self, data_dir):
        add_second_edition(data_dir)  # test-2031/1 implements national-2025/10; no dates
        load(data_dir)
        assert MeasureLink.objects.filter(relation="implements").count() == 1


@pytest.mark.django_db
class TestTargetLineage:
    def test_continues_loads_a_curated_target_link_with_its_provenance(self):
        load()
        [link] = TargetLink.objects.select_related("older__measure", "newer__measure", "source")
        assert (link.older.measure.public_id, link.older.key) == (
            "beijing-2024/7",
            "innovative-devices",
        )
        assert link.newer.measure.public_id == "beijing-2025/9"
        assert (link.relation, link.status, link.grade, link.source.key) == (
            "continues",
            "curated",
            "secondary",
            "s9",
        )
        assert link.note_zh
        assert link.note_en
        assert "0 created, 0 updated" in load()[0]

    def test_an_unknown_or_later_target_is_refused(self, data_dir):
        def continues(target: str):
            def change(content: dict) -> None:
                measure(content, 9)["targets"][0]["continues"]["target"] = target

            return change

        edit_yaml(data_dir / "documents/beijing-2025.yaml", continues("beijing-2024/7#nothing"))
        err = io.StringIO()
        with pytest.raises(CommandError):
            call_command("load_policies", data_dir=data_dir, stdout=io.StringIO(), stderr=err)
        assert (
            "beijing-2025/9 target innovative-products-approved: continues.target: "
            "unknown target 'beijing-2024/7#nothing'"
        ) in err.getvalue()

    def test_a_removed_continues_deletes_the_link(self, data_dir):
        load(data_dir)
        edit_yaml(
            data_dir / "documents/beijing-2025.yaml",
            lambda c: measure(c, 9)["targets"][0].pop("continues"),
        )
        out, _ = load(data_dir)
        assert "target links: 1 deleted" in out
        assert not TargetLink.objects.exists()


def observe(number: int, **observation: Any) -> Callable:
    def change(content: dict) -> None:
        target = measure(content, number)["targets"][0]
        target.setdefault("observations", []).append({"grade": "secondary", **observation})

    return change


# A bad observation → the problem line naming the file, the target, the date and the dates it
# conflicts with. national-2025 takes effect when published (2025-07-01); beijing-2024 stopped
# being in force when beijing-2025 took effect (2025-04-07).
BAD_OBSERVATIONS = {
    "before the target's start": (
        NATIONAL,
        observe(10, observed_on="2025-06-01", value=2, source="chinadaily-2025-07-02"),
        "documents/national-2025.yaml: national-2025/10 target pharmacy-committee-deadline "
        "observation 2025-06-01: observed_on: 2025-06-01 is before the target's start, "
        "2025-07-01 (the day national-2025 took effect)",
    ),
    "after its source was published": (
        NATIONAL,
        observe(10, observed_on="2025-08-01", value=2, source="chinadaily-2025-07-02"),
        "documents/national-2025.yaml: national-2025/10 target pharmacy-committee-deadline "
        "observation 2025-08-01: observed_on: 2025-08-01 is after its source "
        "'chinadaily-2025-07-02' was published, 2025-07-02",
    ),
    "after its document was superseded": (
        "documents/beijing-2024.yaml",
        observe(1, observed_on="2025-05-01", value=24, source="s41"),
        "documents/beijing-2024.yaml: beijing-2024/1 target startup-weeks observation "
        "2025-05-01: observed_on: 2025-05-01 is not before 2025-04-07, when beijing-2024 "
        "stopped being in force (when beijing-2025 took effect and superseded it)",
    ),
    "a 2025 count under a 2024 target, as the files once had it": (
        "documents/beijing-2024.yaml",
        observe(6, observed_on="2025-10-16", value=324, source="s41"),
        "documents/beijing-2024.yaml: beijing-2024/6 target key-project-products observation "
        "2025-10-16: observed_on: 2025-10-16 is not before 2025-04-07, when beijing-2024 "
        "stopped being in force",
    ),
    "on the day it was superseded": (
        "documents/beijing-2024.yaml",
        observe(1, observed_on="2025-04-07", value=24, source="s41"),
        "beijing-2024/1 target startup-weeks observation 2025-04-07: observed_on: 2025-04-07 "
        "is not before 2025-04-07",
    ),
    "after its document's stated end": (
        NATIONAL,
        lambda c: (
            c.update(ended_on="2025-09-01", end_reason="repealed"),
            observe(10, observed_on="2025-09-30", value=2, source="s15")(c),
        ),
        "national-2025/10 target pharmacy-committee-deadline observation 2025-09-30: "
        "observed_on: 2025-09-30 is not before 2025-09-01, when national-2025 stopped being "
        "in force (its stated end (repealed))",
    ),
}


@pytest.mark.django_db
class TestObservationDates:
    @pytest.mark.parametrize("kind", BAD_OBSERVATIONS)
    def test_a_badly_dated_observation_is_named_and_nothing_is_written(self, data_dir, kind):
        load(data_dir)
        before = snapshot()
        file, change, expected = BAD_OBSERVATIONS[kind]
        edit_yaml(data_dir / file, change)
        for check in (True, False):
            err = io.StringIO()
            with pytest.raises(CommandError, match="1 problem"):
                call_command(
                    "load_policies",
                    data_dir=data_dir,
                    check=check,
                    stdout=io.StringIO(),
                    stderr=err,
                )
            assert expected in err.getvalue()
        assert snapshot() == before

    def test_the_baseline_and_values_within_the_period_are_accepted(self, data_dir):

        def within(content: dict) -> None:
            target = measure(content, 12)["targets"][0]
            target.update(baseline_date="2025-01-01", baseline_value=6)
            target["observations"] = [
                # The baseline itself, before the document took effect.
                {"observed_on": "2025-01-01", "value": 6, "source": "s15", "grade": "secondary"},
                # The day its source was published.
                {"observed_on": "2025-10-17", "value": 3, "source": "s15", "grade": "secondary"},
            ]

        edit_yaml(data_dir / NATIONAL, within)
        load(data_dir)
        target = Target.objects.get(measure__document__slug="national-2025", measure__number=12)
        assert target.observations.count() == 2
