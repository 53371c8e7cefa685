"""How complete and how certain the data is, per document.

For each document: its measures by content grade and by placement grade; measures with no
responsible agency, no topic or no applicability; targets without a deadline; and the gaps in the
links — measures of an edition that the next edition neither carries on nor marks dropped,
measures of a later edition with no stated relation to the earlier one, and national measures
with no local measure that answers them (implements, goes beyond, anticipates or corresponds).

Everything is read in a fixed number of queries (one per kind of row) and put together here, so
the report costs the same whether the catalogue holds three documents or three thousand.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef

from measures.models import MeasureLink, MeasureRelation

from .models import Document, Grade, Measure, Observation, Target, pick_language

# Links between levels, whichever came first.
VERTICAL = {
    MeasureRelation.IMPLEMENTS,
    MeasureRelation.GOES_BEYOND,
    MeasureRelation.ANTICIPATES,
    MeasureRelation.CORRESPONDS,
}


@dataclass
class DocumentQuality:
    slug: str
    title_zh: str
    title_en: str
    measures: int = 0
    by_grade: dict[str, int] = field(default_factory=dict)
    by_placement_grade: dict[str, int] = field(default_factory=dict)
    unknown_content: list[str] = field(default_factory=list)
    without_agency: list[str] = field(default_factory=list)
    without_topic: list[str] = field(default_factory=list)
    without_applicability: list[str] = field(default_factory=list)
    targets: int = 0
    targets_without_deadline: list[str] = field(default_factory=list)
    observations: int = 0
    # Only for a document with a later edition: its measures the later one does not account for.
    next_edition: str | None = None
    not_accounted_for_in_next_edition: list[str] = field(default_factory=list)
    # Only for a document with an earlier edition: its measures with no relation to it.
    previous_edition: str | None = None
    without_relation_to_previous_edition: list[str] = field(default_factory=list)
    # Only for national documents: measures no local measure answers (any relation between levels).
    without_local_counterpart: list[str] | None = None

    @property
    def title(self) -> str:
        return pick_language(self.title_zh, self.title_en)


def data_quality() -> list[DocumentQuality]:
    documents = list(Document.objects.in_reading_order().select_related("series", "jurisdiction"))
    reports = {
        document.pk: DocumentQuality(document.slug, document.title_zh, document.title_en)
        for document in documents
    }
    editions = _editions(documents)

    measures = Measure.objects.annotate(
        has_agency=Exists(Measure.agencies.through.objects.filter(measure=OuterRef("pk"))),
        has_topic=Exists(Measure.topics.through.objects.filter(measure=OuterRef("pk"))),
        has_entity=Exists(Measure.entity_types.through.objects.filter(measure=OuterRef("pk"))),
        has_stage=Exists(Measure.stages.through.objects.filter(measure=OuterRef("pk"))),
    ).values_list(
        "pk",
        "document_id",
        "number",
        "grade",
        "placement_grade",
        "has_agency",
        "has_topic",
        "has_entity",
        "has_stage",
    )
    public_ids: dict[int, str] = {}
    document_of: dict[int, int] = {}
    slug_of = {document.pk: document.slug for document in documents}
    grades: dict[int, Counter[str]] = defaultdict(Counter)
    placements: dict[int, Counter[str]] = defaultdict(Counter)
    for pk, document_id, number, grade, placement, agency, topic, entity, stage in measures:
        report = reports[document_id]
        public_id = f"{slug_of[document_id]}/{number}"
        public_ids[pk], document_of[pk] = public_id, document_id
        report.measures += 1
        grades[document_id][grade] += 1
        placements[document_id][placement] += 1
        if grade == Grade.UNKNOWN:
            report.unknown_content.append(public_id)
            continue  # nothing is known, so nothing else can be missing
        if not agency:
            report.without_agency.append(public_id)
        if not topic:
            report.without_topic.append(public_id)
        if not (entity or stage):
            report.without_applicability.append(public_id)
    for document_id, report in reports.items():
        report.by_grade = {grade: grades[document_id][grade] for grade in Grade.values}
        report.by_placement_grade = {
            grade: placements[document_id][grade] for grade in Grade.values
        }

    targets = Target.objects.values_list("measure_id", "key", "deadline", "deadline_text")
    for measure_id, key, deadline, deadline_text in targets:
        report = reports[document_of[measure_id]]
        report.targets += 1
        if deadline is None and not deadline_text:
            report.targets_without_deadline.append(f"{public_ids[measure_id]}#{key}")
    for measure_id in Observation.objects.values_list("target__measure_id", flat=True):
        reports[document_of[measure_id]].observations += 1

    _link_gaps(reports, documents, editions, public_ids, document_of)
    return [reports[document.pk] for document in documents]


def _editions(documents: list[Document]) -> dict[int, tuple[int | None, int | None]]:
    """Each document's (previous, next) edition in its series, by document id."""
    by_series: dict[int, list[Document]] = defaultdict(list)
    for document in documents:
        if document.series_id:
            by_series[document.series_id].append(document)
    neighbours: dict[int, tuple[int | None, int | None]] = {}
    for series in by_series.values():
        series.sort(key=lambda document: document.edition or 0)
        for index, document in enumerate(series):
            previous = series[index - 1].pk if index > 0 else None
            following = series[index + 1].pk if index + 1 < len(series) else None
            neighbours[document.pk] = (previous, following)
    return neighbours


def _link_gaps(
    reports: dict[int, DocumentQuality],
    documents: list[Document],
    editions: dict[int, tuple[int | None, int | None]],
    public_ids: dict[int, str],
    document_of: dict[int, int],
) -> None:
    """Fill in the measures the links leave unaccounted for, across editions and levels."""
    carried: set[tuple[int, int]] = set()  # (older measure, document of the newer)
    related: set[tuple[int, int]] = set()  # (newer measure, document of the older)
    dropped: set[int] = set()
    new: set[int] = set()
    implemented: set[int] = set()
    for older, newer, relation in MeasureLink.objects.exclude(status="rejected").values_list(
        "older_id", "newer_id", "relation"
    ):
        if relation == MeasureRelation.DROPPED:
            dropped.add(older)
        elif relation == MeasureRelation.NEW:
            new.add(newer)
        elif relation in VERTICAL:
            implemented.add(older)
        else:
            carried.add((older, document_of[newer]))
            related.add((newer, document_of[older]))

    slug_of = {document.pk: document.slug for document in documents}
    for pk, public_id in public_ids.items():
        document_id = document_of[pk]
        report = reports[document_id]
        previous, following = editions.get(document_id, (None, None))
        if following:
            report.next_edition = slug_of[following]
            if (pk, following) not in carried and pk not in dropped:
                report.not_accounted_for_in_next_edition.append(public_id)
        if previous:
            report.previous_edition = slug_of[previous]
            if (pk, previous) not in related and pk not in new:
                report.without_relation_to_previous_edition.append(public_id)
    for document in documents:
        if document.jurisdiction.level == "national":
            reports[document.pk].without_local_counterpart = [
                public_id
                for pk, public_id in public_ids.items()
                if document_of[pk] == document.pk and pk not in implemented
            ]
