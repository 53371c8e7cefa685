"""Issue 19, comparisons a reader can follow: the earlier edition or the higher level on the
left, the documents named by their short names (never "A" and "B"), the relations between
levels filled, a word diff only between official texts (our summaries side by side otherwise),
and a picker that starts with two different documents."""

import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.datafiles import IMPORTER_FIXTURES

pytestmark = pytest.mark.django_db

EDITIONS = "/compare/beijing-2024/beijing-2025/"
LEVELS = "/compare/national-2025/beijing-2025/"


def rows(page: str, table: str) -> list[list[str]]:
    """The cells of each body row of the table of that class, as text without tags."""
    body = page.split(f'<table class="{table}">')[1].split("</table>")[0].split("<tbody>")[1]
    return [
        [
            re.sub(r"<[^>]+>|\s+", " ", cell).strip()
            for cell in re.findall(r"<td.*?</td>", row, re.S)
        ]
        for row in re.findall(r"<tr.*?</tr>", body, re.S)
    ]


def headers(page: str, table: str) -> list[str]:
    head = page.split(f'<table class="{table}">')[1].split("</thead>")[0]
    return re.findall(r'<th scope="col">(.*?)</th>', head)


def english(client) -> None:
    client.post(reverse("set_language"), {"language": "en", "next": "/"})


class TestOrder:
    def test_the_earlier_edition_is_on_the_left_of_the_part_table(self, client, reference_data):
        page = client.get(EDITIONS).content.decode()
        assert headers(page, "part-table")[0] == "北京2024年版"
        assert headers(page, "part-table")[2] == "北京2025年版"
        first = rows(page, "part-table")[0]
        assert first[0] == "1. 着力提升创新医药临床研究质效"  # the 2024 part
        assert first[2] == "1. 持续促进临床试验提质增效"  # the 2025 part it became

    def test_the_earlier_side_of_each_measure_pair_comes_first(self, client, reference_data):
        page = client.get(EDITIONS).content.decode()
        pair = page.split('data-measure="beijing-2025/1"')[1].split("</article>")[0]
        assert pair.index('class="side older"') < pair.index('class="side newer"')
        assert pair.index("北京2024年版") < pair.index("北京2025年版")

    def test_the_higher_level_goes_left_whatever_order_the_url_gives(self, client, reference_data):
        response = client.get("/compare/beijing-2025/national-2025/")
        assert response.status_code == 302
        assert response["Location"] == LEVELS
        page = client.get(LEVELS).content.decode()
        assert headers(page, "part-table")[0] == "国家2025年措施"
        assert headers(page, "by-older") == ["国家2025年措施", "北京2025年版"]


class TestNames:
    def test_the_two_sides_are_named_by_their_short_names(self, client, reference_data):
        page = client.get(EDITIONS).content.decode()
        validity = page.split('<p class="validity-line">')[1].split("</p>")[0]
        assert validity.startswith("北京2024年版: ")
        assert "· 北京2025年版: " in validity
        assert "<code>" not in validity
        assert "北京2025年版的措施（按关系）" in page

    def test_no_a_or_b_in_english_either(self, client, reference_data):
        english(client)
        page = client.get(LEVELS).content.decode()
        text = re.sub(r"<[^>]+>", " ", page.split('<main id="content">')[1])
        assert not re.search(r"\b(of|in) [AB]\b|\b[AB]:", text)
        assert "Measures of Beijing 2025 by relation" in text
        assert "Measures of National 2025 with no counterpart" in text
        assert "only in National 2025" in text


class TestLevels:
    def test_each_part_says_how_its_measures_relate_to_the_national_ones(
        self, client, reference_data
    ):
        page = client.get(LEVELS).content.decode()
        relations = [row[4] for row in rows(page, "part-table")]
        assert len(relations) == 8
        assert all(relations), relations  # no empty relation cell
        # Part 四 of Beijing 2025: four measures came before national ones, one corresponds.
        fourth = rows(page, "part-table")[3]
        assert fourth[0].startswith("1. 加大创新药研发支持力度")  # the national parts they answer
        assert fourth[2] == "4. 持续推动创新医药临床使用"
        assert re.sub(r"\s+", " ", fourth[4]) == "先行 4 对应 1"


class TestTexts:
    def test_our_summaries_are_shown_side_by_side_not_diffed(self, client, reference_data):
        page = client.get(EDITIONS).content.decode()
        assert 'class="diff' not in page
        pair = page.split('data-measure="beijing-2025/1"')[1].split("</article>")[0]
        older, newer = pair.split('class="side newer"')
        assert "本站摘要" in older
        assert "力争试验启动总用时不超过28周" in older
        assert "本站摘要" in newer
        assert "总体时间控制在20周内" in newer
        assert 'data-metric="trial_startup_weeks"' in pair  # the change that matters

    def test_in_english_too(self, client, reference_data):
        english(client)
        page = client.get(EDITIONS).content.decode()
        assert "Our summary" in page
        assert 'class="diff-text"' not in page

    def test_imported_official_texts_are_diffed_word_by_word(
        self, client, reference_data, tmp_path: Path
    ):
        official = IMPORTER_FIXTURES / "national_2025_repost.txt"
        quiet = {"stdout": io.StringIO(), "stderr": io.StringIO()}
        call_command("import_document", str(official), document="national-2025", **quiet)
        # A later notice (another 文号) that shortens the time limit of measure (十) to 1 month.
        changed = tmp_path / "changed.txt"
        text = official.read_text(encoding="utf-8")
        assert "更新公布后3个月内召开药事会" in text
        text = text.replace("更新公布后3个月内", "更新公布后1个月内")
        changed.write_text(text.replace("医保发〔2025〕16号", "医保发〔2026〕3号"), "utf-8")
        call_command(
            "import_document", str(changed), slug="national-draft", jurisdiction="national", **quiet
        )
        page = client.get("/compare/national-2025/national-draft/").content.decode()
        pair = page.split('data-measure="national-draft/10"')[1].split("</article>")[0]
        diff = pair.split('<details class="diff">')[1].split("</details>")[0]
        assert "<del>3</del>" in diff
        assert "<ins>1</ins>" in diff
        assert "本站摘要" not in pair
        # Two unchanged official texts: no diff to show, not an empty box.
        same = page.split('data-measure="national-draft/1"')[1].split("</article>")[0]
        assert "<details" not in same


class TestPicker:
    def test_it_starts_with_the_latest_edition_and_the_one_before(self, client, reference_data):
        page = client.get("/compare/").content.decode()
        assert re.search(r'<select name="a".*?value="beijing-2024" selected', page, re.S)
        b = page.split('<select name="b"')[1].split("</select>")[0]
        assert re.search(r'value="beijing-2025" selected', b)
        # Submitting it as it stands compares them.
        response = client.get("/compare/", {"a": "beijing-2024", "b": "beijing-2025"})
        assert response["Location"] == EDITIONS

    def test_a_preset_document_gets_a_different_partner(self, client, reference_data):
        page = client.get("/compare/", {"a": "beijing-2025"}).content.decode()
        a = page.split('<select name="a"')[1].split("</select>")[0]
        b = page.split('<select name="b"')[1].split("</select>")[0]
        assert 'value="beijing-2025" selected' in a
        assert 'value="beijing-2024" selected' in b

    def test_the_same_document_twice_is_a_form_error(self, client, reference_data):
        response = client.get("/compare/", {"a": "beijing-2025", "b": "beijing-2025"})
        assert response.status_code == 400
        page = response.content.decode()
        assert '<span class="error" role="alert">请选择两份不同的文件。</span>' in page
        assert '<form class="compare-picker"' in page


def test_the_api_names_the_sides_and_counts_relations_between_levels(client, reference_data):
    data = client.get("/api/v1/compare/", {"a": "beijing-2025", "b": "national-2025"}).json()
    assert (data["a"]["slug"], data["b"]["slug"]) == ("national-2025", "beijing-2025")
    assert data["a"]["short_name_zh"] == "国家2025年措施"
    assert data["b"]["short_name_en"] == "Beijing 2025"
    assert all(part["measure_relations"] for part in data["parts"])
    editions = client.get("/api/v1/compare/", {"a": "beijing-2024", "b": "beijing-2025"}).json()
    row = editions["parts"][0]["measures"][0]
    assert row["changes"]["text"] == []
    assert row["changes"]["text_en"] == []
    assert row["newer"]["summary_zh"]
    assert row["newer"]["official"] is False
