"""Write checked reference data to the database, in one transaction, by stable id.

Each record is looked up by its public id (codes, slugs, document + number, measure + key) and
created, updated or left alone; a row is only saved when a value differs, so a second load
reports nothing created or updated. Rows that a loaded document owns but its file no longer
lists (parts, measures, targets, agency roles) are deleted, and so are curated links no file
declares: the files are the source of truth for curated data. Suggested and rejected links,
and observations, are never touched (deleting a target that has observations fails the load).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction

from comparisons.models import (
    LinkStatus,
    MeasureLink,
    MeasureRelation,
    SectionLink,
    SectionRelation,
)
from measures import models as m

from .reader import ReferenceData
from .schema import DocumentIn, MeasureIn, ObservationIn, ProvenanceIn


@dataclass
class LoadReport:
    """How many rows of each model were created, updated, left unchanged or deleted."""

    counts: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, model: type[models.Model], outcome: str, n: int = 1) -> None:
        self.counts.setdefault(model._meta.verbose_name_plural, Counter())[outcome] += n

    def total(self, outcome: str) -> int:
        return sum(counter[outcome] for counter in self.counts.values())

    @property
    def changed(self) -> bool:
        return any(self.total(outcome) for outcome in ("created", "updated", "deleted"))


@dataclass(frozen=True)
class Inherited:
    """Provenance a record takes from its parent when it states none of its own."""

    source_id: int | None
    grade: str

    def apply(self, record: ProvenanceIn, sources: dict[str, int]) -> dict[str, Any]:
        return {
            "source_id": sources[record.source] if record.source else self.source_id,
            "grade": record.grade or self.grade,
            "grade_note": record.grade_note,
        }


def write_reference_data(data: ReferenceData) -> LoadReport:
    with transaction.atomic():
        return _Writer(data).run()


class _Writer:
    def __init__(self, data: ReferenceData) -> None:
        self.data = data
        self.report = LoadReport()
        self.outcome: dict[tuple[type[models.Model], int], str] = {}
        self.ids: dict[str, dict[str, int]] = {}
        self.kept_links: dict[type[models.Model], set[int]] = {
            MeasureLink: set(),
            SectionLink: set(),
        }

    def run(self) -> LoadReport:
        self.write_vocabularies()
        self.write_agencies_and_sources()
        for document in self.data.documents:
            self.write_document(document)
        for document in self.data.documents:
            self.write_links(document)
        self.delete_undeclared_links()
        for (model, _pk), outcome in self.outcome.items():
            self.report.add(model, outcome)
        return self.report

    # -- generic ------------------------------------------------------------------------------

    def upsert(self, model: type[models.Model], lookup: dict[str, Any], values: dict[str, Any]):
        obj = model._default_manager.filter(**lookup).first()
        if obj is None:
            obj = model._default_manager.create(**{**values, **lookup})
            self.outcome[(model, obj.pk)] = "created"
            return obj
        changed = [name for name, value in values.items() if getattr(obj, name) != value]
        if changed:
            for name in changed:
                setattr(obj, name, values[name])
            obj.save()
        self.outcome[(model, obj.pk)] = "updated" if changed else "unchanged"
        return obj

    def set_many(self, obj: models.Model, name: str, ids: list[int]) -> None:
        manager = getattr(obj, name)
        if set(manager.values_list("pk", flat=True)) != set(ids):
            manager.set(ids)
            self.touched(obj)

    def touched(self, obj: models.Model) -> None:
        key = (type(obj), obj.pk)
        if self.outcome.get(key) == "unchanged":
            self.outcome[key] = "updated"

    def delete_stale(self, queryset: models.QuerySet, keep: set[int]) -> None:
        stale = queryset.exclude(pk__in=keep)
        count = stale.count()
        if count:
            stale.delete()
            self.report.add(queryset.model, "deleted", count)

    # -- records ------------------------------------------------------------------------------

    def write_vocabularies(self) -> None:
        vocab = self.data.vocabularies
        ids = self.ids.setdefault("jurisdiction", {})
        for item in vocab.jurisdictions:
            obj = self.upsert(
                m.Jurisdiction,
                {"code": item.code},
                {
                    "name_zh": item.name_zh,
                    "name_en": item.name_en,
                    "level": item.level,
                    "parent_id": ids[item.parent] if item.parent else None,
                },
            )
            ids[item.code] = obj.pk
        for item in vocab.series:
            values = {"name_zh": item.name_zh, "name_en": item.name_en}
            values["jurisdiction_id"] = ids[item.jurisdiction]
            obj = self.upsert(m.Series, {"slug": item.slug}, values)
            self.ids.setdefault("series", {})[item.slug] = obj.pk
        for name, model, items in [
            ("topic", m.Topic, vocab.topics),
            ("entity_type", m.EntityType, vocab.entity_types),
        ]:
            for item in items:
                values = {"name_zh": item.name_zh, "name_en": item.name_en}
                obj = self.upsert(model, {"code": item.code}, values)
                self.ids.setdefault(name, {})[item.code] = obj.pk
        for ordinal, item in enumerate(vocab.product_stages, start=1):
            values = {"name_zh": item.name_zh, "name_en": item.name_en, "ordinal": ordinal}
            obj = self.upsert(m.ProductStage, {"code": item.code}, values)
            self.ids.setdefault("stage", {})[item.code] = obj.pk

    def write_agencies_and_sources(self) -> None:
        for item in self.data.agencies:
            obj = self.upsert(
                m.Agency,
                {"slug": item.slug},
                {
                    "jurisdiction_id": self.ids["jurisdiction"][item.jurisdiction],
                    "kind": item.kind,
                    "name_zh": item.name_zh,
                    "name_en": item.name_en,
                    "short_name_zh": item.short_name_zh,
                    "short_name_en": item.short_name_en,
                    "aliases": list(item.aliases),
                },
            )
            self.ids.setdefault("agency", {})[item.slug] = obj.pk
        for item in self.data.sources:
            values = item.model_dump(exclude={"key"})
            obj = self.upsert(m.Source, {"key": item.key}, values)
            self.ids.setdefault("source", {})[item.key] = obj.pk

    def write_document(self, item: DocumentIn) -> None:
        sources = self.ids["source"]
        document = self.upsert(
            m.Document,
            {"slug": item.slug},
            {
                "title_zh": item.title_zh,
                "title_en": item.title_en,
                "number": item.number,
                "jurisdiction_id": self.ids["jurisdiction"][item.jurisdiction],
                "series_id": self.ids["series"][item.series] if item.series else None,
                "edition": item.edition,
                "signed_on": item.signed_on,
                "published_on": item.published_on,
                "effective_from": item.effective_from,
                "source_url": item.source_url or "",
                "status": item.status,
                "summary_zh": item.summary_zh,
                "summary_en": item.summary_en,
                "source_id": sources[item.source],
                "grade": item.grade,
                "grade_note": item.grade_note,
            },
        )
        self.write_issuers(document, item.issuers)
        inherited = Inherited(source_id=sources[item.source], grade=item.grade)
        kept_sections, kept_measures = set(), set()
        for part in item.parts:
            section = self.upsert(
                m.Section,
                {"document": document, "ordinal": part.number},
                {"title_zh": part.title_zh, "title_en": part.title_en},
            )
            kept_sections.add(section.pk)
            for measure in part.measures:
                written = self.write_measure(document, section, measure, item, inherited)
                kept_measures.add(written.pk)
        # Measures first: a part cannot go while a measure still points at it.
        stale_measures = document.measures.exclude(pk__in=kept_measures)
        self.release_observations(m.Target.objects.filter(measure__in=stale_measures))
        self.delete_stale(document.measures.all(), kept_measures)
        self.delete_stale(document.sections.all(), kept_sections)

    def write_issuers(self, document: m.Document, issuers: list[str]) -> None:
        wanted = [self.ids["agency"][slug] for slug in issuers]
        rows = document.issuer_rows.order_by("position")
        if list(rows.values_list("agency_id", flat=True)) != wanted:
            rows.delete()
            m.DocumentIssuer.objects.bulk_create(
                m.DocumentIssuer(document=document, agency_id=agency_id, position=position)
                for position, agency_id in enumerate(wanted, start=1)
            )
            self.touched(document)

    def write_measure(
        self,
        document: m.Document,
        section: m.Section,
        item: MeasureIn,
        document_item: DocumentIn,
        parent: Inherited,
    ) -> m.Measure:
        sources = self.ids["source"]
        provenance = parent.apply(item, sources)
        scope = item.applies_to.scope or document_item.jurisdiction
        placement = (
            (item.placement_grade, item.placement_note)
            if item.placement_grade
            else (
                document_item.placement_grade,
                item.placement_note or document_item.placement_note,
            )
        )
        measure = self.upsert(
            m.Measure,
            {"document": document, "number": item.number},
            {
                "section_id": section.pk,
                "placement_grade": placement[0],
                "placement_note": placement[1],
                "title_zh": item.title_zh,
                "title_en": item.title_en,
                "summary_zh": item.summary_zh,
                "summary_en": item.summary_en,
                "scope_id": self.ids["jurisdiction"][scope],
                **provenance,
            },
        )
        self.set_many(measure, "topics", [self.ids["topic"][code] for code in item.topics])
        self.set_many(
            measure,
            "entity_types",
            [self.ids["entity_type"][code] for code in item.applies_to.entity_types],
        )
        self.set_many(
            measure, "stages", [self.ids["stage"][code] for code in item.applies_to.stages]
        )
        inherited = Inherited(provenance["source_id"], provenance["grade"])

        kept_roles = set()
        for role in item.agencies:
            row = self.upsert(
                m.MeasureAgency,
                {"measure": measure, "agency_id": self.ids["agency"][role.agency]},
                {"role": role.role, **inherited.apply(role, sources)},
            )
            kept_roles.add(row.pk)
        self.delete_stale(measure.agency_roles.all(), kept_roles)

        kept_targets = set()
        for target in item.targets:
            values = target.model_dump(
                exclude={"key", "source", "grade", "grade_note", "observations"}
            )
            target_provenance = inherited.apply(target, sources)
            row = self.upsert(
                m.Target,
                {"measure": measure, "key": target.key},
                {**values, **target_provenance},
            )
            kept_targets.add(row.pk)
            self.write_observations(
                row,
                target.observations,
                Inherited(target_provenance["source_id"], target_provenance["grade"]),
            )
        self.release_observations(measure.targets.exclude(pk__in=kept_targets))
        self.delete_stale(measure.targets.all(), kept_targets)
        return measure

    def write_observations(
        self, target: m.Target, items: list[ObservationIn], parent: Inherited
    ) -> None:
        kept = set()
        for item in items:
            row = self.upsert(
                m.Observation,
                {"target": target, "observed_on": item.observed_on},
                {
                    "value": item.value,
                    "note": item.note,
                    "source_url": "",
                    "origin": m.ObservationOrigin.REFERENCE,
                    **parent.apply(item, self.ids["source"]),
                },
            )
            kept.add(row.pk)
        reference = target.observations.filter(origin=m.ObservationOrigin.REFERENCE)
        self.delete_stale(reference, kept)

    def release_observations(self, targets: models.QuerySet) -> None:
        """Delete the reference observations of targets about to go; an editor's stay and
        block the deletion (the load then fails and rolls back)."""
        observations = m.Observation.objects.filter(
            target__in=targets, origin=m.ObservationOrigin.REFERENCE
        )
        self.delete_stale(observations, keep=set())

    # -- links --------------------------------------------------------------------------------

    def write_links(self, item: DocumentIn) -> None:
        sources = self.ids["source"]
        document = m.Document.objects.get(slug=item.slug)
        inherited = Inherited(sources[item.source], item.grade)
        for part in item.parts:
            section = document.sections.get(ordinal=part.number)
            for link in part.links:
                older = self.section(link.part) if link.part else None
                self.write_link(SectionLink, older, section, link.relation, link, inherited)
            for measure_item in part.measures:
                measure = document.measures.get(number=measure_item.number)
                for link in measure_item.links:
                    older = self.measure(link.measure) if link.measure else None
                    self.write_link(MeasureLink, older, measure, link.relation, link, inherited)
        for dropped in item.dropped:
            older = self.measure(dropped.measure)
            relation = MeasureRelation.DROPPED
            self.write_link(MeasureLink, older, None, relation, dropped, inherited)
        for removed in item.removed_parts:
            older = self.section(removed.part)
            relation = SectionRelation.REMOVED
            self.write_link(SectionLink, older, None, relation, removed, inherited)

    def write_link(self, model, older, newer, relation: str, item, parent: Inherited) -> None:
        lookup = {"older": older, "newer": newer}
        if older is None or newer is None:
            lookup["relation"] = relation
        values = {
            "relation": relation,
            "status": LinkStatus.CURATED,
            "score": None,
            "note_zh": item.note_zh,
            "note_en": item.note_en,
            **parent.apply(item, self.ids["source"]),
        }
        self.kept_links[model].add(self.upsert(model, lookup, values).pk)

    def delete_undeclared_links(self) -> None:
        for model, kept in self.kept_links.items():
            self.delete_stale(model.objects.filter(status=LinkStatus.CURATED), kept)

    @staticmethod
    def measure(public_id: str) -> m.Measure:
        return m.Measure.objects.by_public_id(public_id)

    @staticmethod
    def section(part_id: str) -> m.Section:
        slug, _, ordinal = part_id.rpartition("/")
        return m.Section.objects.get(document__slug=slug, ordinal=int(ordinal))
