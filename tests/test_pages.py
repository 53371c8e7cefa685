"""The pages a visitor sees: the home page lists the documents with their measures."""

import pytest
from django.urls import reverse


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
        assert 'href="/measures/?status=achieved"' in page
        assert 'href="/measures/?document=beijing-2024&amp;grade=unknown"' in page
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
        with django_assert_max_num_queries(10):
            response = client.get("/measures/national-2025/10/")
        page = response.content.decode()
        assert "药品目录更新公布后3个月内" in page
        assert "≤ 3 个月" in page
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
        assert "≤ 30 个工作日" in page

    def test_the_agencies_index_groups_by_jurisdiction(self, client, reference_data):
        page = client.get("/agencies/").content.decode()
        assert 'href="/agencies/nhsa/"' in page
        assert 'href="/agencies/bj-healthcare-security/"' in page

    def test_an_unknown_agency_is_not_found(self, client, db):
        assert client.get("/agencies/nobody/").status_code == 404
