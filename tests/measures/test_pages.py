"""The pages a visitor sees: the home page lists the documents with their measures."""

import datetime
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from measures import models as m
from progress.refresh import refresh_progress
from tests.factories import DocumentFactory, JurisdictionFactory, SectionFactory, TargetFactory


def many(count: int) -> None:
    """`count` documents of one measure each (in one part), one agency responsible for all of
    them, and `count` targets of the first falling due one a day from tomorrow: a few bulk
    inserts, whatever the count."""
    jurisdiction = JurisdictionFactory(code="bulk")
    m.Document.objects.bulk_create(
        DocumentFactory.build(slug=f"bulk-{n:04}", jurisdiction=jurisdiction) for n in range(count)
    )
    documents = list(m.Document.objects.filter(slug__startswith="bulk-").order_by("slug"))
    m.Section.objects.bulk_create(SectionFactory.build(document=d, ordinal=1) for d in documents)
    sections = {section.document_id: section for section in m.Section.objects.all()}
    m.Measure.objects.bulk_create(
        m.Measure(
            document=d,
            section=sections[d.pk],
            number=1,
            title_zh="措施",
            title_en="Measure",
            summary_zh="摘要",
            summary_en="Summary",
            scope=jurisdiction,
            grade=m.Grade.OFFICIAL,
        )
        for d in documents
    )
    measures = list(m.Measure.objects.filter(document__in=documents).order_by("document__slug"))
    agency = m.Agency.objects.create(
        slug="bulk-agency", name_zh="批量局", name_en="Bulk Bureau", jurisdiction=jurisdiction
    )
    m.MeasureAgency.objects.bulk_create(
        m.MeasureAgency(measure=x, agency=agency, role="lead", grade=m.Grade.OFFICIAL)
        for x in measures
    )
    today = timezone.localdate()
    m.Target.objects.bulk_create(
        TargetFactory.build(
            measure=measures[0], key=f"t{n}", deadline=today + datetime.timedelta(days=1 + n % 80)
        )
        for n in range(count)
    )


def queries_for(client, url: str) -> tuple[int, str]:
    """The queries `url` costs with nothing kept in the cache, and its page."""
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def cost_at_sizes(client, url: str, sizes: tuple[int, ...] = (3, 130)) -> list[str]:
    """The pages of `url` for corpora of each size; asserts they cost the same queries."""
    counts, pages = [], []
    for size in sizes:
        m.Target.objects.all().delete()
        m.MeasureAgency.objects.all().delete()
        m.Document.objects.all().delete()
        m.Agency.objects.all().delete()
        many(size)
        count, page = queries_for(client, url)
        counts.append(count)
        pages.append(page)
    assert counts[0] == counts[-1], counts
    assert counts[-1] <= 12
    return pages


@pytest.mark.django_db
class TestHomePage:
    def test_it_lists_the_documents_and_leads_to_their_measures(
        self, client, reference_data, django_assert_max_num_queries
    ):
        with django_assert_max_num_queries(8):
            response = client.get("/")
        assert response.status_code == 200
        page = response.content.decode()
        assert "支持创新药高质量发展的若干措施" in page
        assert "医保发〔2025〕16号" in page
        assert '<a href="/measures/?document=national-2025">16 条措施</a>' in page
        listed = client.get("/measures/?document=national-2025").content.decode()
        for number in range(1, 17):
            assert f'href="/measures/national-2025/{number}/"' in listed

    def test_it_shows_targets_by_status_and_coverage(self, client, reference_data):
        page = client.get("/").content.decode()
        assert 'href="/progress/?status=achieved"' in page  # statuses count targets
        # beijing-2024 is superseded: its link lists its measures all the same
        assert 'href="/measures/?document=beijing-2024&amp;grade=unknown&amp;in_force=all"' in page
        assert 'href="/data-quality/"' in page

    def test_it_explains_how_to_load_data_when_there_is_none(self, client, db):
        response = client.get("/")
        assert "load_policies" in response.content.decode()

    def test_it_speaks_english_when_asked(self, client, reference_data):
        response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
        assert response.status_code == 302
        page = client.get("/").content.decode()
        assert "Measures to Support the High-Quality Development of Innovative Drugs" in page
        assert "16 measures" in page
        assert 'lang="en"' in page

    def test_it_shows_a_few_documents_and_deadlines_and_links_to_the_rest(self, client, db):
        many(3)
        few = client.get("/").content.decode()
        assert 'href="/documents/bulk-0002/"' in few
        assert "份政策文件 →" not in few  # nothing more to link to
        assert "此期间另有" not in few
        # Past the caps (and once there is a rest to count), the same queries at any size.
        _, lots = cost_at_sizes(client, "/", sizes=(30, 130))
        assert len(re.findall(r'<article class="card">', lots)) == 12
        assert 'href="/documents/bulk-0011/"' in lots
        assert 'href="/documents/bulk-0012/"' not in lots
        assert '<a href="/documents/">全部 130 份政策文件 →</a>' in lots
        assert len(re.findall(r'href="/measures/bulk-0000/1/#target-', lots)) == 20
        assert "此期间另有 110 项。" in lots
        assert 'href="/progress/deadlines.ics?lang=zh-hans"' in lots
        assert 'href="/progress/"' in lots

    def test_deadlines_passed_without_a_report_are_shown_beside_the_coming_ones(
        self, client, reference_data
    ):
        page = client.get("/").content.decode()
        assert "逾期未报的截止日期" in page
        # beijing-2024/7, due at the end of 2024, with nothing reported for it.
        assert (
            '<li class="overdue">2024-12-31 · <a href="/measures/beijing-2024/7/'
            '#target-innovative-devices">' in page
        )
        # Only overdue targets: each listed one shows that status.
        listed = re.findall(r'<li class="overdue">.*?</li>', page)
        assert listed
        assert all('class="status status-overdue"' in item for item in listed)

    def test_overdue_targets_cost_the_same_queries_at_any_number(self, client, db):
        def overdue(count: int) -> None:
            many(1)
            measure = m.Measure.objects.get()
            m.Target.objects.bulk_create(
                TargetFactory.build(
                    measure=measure,
                    key=f"late-{n}",
                    deadline=datetime.date(2024, 1, 1) + datetime.timedelta(days=n % 300),
                )
                for n in range(count)
            )
            refresh_progress(m.Target.objects.all())

        counts = []
        for size in (3, 60):
            m.Target.objects.all().delete()
            m.MeasureAgency.objects.all().delete()
            m.Document.objects.all().delete()
            m.Agency.objects.all().delete()
            overdue(size)
            count, page = queries_for(client, "/")
            counts.append(count)
        assert counts[0] == counts[1], counts
        dates = re.findall(r'<li class="overdue">(\d{4}-\d\d-\d\d) · ', page)
        assert len(dates) == 20
        assert dates == sorted(dates, reverse=True)  # the latest first
        assert "另有 40 项。" in page
        assert 'href="/progress/?status=overdue"' in page

    def test_deadlines_come_soonest_first(self, client, db):
        many(30)
        page = client.get("/").content.decode()
        dates = re.findall(r"<li>(\d{4}-\d\d-\d\d) · ", page)
        assert len(dates) == 20
        assert dates == sorted(dates)
        assert dates[0] == str(timezone.localdate() + datetime.timedelta(days=1))


@pytest.mark.django_db
class TestDocumentAndMeasurePages:
    def test_the_document_page_shows_its_parts_and_issuers(
        self, client, reference_data, django_assert_max_num_queries
    ):
        with django_assert_max_num_queries(6):
            response = client.get("/documents/national-2025/")
        page = response.content.decode()
        assert "一、加大创新药研发支持力度" in page
        assert "国家医疗保障局 (牵头)" in page

    def test_the_measure_page_shows_agencies_targets_and_citation(
        self, client, reference_data, django_assert_max_num_queries
    ):
        # 10, and 2 for its history: its latest changes and its targets' (measure_history).
        with django_assert_max_num_queries(12):
            response = client.get("/measures/national-2025/10/")
        page = response.content.decode()
        assert "药品目录更新公布后3个月内" in page
        assert "≤3个月" in page
        assert "《支持创新药高质量发展的若干措施》 医保发〔2025〕16号 三、(十)" in page
        assert "推断" in page  # inferred agency roles say so

    @pytest.mark.parametrize("url", ["/documents/nowhere/", "/measures/national-2025/99/"])
    def test_unknown_ids_are_not_found(self, client, db, url):
        assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_a_missing_measure_gets_a_helpful_page(client, settings):
    settings.DEBUG = False
    response = client.get("/measures/national-2025/99/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "措施地址形如 /measures/national-2025/3/" in page


@pytest.mark.django_db
class TestDocumentsAndAgencies:
    def test_the_documents_index_lists_all_three(self, client, reference_data):
        page = client.get("/documents/").content.decode()
        for slug in ("national-2025", "beijing-2024", "beijing-2025"):
            assert f'href="/documents/{slug}/"' in page
        assert "京医保发〔2024〕5号" in page

    def test_an_agency_page_lists_what_it_is_responsible_for(
        self, client, reference_data, django_assert_max_num_queries
    ):
        with django_assert_max_num_queries(8):
            response = client.get("/agencies/bj-medical-products/")
        page = response.content.decode()
        assert "北京市药品监督管理局" in page
        assert 'href="/measures/beijing-2025/6/"' in page
        assert "≤30个工作日" in page

    def test_the_agencies_index_groups_by_jurisdiction(self, client, reference_data):
        page = client.get("/agencies/").content.decode()
        assert 'href="/agencies/nhsa/"' in page
        assert 'href="/agencies/bj-healthcare-security/"' in page

    def test_an_unknown_agency_is_not_found(self, client, db):
        assert client.get("/agencies/nobody/").status_code == 404

    def test_the_documents_index_is_paged(self, client, db):
        few, lots = cost_at_sizes(client, "/documents/")
        assert "bulk-0002" in few
        assert 'rel="next"' not in few
        assert lots.count('<a href="/documents/bulk-') == 50
        assert "130 份政策文件" in lots
        assert "共 3 页" in lots
        assert 'href="?page=2" rel="next"' in lots
        last = client.get("/documents/?page=3").content.decode()
        assert last.count('<a href="/documents/bulk-') == 30
        assert 'href="/documents/bulk-0129/"' in last

    def test_an_agency_page_is_paged(self, client, db):
        few, lots = cost_at_sizes(client, "/agencies/bulk-agency/")
        assert "负责 3 条措施" in few
        assert 'rel="next"' not in few
        assert lots.count('<td class="id">') == 50
        assert "负责 130 条措施" in lots
        assert 'href="?page=2" rel="next"' in lots
        assert 'href="/measures/?agency=bulk-agency"' in lots
        assert (
            client.get("/agencies/bulk-agency/?page=3").content.decode().count('<td class="id">')
            == 30
        )

    def test_the_agencies_index_costs_the_same_whatever_the_roles(self, client, db):
        cost_at_sizes(client, "/agencies/")

    @pytest.mark.parametrize("url", ["/documents/", "/agencies/bulk-agency/"])
    @pytest.mark.parametrize(
        ("page", "status", "message"),
        [("abc", 400, "页码必须是整数"), ("99", 404, "没有第 99 页")],
    )
    def test_a_bad_page_number_is_explained(self, client, db, url, page, status, message):
        many(3)
        response = client.get(f"{url}?page={page}")
        assert response.status_code == status
        text = response.content.decode()
        assert "<code>page</code>" in text
        assert message in text
        assert f'href="{url}"' in text
