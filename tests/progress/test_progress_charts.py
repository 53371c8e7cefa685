"""The progress charts (measures/charts.py) as a reader sees them on /progress/: labelled axes,
a text alternative, a time axis that spans time even with one observation, a caption that
describes what is drawn; and the roll-ups' column headings."""

import re
from datetime import date
from decimal import Decimal

import pytest

from measures.charts import Path, progress_chart, value_ticks
from tests.factories import MeasureFactory, ObservationFactory, TargetFactory

pytestmark = pytest.mark.django_db


def chart_of(page: str, row_id: str) -> str:
    row = re.search(rf'<tr id="{row_id}">.*?</tr>', page, re.S)
    assert row, row_id
    chart = re.search(r'<svg class="chart".*?</svg>', row.group(0), re.S)
    assert chart
    return chart.group(0)


def texts(svg: str, axis: str) -> list[str]:
    group = re.search(rf'<g class="axis {axis}">(.*?)</g>', svg, re.S)
    assert group, axis
    return re.findall(r"<text[^>]*>([^<]*)</text>", group.group(1))


@pytest.fixture
def one_observation():
    """A target with one value, no starting value and no deadline."""
    measure = MeasureFactory(section__document__slug="lone")
    target = TargetFactory(measure=measure, baseline_value=None, deadline=None, key="lone")
    ObservationFactory(target=target, observed_on=date(2025, 6, 30), value=Decimal("24"))
    return target


class TestCharts:
    def test_the_axes_carry_values_dates_and_the_unit(self, client, reference_data):
        page = client.get("/progress/?document=beijing-2024").content.decode()
        target = re.search(
            r'<tr id="(target-\d+)">\s*<td class="id"><a href="[^"]*#target-'
            r'startup-weeks"',
            page,
        )
        assert target
        svg = chart_of(page, target.group(1))
        values = texts(svg, "y-axis")
        assert values[0] == "周"  # the unit, over the value axis
        numbers = [float(value) for value in values[1:]]
        assert len(numbers) >= 3
        assert numbers == sorted(numbers)
        dates = texts(svg, "x-axis")
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", dates[0])
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", dates[1])
        assert dates[0] < dates[1]

    def test_the_chart_says_in_words_what_it_draws(self, client, reference_data):
        page = client.get("/progress/?document=beijing-2024").content.decode()
        for svg in re.findall(r'<svg class="chart".*?</svg>', page, re.S):
            desc = re.search(r"<desc>(.*?)</desc>", svg).group(1)
            for day, value in re.findall(r"<circle[^>]*><title>([\d-]+): ([\d.]+)</title>", svg):
                assert f"{day}: {value}" in desc
            # The path is described exactly when it is drawn.
            assert ('class="path"' in svg) == ("虚线" in desc), svg

    def test_one_observation_gets_a_time_axis_with_two_different_ends(
        self, client, one_observation
    ):
        page = client.get("/progress/?document=lone").content.decode()
        first, last = texts(chart_of(page, f"target-{one_observation.pk}"), "x-axis")[:2]
        assert first < "2025-06-30" < last

    def test_the_caption_matches_the_drawing(self, client, one_observation):
        page = client.get("/progress/?document=lone").content.decode()
        svg = chart_of(page, f"target-{one_observation.pk}")
        assert 'class="path"' not in svg  # no starting value: no straight path
        assert "虚线表示从起点到目标的直线路径" not in page  # the caption that promised one
        assert "有起始值时" in page  # …now says when the path is drawn

    def test_a_deadline_is_on_the_time_axis_without_a_path(self):
        svg = progress_chart(
            [(date(2025, 1, 1), Decimal("5"))],
            Path(start=None, baseline=None, deadline=date(2026, 12, 31), goal=Decimal("10")),
            "label",
            "items",
        )
        assert ">2026-12-31</text>" in svg

    @pytest.mark.parametrize(
        ("low", "high"), [(20, 28), (0, 1_500_000), (5, 5), (0.3, 0.9), (-8, 3)]
    )
    def test_value_ticks_are_round_and_cover_the_values(self, low, high):
        ticks = value_ticks(low, high)
        assert ticks[0] <= low
        assert ticks[-1] >= high
        assert 2 <= len(ticks) <= 7


class TestRollups:
    def test_the_targets_table_is_headed_targets_and_the_milestones_table_milestones(
        self, client, reference_data
    ):
        page = client.get("/progress/").content.decode()
        rollups = page[page.index('id="rollups"') :]
        headings = re.findall(
            r'<thead><tr><th scope="col"></th><th scope="col">([^<]+)</th>', rollups
        )
        assert headings
        assert headings.count("目标") >= 1
        assert "里程碑" in headings  # the milestones' own table
        by_document = rollups[: rollups.index("</section>")]
        assert re.findall(r'<th scope="col"></th><th scope="col">([^<]+)</th>', by_document) == [
            "目标",
            "里程碑",
        ]
