"""The comparison engine on synthetic documents, built in memory from the reference texts."""

import datetime
import random
from dataclasses import replace
from decimal import Decimal

import pytest
import yaml

from bench.synthetic import renumbered
from comparisons.align import rank_candidates, suggest
from comparisons.diff import target_changes, text_diff
from comparisons.engine import compare
from comparisons.snapshot import DocumentData, LinkData, MeasureData, Pair, PartData, TargetData
from referencedata import DATA_DIR


def document_from_yaml(slug: str, as_slug: str | None = None) -> DocumentData:
    """A document's known measures, read from the data file (no database)."""
    raw = yaml.safe_load((DATA_DIR / "documents" / f"{slug}.yaml").read_text())
    as_slug = as_slug or slug
    parts, measures = [], []
    for part in raw["parts"]:
        parts.append(PartData(part["number"], part["title_zh"], part["title_en"]))
        for item in part["measures"]:
            if item.get("grade") == "unknown":
                continue
            measures.append(
                MeasureData(
                    id=f"{as_slug}/{item['number']}",
                    number=item["number"],
                    part=part["number"],
                    title_zh=item["title_zh"],
                    title_en=item["title_en"],
                    text=item["summary_zh"],
                    topics=frozenset(item.get("topics", [])),
                    agencies=frozenset(a["agency"] for a in item.get("agencies", [])),
                )
            )
    return DocumentData(
        slug=as_slug,
        title_zh=raw["title_zh"],
        series="series",
        level="municipal",
        parts=tuple(parts),
        measures=tuple(measures),
    )


def rows(comparison):
    return [row for part in comparison.parts for row in part.measures]


@pytest.fixture(scope="module")
def base() -> DocumentData:
    return document_from_yaml("beijing-2025", "base")


class TestIdenticalDocuments:
    def test_every_measure_is_continued_with_empty_diffs(self, base):
        copy = replace(
            base,
            slug="copy",
            measures=tuple(replace(m, id=m.id.replace("base/", "copy/")) for m in base.measures),
        )
        comparison = compare(Pair(base, copy))
        assert comparison.suggested
        for row in rows(comparison):
            assert row.relation == "continued", row.newer.id
            assert [linked.measure.number for linked in row.older] == [row.newer.number]
            assert row.changes.text == []
            assert row.changes.targets == []
        assert comparison.dropped == []
        assert {p.relation for p in comparison.parts} == {"same"}

    def test_a_renumbered_document_still_aligns(self, base):
        order = list(base.measures)
        random.Random(7).shuffle(order)  # noqa: S311 (a fixed, repeatable order)
        shuffled = renumbered(base, "shuffled", order)
        comparison = compare(Pair(base, shuffled))
        for row in rows(comparison):
            original = order[row.newer.number - 1]
            assert [linked.measure.id for linked in row.older] == [original.id]
            assert row.relation == "continued"

    def test_a_removed_measure_shows_as_dropped(self, base):
        removed = base.measures[4]
        kept = [m for m in base.measures if m is not removed]
        fewer = renumbered(base, "fewer", kept)
        comparison = compare(Pair(base, fewer))
        assert [linked.measure.id for linked in comparison.dropped] == [removed.id]
        assert comparison.summary.dropped == 1


REPHRASINGS = [
    ("推动", "促进"),
    ("建设", "打造"),
    ("支持", "扶持"),
    ("提升", "提高"),
    ("开展", "实施"),
]


def test_suggestions_rank_the_true_counterpart_first_on_a_perturbed_copy(base):
    """Reorder, rephrase a few words, split one measure in two, merge two into one: the true
    counterpart comes first for at least 90 % of the perturbed document's measures."""
    rng = random.Random(2025)  # noqa: S311 (repeatable perturbations)
    measures = list(base.measures)
    truth: dict[int, set[str]] = {}  # index in the new order → ids it comes from
    new: list[tuple[MeasureData, set[str]]] = []
    split, merged = measures[0], (measures[10], measures[11])
    for measure in measures:
        if measure is split:
            half = len(measure.text) // 2
            new.append((replace(measure, text=measure.text[:half]), {measure.id}))
            new.append((replace(measure, title_zh="", text=measure.text[half:]), {measure.id}))
        elif measure is merged[0]:
            both = replace(
                measure,
                title_zh=merged[0].title_zh + "和" + merged[1].title_zh,
                text=merged[0].text + merged[1].text,
            )
            new.append((both, {merged[0].id, merged[1].id}))
        elif measure is merged[1]:
            continue
        else:
            text = measure.text
            for old, replacement in rng.sample(REPHRASINGS, 2):
                text = text.replace(old, replacement, 1)
            new.append((replace(measure, text=text), {measure.id}))
    rng.shuffle(new)
    perturbed = renumbered(base, "perturbed", [measure for measure, _ in new])
    for number, (_, ids) in enumerate(new, start=1):
        truth[number] = ids

    ranked = rank_candidates(base, perturbed)
    hits = sum(
        1
        for measure in perturbed.measures
        if ranked[measure.id] and ranked[measure.id][0].measure in truth[measure.number]
    )
    assert hits / len(perturbed.measures) >= 0.9, f"{hits} of {len(perturbed.measures)}"


def target(goal: str, **kwargs) -> TargetData:
    values = {
        "key": "t",
        "metric": "trial_startup_weeks",
        "metric_zh": "启动用时",
        "metric_en": "start-up",
        "unit": "week",
        "direction": "lower",
        "comparator": "lte",
        "goal_value": Decimal(goal),
    } | kwargs
    return TargetData(**values)


class TestTargetChanges:
    def test_a_lower_goal_for_a_lower_is_better_metric_is_tighter(self):
        old = MeasureData("a/1", 1, 1, targets=(target("28"),))
        new = MeasureData("b/1", 1, 1, targets=(target("20"),))
        [change] = target_changes([old], [new])
        assert (change.change, change.absolute, change.relative) == (
            "tighter",
            Decimal("-8"),
            -28.6,
        )

    def test_a_lower_goal_for_a_higher_is_better_metric_is_looser(self):
        old = MeasureData("a/1", 1, 1, targets=(target("90", direction="higher"),))
        new = MeasureData("b/1", 1, 1, targets=(target("80", direction="higher"),))
        assert target_changes([old], [new])[0].change == "looser"

    def test_targets_on_one_side_are_new_or_dropped_and_deadlines_moves_are_seen(self):
        import datetime

        old = MeasureData(
            "a/1", 1, 1, targets=(target("10", metric="x"), target("5", deadline=None))
        )
        new = MeasureData(
            "b/1",
            1,
            1,
            targets=(
                target("5", deadline=datetime.date(2025, 12, 31)),
                target("3", metric="y"),
            ),
        )
        changes = {c.metric: c for c in target_changes([old], [new])}
        assert changes["x"].change == "dropped"
        assert changes["y"].change == "new"
        assert changes["trial_startup_weeks"].change == "unchanged"
        assert changes["trial_startup_weeks"].deadline_moved


def test_the_text_diff_marks_whole_words():
    chunks = text_diff("临床试验启动整体用时压缩至28周以内", "临床试验启动整体用时压缩至20周以内")
    changed = [(c.op, c.text) for c in chunks if c.op != "equal"]
    assert changed == [("delete", "28"), ("insert", "20")]
    assert text_diff("相同", "相同") == []


def test_curated_links_come_before_suggestions(base):
    later = renumbered(base, "later", list(base.measures))
    link = LinkData(base.measures[0].id, "later/2", "strengthened")
    comparison = compare(Pair(base, later, links=(link,)))
    assert not comparison.suggested
    second = next(row for row in rows(comparison) if row.newer.id == "later/2")
    assert second.relation == "strengthened"
    assert [linked.measure.id for linked in second.older] == [base.measures[0].id]


class TestSuggestionsFollowTime:
    """Between levels the suggested relation follows the dates, never backwards in time."""

    @pytest.fixture(scope="class")
    def local(self, base):
        return replace(base, slug="local", level="municipal", date=datetime.date(2025, 4, 7))

    @pytest.fixture(scope="class")
    def national(self, base):
        measures = tuple(replace(m, id=m.id.replace("base/", "nat/")) for m in base.measures)
        return replace(base, slug="nat", level="national", series="", measures=measures)

    def relations(self, national, local) -> set[str]:
        return {link.relation for link in suggest(Pair(national, local)) if link.older}

    def test_a_local_text_that_came_first_anticipates_never_implements(self, national, local):
        later = replace(national, date=datetime.date(2025, 7, 1))
        assert self.relations(later, local) == {"anticipates"}

    def test_a_local_text_that_came_after_implements(self, national, local):
        earlier = replace(national, date=datetime.date(2024, 1, 1))
        assert self.relations(earlier, local) == {"implements"}

    def test_without_dates_it_only_corresponds(self, national, local):
        assert self.relations(national, replace(local, date=None)) == {"corresponds"}
