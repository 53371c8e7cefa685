"""Every count on the home page and the documents pages links to a list of exactly that many
rows: a reader who clicks "暂无数据 24" sees 24 targets, "16 条措施" 16 measures."""

import html
import re

import pytest

pytestmark = pytest.mark.django_db

# A count and its link, as each page prints them.
HOME_COUNTS = [
    # a document's measures: <a href="…">16 条措施</a>
    r'<a href="(?P<url>/measures/\?document=[^"]+)">(?P<count>\d+) ',
    # a document's measures of one grade: <a class="grade …" href="…">官方 12</a>
    r'<a class="grade [^"]+" href="(?P<url>[^"]+)">[^<]* (?P<count>\d+)</a>',
    # targets by status: <a href="…"><span …>暂无数据</span></a> <span class="count">24</span>
    r'<a href="(?P<url>[^"]+)"><span class="status [^"]+">[^<]*</span></a> '
    r'<span class="count">(?P<count>\d+)</span>',
    # a topic's measures: <a class="tag" href="…">name <span class="count">7</span></a>
    r'<a class="tag" href="(?P<url>[^"]+)">[^<]*<span class="count">(?P<count>\d+)</span>',
]
DOCUMENT_LIST_COUNTS = [
    r'<td[^>]*><a href="(?P<url>/measures/\?document=[^"]+)">(?P<count>\d+)</a>'
]
DOCUMENT_COUNTS = [
    r'<a class="grade [^"]+" href="(?P<url>[^"]+)">[^<]* (?P<count>\d+)</a>',
    r'<a class="meta" href="(?P<url>/measures/\?[^"]+)">(?P<count>\d+)</a></h2>',
]
# A row of the measure list, and of the progress page's targets.
ROWS = {"/measures/": r'<td class="id"><a href=', "/progress/": r'<tr id="target-\d+">'}


def rows_behind(client, url: str) -> int:
    """How many rows the list at `url` shows, over all its pages."""
    pattern = next(row for path, row in ROWS.items() if url.startswith(path))
    total = 0
    for number in range(1, 100):
        response = client.get(f"{url}&page={number}")
        if response.status_code != 200:
            break
        rows = len(re.findall(pattern, response.content.decode()))
        total += rows
        if rows < 50:
            break
    return total


def count_links(page: str, patterns: list[str]) -> list[tuple[str, int]]:
    links = []
    for pattern in patterns:
        found = [
            (html.unescape(match["url"]), int(match["count"]))
            for match in re.finditer(pattern, page)
        ]
        assert found, pattern  # each kind of count is on the page
        links += found
    return links


def assert_each_count_leads_to_as_many_rows(client, page: str, patterns: list[str]) -> None:
    wrong = {
        url: (count, rows)
        for url, count in count_links(page, patterns)
        if (rows := rows_behind(client, url)) != count
    }
    assert not wrong, wrong  # url: (count shown, rows listed)


def test_each_count_on_the_home_page_lists_that_many_rows(client, reference_data):
    page = client.get("/").content.decode()
    assert 'href="/progress/?status=no_data"' in page  # targets are listed as targets
    assert_each_count_leads_to_as_many_rows(client, page, HOME_COUNTS)


def test_each_count_on_the_documents_index_lists_that_many_rows(client, reference_data):
    page = client.get("/documents/").content.decode()
    assert_each_count_leads_to_as_many_rows(client, page, DOCUMENT_LIST_COUNTS)


@pytest.mark.parametrize("slug", ["national-2025", "beijing-2024", "beijing-2025"])
def test_each_count_on_a_document_page_lists_that_many_rows(client, reference_data, slug):
    page = client.get(f"/documents/{slug}/").content.decode()
    assert_each_count_leads_to_as_many_rows(client, page, DOCUMENT_COUNTS)
