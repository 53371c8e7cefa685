"""What is in force on a day: documents, their measures, and the `as_of` view of the lists."""

import datetime

import pytest
from django.utils import timezone, translation

from measures import models as m
from measures.validity import AsOfError, Period, Validity, parse_as_of, period
from tests.factories import API, DocumentFactory, MeasureFactory

D = datetime.date


class TestPeriod:
    def test_a_day_is_judged_from_the_start_up_to_not_including_the_end(self):
        span = period(D(2024, 4, 17), successor_starts=D(2025, 4, 7))
        assert span.on(D(2024, 4, 16)) == Validity.NOT_YET_IN_FORCE
        assert span.on(D(2024, 4, 17)) == Validity.IN_FORCE
        assert span.on(D(2025, 4, 6)) == Validity.IN_FORCE
        assert span.on(D(2025, 4, 7)) == Validity.SUPERSEDED

    def test_the_earlier_of_a_stated_end_and_a_new_edition_ends_it(self):
        repealed_first = period(
            D(2020, 1, 1),
            ended_on=D(2021, 1, 1),
            end_reason="repealed",
            successor_starts=D(2022, 1, 1),
        )
        assert repealed_first == Period(D(2020, 1, 1), D(2021, 1, 1), Validity.REPEALED)
        replaced_first = period(
            D(2020, 1, 1),
            ended_on=D(2023, 1, 1),
            end_reason="expired",
            successor_starts=D(2022, 1, 1),
        )
        assert replaced_first.on(D(2022, 6, 1)) == Validity.SUPERSEDED

    def test_an_unknown_start_counts_as_always_and_no_end_as_still_in_force(self):
        assert Period().on(D(1990, 1, 1)) == Validity.IN_FORCE

    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            ("2024-13-01", "YYYY-MM-DD"),
            ("20241231", "YYYY-MM-DD"),
            ("yesterday", "YYYY-MM-DD"),
            ("2030-01-01", "after today"),
            ("0202-01-01", "before 1949-10-01"),
        ],
    )
    def test_an_as_of_that_names_no_day_we_can_show_is_refused(self, raw, message):
        # In English whatever language an earlier test left active (the message is translated).
        with translation.override("en"), pytest.raises(AsOfError, match=message):
            parse_as_of(raw, today=D(2026, 12, 7))

    def test_an_as_of_day_is_read(self):
        assert parse_as_of(" 2024-12-31 ", today=D(2026, 12, 7)) == D(2024, 12, 31)


@pytest.mark.django_db
class TestDocuments:
    def test_the_2025_edition_supersedes_the_2024_one_on_the_day_it_takes_effect(
        self, reference_data
    ):
        old = m.Document.objects.get(slug="beijing-2024")
        assert old.successor.slug == "beijing-2025"
        assert old.validity_on(D(2024, 12, 31)) == m.DocumentValidity.IN_FORCE
        assert old.validity_on(D(2025, 4, 7)) == m.DocumentValidity.SUPERSEDED
        new = m.Document.objects.get(slug="beijing-2025")
        assert new.validity_on(D(2024, 12, 31)) == m.DocumentValidity.NOT_YET_IN_FORCE
        assert new.validity_on(timezone.localdate()) == m.DocumentValidity.IN_FORCE

    def test_the_queryset_agrees_with_each_document(self, reference_data):
        days = [D(2024, 4, 16), D(2024, 12, 31), D(2025, 4, 7), D(2025, 7, 1), D(2026, 1, 1)]
        documents = list(m.Document.objects.with_successor())
        for day in days:
            in_force = set(m.Document.objects.in_force_on(day).values_list("slug", flat=True))
            assert in_force == {d.slug for d in documents if d.period.in_force_on(day)}, day

    def test_successors_lent_to_a_page_are_those_its_rows_would_be_annotated_with(
        self, reference_data, django_assert_num_queries
    ):
        latest = m.Document.objects.filter(slug__startswith="beijing-").order_by("-edition")[0]
        later = DocumentFactory(
            series=latest.series, edition=latest.edition + 1, effective_from=D(2027, 1, 1)
        )
        single = DocumentFactory(series=None, edition=None)
        expected = {
            document.pk: (
                document.successor_slug,
                document.successor_starts,
                document.successor_name_zh,
                document.successor_name_en,
            )
            for document in m.Document.objects.with_successor()
        }
        documents = list(m.Document.objects.all())
        with django_assert_num_queries(1):
            m.lend_successors(documents)
        lent = {
            document.pk: (
                document.successor_slug,
                document.successor_starts,
                document.successor_name_zh,
                document.successor_name_en,
            )
            for document in documents
        }
        assert lent == expected
        # The next edition, not the last.
        assert lent[m.Document.objects.get(slug="beijing-2024").pk][0] == "beijing-2025"
        assert lent[latest.pk][0] == later.slug
        assert lent[later.pk] == lent[single.pk] == (None, None, None, None)

    def test_a_stated_expiry_ends_a_document_and_its_measures(self):
        document = DocumentFactory(
            effective_from=D(2020, 1, 1), ended_on=D(2022, 1, 1), end_reason="expired"
        )
        measure = MeasureFactory(document=document)
        assert document.validity_on(D(2023, 1, 1)) == m.DocumentValidity.EXPIRED
        assert not m.Measure.objects.in_force(D(2023, 1, 1)).filter(pk=measure.pk).exists()
        assert m.Measure.objects.in_force(D(2021, 1, 1)).filter(pk=measure.pk).exists()
        assert m.Measure.objects.existing_on(D(2023, 1, 1)).filter(pk=measure.pk).exists()


def api_ids(client, **params) -> set[str]:
    response = client.get(f"{API}/measures/", {"page_size": 100, **params})
    assert response.status_code == 200, response.content[:300]
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.django_db
class TestAsOf:
    def test_today_lists_the_2025_edition_and_the_national_measures_only(
        self, client, reference_data
    ):
        found = api_ids(client)
        assert len(found) == 48
        assert not any(public_id.startswith("beijing-2024/") for public_id in found)

    def test_at_the_end_of_2024_only_the_2024_edition_was_in_force(self, client, reference_data):
        found = api_ids(client, as_of="2024-12-31")
        assert found == {f"beijing-2024/{number}" for number in range(1, 33)}

    def test_all_adds_what_was_superseded_but_never_what_was_not_issued_yet(
        self, client, reference_data
    ):
        assert len(api_ids(client, in_force="all")) == 80
        found = api_ids(client, as_of="2024-12-31", in_force="all")
        assert all(public_id.startswith("beijing-2024/") for public_id in found)

    @pytest.mark.parametrize("raw", ["2024-02-30", "2999-01-01", "31/12/2024"])
    def test_a_bad_as_of_is_a_400_naming_the_field(self, client, reference_data, raw):
        response = client.get(f"{API}/measures/", {"as_of": raw})
        assert response.status_code == 400
        assert "as_of" in response.json()

    def test_a_bad_validity_switch_is_a_400_naming_the_field(self, client, reference_data):
        response = client.get(f"{API}/measures/", {"in_force": "sometimes"})
        assert response.status_code == 400
        assert "in_force" in response.json()

    def test_documents_say_whether_they_are_in_force_and_what_replaced_them(
        self, client, reference_data
    ):
        rows = {row["slug"]: row for row in client.get(f"{API}/documents/").json()["results"]}
        assert (rows["beijing-2024"]["status"], rows["beijing-2024"]["superseded_by"]) == (
            "superseded",
            "beijing-2025",
        )
        assert (rows["beijing-2025"]["status"], rows["beijing-2025"]["superseded_by"]) == (
            "in_force",
            None,
        )

    def test_the_measures_page_takes_the_same_day(self, client, reference_data):
        page = client.get("/measures/", {"as_of": "2024-12-31"}).content.decode()
        assert ">beijing-2024/1<" in page
        assert ">beijing-2025/1<" not in page
        assert ">national-2025/1<" not in page

    def test_the_measures_page_explains_a_bad_day(self, client, reference_data):
        response = client.get("/measures/", {"as_of": "2999-01-01"})
        assert response.status_code == 400
        assert "日期不能晚于今天" in response.content.decode()  # the message is translated
        client.cookies["django_language"] = "en"
        response = client.get("/measures/", {"as_of": "2999-01-01"})
        assert response.status_code == 400
        assert "after today" in response.content.decode()


@pytest.mark.django_db
class TestStatusesOnThePastDay:
    """The measures page judges each target as of the day shown, not by today's status."""

    def test_a_2024_target_is_not_yet_overdue_on_its_deadline_but_is_the_day_after(
        self, client, reference_data
    ):
        on_deadline = client.get("/measures/", {"as_of": "2024-12-31", "status": "overdue"})
        assert ">beijing-2024/7<" not in on_deadline.content.decode()
        day_after = client.get("/measures/", {"as_of": "2025-01-01", "status": "overdue"})
        assert ">beijing-2024/7<" in day_after.content.decode()

    def test_rows_and_the_status_facet_show_the_days_statuses(self, client, reference_data):
        page = client.get("/measures/", {"as_of": "2024-12-31"}).content.decode()
        assert "status-overdue" not in page  # today, six 2024 targets are overdue
        assert 'data-facet="status" data-value="overdue"' not in page
