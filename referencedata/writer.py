"""Write checked reference data to the database, in one transaction, by stable id.

The pipeline: read once what the database already holds for the files' records — every row of
each model keyed by its stable id (codes, slugs, document + number, measure + key, …) — then walk
the files, creating a row that is missing and saving one only when a value differs, so a second
load reports nothing created or updated and costs a few dozen queries whatever the data's size.
Last, rows a loaded document owns but its file no longer lists (parts, measures, targets, agency
roles, reference observations) are deleted, and so are curated links (of measures, parts and
targets) no file declares: the files are the source of truth for curated data. Suggested and
rejected links, and observations entered by editors, are never touched (deleting a target that
has an editor's observation fails the load, which then rolls back).

Every row of the change log's models that is created, updated or deleted is said to the change
log (`measures.changelog`, process `load_policies`) as it is written, with its old values, which
the writer holds anyway; a measure's topics, entity types, stages and agencies are fields of the
measure there (sorted lists of codes). The log writes its rows at the end, in the same
transaction, in a fixed number of queries.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils import translation

from caching.dataversion import bump
from measures import models as m
from measures.changelog import OBJECT_KINDS, ChangeLog, recording, values_of
from measures.models import (
    LinkStatus,
    MeasureLink,
    MeasureRelation,
    SectionLink,
    SectionRelation,
    TargetLink,
)
from progress.refresh import refresh_progress

from .reader import ReferenceData
from .schema import DocumentIn, EligibilityIn, MeasureIn, ObservationIn, ProvenanceIn

Key = tuple[Hashable, ...]

PROCESS = "load_policies"


@dataclass
class LoadReport:
    """How many rows of each model were created, updated, left unchanged or deleted."""

    counts: dict[str, Counter[str]] = field(default_factory=dict)
    # Targets whose progress was recomputed (and how many of them changed).
    refreshed: int = 0
    progress_changed: int = 0

    def add(self, model: type[models.Model], outcome: str, n: int = 1) -> None:
        # The report is for operators and scripts: model names in English, whatever the locale.
        with translation.override("en"):
            name = str(model._meta.verbose_name_plural)
        self.counts.setdefault(name, Counter())[outcome] += n

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

    def apply(self, record: ProvenanceIn, sources: dict[Key, models.Model]) -> dict[str, Any]:
        return {
            "source_id": sources[(record.source,)].pk if record.source else self.source_id,
            "grade": record.grade or self.grade,
            "grade_note_zh": record.grade_note_zh,
            "grade_note_en": record.grade_note_en,
        }


def write_reference_data(data: ReferenceData) -> LoadReport:
    """Write the data in one transaction, then, in it, recompute the progress of every target
    whose observations, goal, baseline or deadline (or document's dates) it wrote, so a fresh
    load shows true statuses at once rather than after the nightly refresh."""
    # The log's block is the transaction (a second one inside would cost a savepoint).
    with recording(process=PROCESS, bulk=True) as log:
        writer = _Writer(data, log)
        report = writer.run()
        log.flush()  # now, so that the refresh's status changes come after the rows they follow
        targets = writer.targets_to_refresh()
        if targets:
            report.refreshed = len(targets)
            report.progress_changed = refresh_progress(m.Target.objects.filter(pk__in=targets))
        if report.changed:
            bump()  # issuers are replaced by bulk_create, which sends no signal
        return report


def _link_key(older_id: int | None, newer_id: int | None, relation: str) -> Key:
    # A pair is unique; a one-sided link (new, dropped, removed) is unique with its relation.
    return (older_id, newer_id, relation if older_id is None or newer_id is None else None)


# Each model's stable id, as read from a row (attribute names, so no join is needed).
KEYS: dict[type[models.Model], Callable[[Any], Key]] = {
    m.Jurisdiction: lambda row: (row.code,),
    m.Series: lambda row: (row.slug,),
    m.Topic: lambda row: (row.code,),
    m.EntityType: lambda row: (row.code,),
    m.ProductType: lambda row: (row.code,),
    m.ProductStage: lambda row: (row.code,),
    m.Agency: lambda row: (row.slug,),
    m.Source: lambda row: (row.key,),
    m.Document: lambda row: (row.slug,),
    m.Section: lambda row: (row.document_id, row.ordinal),
    m.Measure: lambda row: (row.document_id, row.number),
    m.Eligibility: lambda row: (row.measure_id,),
    m.MeasureAgency: lambda row: (row.measure_id, row.agency_id),
    m.Target: lambda row: (row.measure_id, row.key),
    m.Observation: lambda row: (row.target_id, row.observed_on),
    m.Milestone: lambda row: (row.measure_id, row.key),
    MeasureLink: lambda row: _link_key(row.older_id, row.newer_id, row.relation),
    SectionLink: lambda row: _link_key(row.older_id, row.newer_id, row.relation),
    TargetLink: lambda row: (row.older_id, row.newer_id),
}

# Many-to-many fields of a measure, with the index that resolves their codes.
MEASURE_SETS = {"topics": m.Topic, "entity_types": m.EntityType, "stages": m.ProductStage}


class _Writer:
    def __init__(self, data: ReferenceData, log: ChangeLog) -> None:
        self.data = data
        self.log = log
        self.report = LoadReport()
        self.outcome: dict[tuple[type[models.Model], int], str] = {}
        self.rows: dict[type[models.Model], dict[Key, Any]] = {}
        self.seen: dict[type[models.Model], set[int]] = defaultdict(set)
        self.deleted: dict[type[models.Model], set[int]] = defaultdict(set)
        self.slugs = [document.slug for document in data.documents]

    def run(self) -> LoadReport:
        self.read_existing()
        self.write_vocabularies()
        self.write_agencies_and_sources()
        for document in self.data.documents:
            self.write_document(document)
        self.write_measure_sets()
        for document in self.data.documents:
            self.write_links(document)
        self.write_milestones()
        self.record_measure_agencies()
        self.delete_unlisted()
        for (model, _pk), outcome in self.outcome.items():
            self.report.add(model, outcome)
        return self.report

    def targets_to_refresh(self) -> set[int]:
        """Targets still there whose progress may have changed: created or updated themselves
        (goal, baseline, deadline …), with an observation created, updated or deleted, or in a
        document whose dates (the default start of a target) changed."""
        changed = {
            (model, pk) for (model, pk), outcome in self.outcome.items() if outcome != "unchanged"
        }
        documents = {pk for model, pk in changed if model is m.Document}
        measures = {row.pk for row in self.rows[m.Measure].values() if row.document_id in documents}
        targets = {pk for model, pk in changed if model is m.Target}
        targets |= {
            row.target_id
            for row in self.rows[m.Observation].values()
            if (m.Observation, row.pk) in changed or row.pk in self.deleted[m.Observation]
        }
        targets |= {row.pk for row in self.rows[m.Target].values() if row.measure_id in measures}
        return targets - self.deleted[m.Target]

    # -- what is there ------------------------------------------------------------------------

    def read_existing(self) -> None:
        """One query per model for the rows the files could touch."""
        in_documents = {"document__slug__in": self.slugs}
        in_measures = {"measure__document__slug__in": self.slugs}
        querysets: dict[type[models.Model], Iterable[Any]] = {
            model: model._default_manager.all()
            for model in (
                m.Jurisdiction,
                m.Series,
                m.Topic,
                m.EntityType,
                m.ProductType,
                m.ProductStage,
                m.Agency,
                m.Source,
                m.Document,
            )
        }
        querysets[m.Section] = m.Section.objects.filter(**in_documents)
        querysets[m.Measure] = m.Measure.objects.filter(**in_documents)
        querysets[m.MeasureAgency] = m.MeasureAgency.objects.filter(**in_measures)
        querysets[m.Eligibility] = m.Eligibility.objects.filter(**in_measures)
        querysets[m.Target] = m.Target.objects.filter(**in_measures)
        querysets[m.Observation] = m.Observation.objects.filter(
            target__measure__document__slug__in=self.slugs
        )
        # Editors' milestones are theirs: the files own only the reference ones.
        querysets[m.Milestone] = m.Milestone.objects.filter(origin=m.ObservationOrigin.REFERENCE)
        querysets[MeasureLink] = MeasureLink.objects.all()
        querysets[SectionLink] = SectionLink.objects.all()
        querysets[TargetLink] = TargetLink.objects.all()
        for model, queryset in querysets.items():
            self.rows[model] = {KEYS[model](row): row for row in queryset}

        # Each measure's sets as read, and the pair table's row of each member.
        self.measure_sets: dict[str, dict[int, set[int]]] = {}
        self.set_rows: dict[str, dict[tuple[int, int], int]] = {}
        for name, related in MEASURE_SETS.items():
            through = getattr(m.Measure, name).through
            column = f"{related._meta.model_name}_id"
            members: dict[int, set[int]] = defaultdict(set)
            pairs: dict[tuple[int, int], int] = {}
            rows = through.objects.filter(measure__document__slug__in=self.slugs)
            for pk, measure_id, member_id in rows.values_list("pk", "measure_id", column):
                members[measure_id].add(member_id)
                pairs[(measure_id, member_id)] = pk
            self.measure_sets[name] = members
            self.set_rows[name] = pairs
        # The sets to write, by measure: together once every document is written.
        self.sets_wanted: dict[str, dict[int, set[int]]] = {name: {} for name in MEASURE_SETS}
        self.rule_product_types: dict[int, set[int]] = defaultdict(set)
        rows = m.Eligibility.product_types.through.objects.filter(
            eligibility__measure__document__slug__in=self.slugs
        )
        for eligibility_id, type_id in rows.values_list("eligibility_id", "producttype_id"):
            self.rule_product_types[eligibility_id].add(type_id)
        self.code_of: dict[type[models.Model], dict[int, Hashable]] = {}
        # Agencies' roles as read, for the change log (upsert updates the rows in place).
        self.roles_read = {row.pk: row.role for row in self.rows[m.MeasureAgency].values()}
        self.issuers: dict[int, list[int]] = defaultdict(list)
        issuer_rows = m.DocumentIssuer.objects.filter(**in_documents).order_by("position")
        for document_id, agency_id in issuer_rows.values_list("document_id", "agency_id"):
            self.issuers[document_id].append(agency_id)

    def row(self, model: type[models.Model], *key: Hashable) -> Any:
        return self.rows[model][key]

    # -- generic ------------------------------------------------------------------------------

    def upsert(self, model: type[models.Model], key: Key, values: dict[str, Any]) -> Any:
        """The row with this stable id, created or brought up to date; `values` by attname."""
        obj = self.rows[model].get(key)
        recorded = model in OBJECT_KINDS
        if obj is None:
            obj = model._default_manager.create(**values)
            self.rows[model][key] = obj
            self.outcome[(model, obj.pk)] = "created"
            if recorded:
                self.log.added(obj)
        else:
            changed = [name for name, value in values.items() if getattr(obj, name) != value]
            if changed:
                old = values_of(obj) if recorded else {}
                for name in changed:
                    setattr(obj, name, values[name])
                obj.save()
                if recorded:
                    self.log.changed(obj, old)
            self.outcome[(model, obj.pk)] = "updated" if changed else "unchanged"
        self.seen[model].add(obj.pk)
        return obj

    def touched(self, obj: models.Model) -> None:
        key = (type(obj), obj.pk)
        if self.outcome.get(key) == "unchanged":
            self.outcome[key] = "updated"

    # -- records ------------------------------------------------------------------------------

    def write_vocabularies(self) -> None:
        vocab = self.data.vocabularies
        for item in vocab.jurisdictions:
            parent = self.row(m.Jurisdiction, item.parent).pk if item.parent else None
            self.upsert(
                m.Jurisdiction,
                (item.code,),
                {
                    "code": item.code,
                    "name_zh": item.name_zh,
                    "name_en": item.name_en,
                    "level": item.level,
                    "parent_id": parent,
                },
            )
        for series in vocab.series:
            self.upsert(
                m.Series,
                (series.slug,),
                {
                    "slug": series.slug,
                    "name_zh": series.name_zh,
                    "name_en": series.name_en,
                    "jurisdiction_id": self.row(m.Jurisdiction, series.jurisdiction).pk,
                },
            )
        for model, items in [
            (m.Topic, vocab.topics),
            (m.EntityType, vocab.entity_types),
            (m.ProductType, vocab.product_types),
        ]:
            for entry in items:
                values: dict[str, Any] = {
                    "code": entry.code,
                    "name_zh": entry.name_zh,
                    "name_en": entry.name_en,
                }
                self.upsert(model, (entry.code,), values)
        for ordinal, stage in enumerate(vocab.product_stages, start=1):
            values = {
                "code": stage.code,
                "name_zh": stage.name_zh,
                "name_en": stage.name_en,
                "ordinal": ordinal,
            }
            self.upsert(m.ProductStage, (stage.code,), values)

    def write_agencies_and_sources(self) -> None:
        for item in self.data.agencies:
            self.upsert(
                m.Agency,
                (item.slug,),
                {
                    "slug": item.slug,
                    "jurisdiction_id": self.row(m.Jurisdiction, item.jurisdiction).pk,
                    "kind": item.kind,
                    "name_zh": item.name_zh,
                    "name_en": item.name_en,
                    "short_name_zh": item.short_name_zh,
                    "short_name_en": item.short_name_en,
                    "aliases": list(item.aliases),
                },
            )
        for source in self.data.sources:
            self.upsert(m.Source, (source.key,), source.model_dump())

    def write_document(self, item: DocumentIn) -> None:
        sources = self.rows[m.Source]
        document = self.upsert(
            m.Document,
            (item.slug,),
            {
                "slug": item.slug,
                "title_zh": item.title_zh,
                "title_en": item.title_en,
                "short_name_zh": item.short_name_zh,
                "short_name_en": item.short_name_en,
                "number": item.number,
                "jurisdiction_id": self.row(m.Jurisdiction, item.jurisdiction).pk,
                "series_id": self.row(m.Series, item.series).pk if item.series else None,
                "edition": item.edition,
                "signed_on": item.signed_on,
                "published_on": item.published_on,
                "effective_from": item.effective_from,
                "source_url": item.source_url or "",
                "ended_on": item.ended_on,
                "end_reason": item.end_reason or "",
                "summary_zh": item.summary_zh,
                "summary_en": item.summary_en,
                "source_id": sources[(item.source,)].pk,
                "grade": item.grade,
                "grade_note_zh": item.grade_note_zh,
                "grade_note_en": item.grade_note_en,
            },
        )
        self.write_issuers(document, item.issuers)
        inherited = Inherited(source_id=sources[(item.source,)].pk, grade=item.grade)
        for part in item.parts:
            section = self.upsert(
                m.Section,
                (document.pk, part.number),
                {
                    "document_id": document.pk,
                    "ordinal": part.number,
                    "title_zh": part.title_zh,
                    "title_en": part.title_en,
                },
            )
            for measure in part.measures:
                self.write_measure(document, section, measure, item, inherited)

    def write_issuers(self, document: m.Document, issuers: list[str]) -> None:
        wanted = [self.row(m.Agency, slug).pk for slug in issuers]
        if self.issuers.get(document.pk, []) != wanted:
            m.DocumentIssuer.objects.filter(document=document).delete()
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
    ) -> None:
        sources = self.rows[m.Source]
        provenance = parent.apply(item, sources)
        scope = item.applies_to.scope or document_item.jurisdiction
        if item.placement_grade:
            placement = (item.placement_grade, item.placement_note_zh, item.placement_note_en)
        elif item.placement_note_en:
            placement = (
                document_item.placement_grade,
                item.placement_note_zh,
                item.placement_note_en,
            )
        else:
            placement = (
                document_item.placement_grade,
                document_item.placement_note_zh,
                document_item.placement_note_en,
            )
        measure = self.upsert(
            m.Measure,
            (document.pk, item.number),
            {
                "document_id": document.pk,
                "number": item.number,
                "section_id": section.pk,
                "placement_grade": placement[0],
                "placement_note_zh": placement[1],
                "placement_note_en": placement[2],
                "title_zh": item.title_zh,
                "title_en": item.title_en,
                "summary_zh": item.summary_zh,
                "summary_en": item.summary_en,
                "scope_id": self.row(m.Jurisdiction, scope).pk,
                **provenance,
            },
        )
        codes = {
            "topics": item.topics,
            "entity_types": item.applies_to.entity_types,
            "stages": item.applies_to.stages,
        }
        for name, related in MEASURE_SETS.items():
            wanted = {self.row(related, code).pk for code in codes[name]}
            had = self.measure_sets[name].get(measure.pk, set())
            if had != wanted:
                self.sets_wanted[name][measure.pk] = wanted
                self.touched(measure)
                self.log.changed_set(measure, name, self.codes(related, had), codes[name])

        inherited = Inherited(provenance["source_id"], provenance["grade"])
        if item.eligibility:
            self.write_eligibility(measure, item.eligibility, scope, inherited)
        for role in item.agencies:
            agency_id = self.row(m.Agency, role.agency).pk
            self.upsert(
                m.MeasureAgency,
                (measure.pk, agency_id),
                {
                    "measure_id": measure.pk,
                    "agency_id": agency_id,
                    "role": role.role,
                    **inherited.apply(role, sources),
                },
            )
        for target in item.targets:
            values = target.model_dump(
                exclude={
                    "source",
                    "grade",
                    "grade_note_zh",
                    "grade_note_en",
                    "observations",
                    "continues",
                }
            )
            target_provenance = inherited.apply(target, sources)
            row = self.upsert(
                m.Target,
                (measure.pk, target.key),
                {"measure_id": measure.pk, **values, **target_provenance},
            )
            self.write_observations(
                row,
                target.observations,
                Inherited(target_provenance["source_id"], target_provenance["grade"]),
            )

    def write_measure_sets(self) -> None:
        """The members measures gained and lost, one DELETE and one INSERT per set whatever
        the number of measures (`.set()` costs three queries a measure). Bulk writes send no
        signal: the change log was told as each measure was written, the data version is
        bumped once the load is done."""
        for name, wanted_by_measure in self.sets_wanted.items():
            through = getattr(m.Measure, name).through
            column = f"{MEASURE_SETS[name]._meta.model_name}_id"
            had_by_measure, rows = self.measure_sets[name], self.set_rows[name]
            gone, new = [], []
            for measure_id, wanted in wanted_by_measure.items():
                had = had_by_measure.get(measure_id, set())
                gone += [rows[(measure_id, member)] for member in had - wanted]
                new += [
                    through(measure_id=measure_id, **{column: member})
                    for member in sorted(wanted - had)
                ]
            if gone:
                through.objects.filter(pk__in=gone).delete()
            through.objects.bulk_create(new)

    def write_eligibility(
        self, measure: m.Measure, item: EligibilityIn, scope: str, parent: Inherited
    ) -> None:
        locations = set(item.locations) or self.default_locations(scope)
        rule = self.upsert(
            m.Eligibility,
            (measure.pk,),
            {
                "measure_id": measure.pk,
                "class1_only": item.class1_only,
                **{f"for_{code}": code in locations for code in m.Location.values},
                "next_step_zh": item.next_step_zh,
                "next_step_en": item.next_step_en,
                "approach_id": self.row(m.Agency, item.approach).pk if item.approach else None,
                **parent.apply(item, self.rows[m.Source]),
            },
        )
        wanted = {self.row(m.ProductType, code).pk for code in item.product_types}
        if self.rule_product_types.get(rule.pk, set()) != wanted:
            rule.product_types.set(wanted)
            self.touched(rule)

    def default_locations(self, scope: str) -> set[str]:
        """A national measure helps firms wherever they are; a local one, firms located there
        (the finder's locations name Beijing and, for any other local jurisdiction, the rest of
        China)."""
        jurisdiction = self.row(m.Jurisdiction, scope)
        if jurisdiction.level == m.JurisdictionLevel.NATIONAL:
            return set(m.Location.values)
        if jurisdiction.code == m.Location.BEIJING:
            return {m.Location.BEIJING}
        return {m.Location.CHINA_OTHER}

    def write_observations(
        self, target: m.Target, items: list[ObservationIn], parent: Inherited
    ) -> None:
        for item in items:
            recorded = self.rows[m.Observation].get((target.pk, item.observed_on))
            if recorded is not None and recorded.origin != m.ObservationOrigin.REFERENCE:
                continue  # an editor's or an ingested value for that day stays as recorded
            self.upsert(
                m.Observation,
                (target.pk, item.observed_on),
                {
                    "target_id": target.pk,
                    "observed_on": item.observed_on,
                    "value": item.value,
                    "note_zh": item.note_zh,
                    "note_en": item.note_en,
                    "source_url": "",
                    "origin": m.ObservationOrigin.REFERENCE,
                    **parent.apply(item, self.rows[m.Source]),
                },
            )

    # -- links --------------------------------------------------------------------------------

    def write_links(self, item: DocumentIn) -> None:
        inherited = Inherited(self.row(m.Source, item.source).pk, item.grade)
        document = self.row(m.Document, item.slug)
        for part in item.parts:
            section = self.row(m.Section, document.pk, part.number)
            for part_link in part.links:
                older_part = self.section(part_link.part) if part_link.part else None
                relation = part_link.relation
                self.write_link(SectionLink, older_part, section, relation, part_link, inherited)
            for measure_item in part.measures:
                measure = self.row(m.Measure, document.pk, measure_item.number)
                for link in measure_item.links:
                    older = self.measure(link.measure) if link.measure else None
                    self.write_link(MeasureLink, older, measure, link.relation, link, inherited)
                self.write_target_links(measure, measure_item, item)
        for dropped in item.dropped:
            gone = self.measure(dropped.measure)
            dropped_relation = MeasureRelation.DROPPED
            self.write_link(MeasureLink, gone, None, dropped_relation, dropped, inherited)
        for removed in item.removed_parts:
            gone_part = self.section(removed.part)
            removed_relation = SectionRelation.REMOVED
            self.write_link(SectionLink, gone_part, None, removed_relation, removed, inherited)

    def write_link(self, model, older, newer, relation: str, item, parent: Inherited) -> None:
        older_id = older.pk if older else None
        newer_id = newer.pk if newer else None
        self.upsert(
            model,
            _link_key(older_id, newer_id, relation),
            {
                "older_id": older_id,
                "newer_id": newer_id,
                "relation": relation,
                "status": LinkStatus.CURATED,
                "score": None,
                "note_zh": item.note_zh,
                "note_en": item.note_en,
                **parent.apply(item, self.rows[m.Source]),
            },
        )

    def write_target_links(
        self, measure: m.Measure, item: MeasureIn, document_item: DocumentIn
    ) -> None:
        """`continues:` on a target: a curated TargetLink from the earlier target to it, with
        the provenance it states, else the target's (which cascades from its measure)."""
        sources = self.rows[m.Source]
        measure_source = item.source or document_item.source
        measure_grade = item.grade or document_item.grade
        for target in item.targets:
            if target.continues is None:
                continue
            newer = self.row(m.Target, measure.pk, target.key)
            public_id, _, key = target.continues.target.partition("#")
            older = self.row(m.Target, self.measure(public_id).pk, key)
            parent = Inherited(
                sources[(target.source or measure_source,)].pk, target.grade or measure_grade
            )
            self.upsert(
                TargetLink,
                (older.pk, newer.pk),
                {
                    "older_id": older.pk,
                    "newer_id": newer.pk,
                    "relation": TargetLink.Relation.CONTINUES,
                    "status": LinkStatus.CURATED,
                    "score": None,
                    "note_zh": target.continues.note_zh,
                    "note_en": target.continues.note_en,
                    **parent.apply(target.continues, sources),
                },
            )

    def write_milestones(self) -> None:
        for item in self.data.milestones:
            measure = self.measure(item.measure)
            self.upsert(
                m.Milestone,
                (measure.pk, item.key),
                {
                    "measure_id": measure.pk,
                    "key": item.key,
                    "title_zh": item.title_zh,
                    "title_en": item.title_en,
                    "status": item.status,
                    "status_on": item.status_on,
                    "evidence_url": item.evidence_url or "",
                    "note_zh": item.note_zh,
                    "note_en": item.note_en,
                    "origin": m.ObservationOrigin.REFERENCE,
                    "source_id": self.row(m.Source, item.source).pk,
                    "grade": item.grade,
                    "grade_note_zh": item.grade_note_zh,
                    "grade_note_en": item.grade_note_en,
                },
            )

    def codes(self, model: type[models.Model], pks: Iterable[int]) -> list[str]:
        """The stable ids of rows of a vocabulary (or of agencies), by pk."""
        if model not in self.code_of:
            self.code_of[model] = {row.pk: key[0] for key, row in self.rows[model].items()}
        return [str(self.code_of[model][pk]) for pk in pks]

    def record_measure_agencies(self) -> None:
        """A measure's agencies and their roles are a field of the measure in the change log
        (`slug:role` codes): compared once every role is written, before unlisted roles go."""
        before: dict[int, set[str]] = defaultdict(set)
        after: dict[int, set[str]] = defaultdict(set)
        slugs = {row.pk: key[0] for key, row in self.rows[m.Agency].items()}
        for row in self.rows[m.MeasureAgency].values():
            code = f"{slugs[row.agency_id]}:{row.role}"
            if row.pk in self.seen[m.MeasureAgency]:
                after[row.measure_id].add(code)
            if self.outcome.get((m.MeasureAgency, row.pk)) != "created":
                # As read at the start: a role changed since has its old value in `roles_read`.
                before[row.measure_id].add(
                    f"{slugs[row.agency_id]}:{self.roles_read.get(row.pk, row.role)}"
                )
        measures = {row.pk: row for row in self.rows[m.Measure].values()}
        for measure_id in before.keys() | after.keys():
            # A measure going is recorded as removed, not as losing its agencies.
            if measure_id in self.seen[m.Measure]:
                self.log.changed_set(
                    measures[measure_id], "agencies", before[measure_id], after[measure_id]
                )

    def measure(self, public_id: str) -> m.Measure:
        slug, _, number = public_id.rpartition("/")
        return self.row(m.Measure, self.row(m.Document, slug).pk, int(number))

    def section(self, part_id: str) -> m.Section:
        slug, _, ordinal = part_id.rpartition("/")
        return self.row(m.Section, self.row(m.Document, slug).pk, int(ordinal))

    # -- what the files no longer list --------------------------------------------------------

    def delete_unlisted(self) -> None:
        """Rows of the loaded documents that no file lists, children first; curated links too.

        Only rows read at the start can be unlisted, and those were all read for documents in
        the files (or are curated links), so nothing outside the files' reach is deleted.
        """
        observations = [
            row.pk
            for row in self.rows[m.Observation].values()
            if row.origin == m.ObservationOrigin.REFERENCE
        ]
        self.delete(m.Observation, observations)
        self.delete(m.Milestone, [row.pk for row in self.rows[m.Milestone].values()])
        curated = [row.pk for row in self.rows[TargetLink].values() if row.status == "curated"]
        self.delete(TargetLink, curated)  # before the targets, whose deletion cascades to them
        for owned in (m.MeasureAgency, m.Eligibility, m.Target):
            self.delete(owned, [row.pk for row in self.rows[owned].values()])
        for link_model in (MeasureLink, SectionLink):
            curated = [row.pk for row in self.rows[link_model].values() if row.status == "curated"]
            self.delete(link_model, curated)
        for parent in (m.Measure, m.Section):
            self.delete(parent, [row.pk for row in self.rows[parent].values()])

    def delete(self, model: type[models.Model], candidates: list[int]) -> None:
        unlisted = [pk for pk in candidates if pk not in self.seen[model]]
        if unlisted:
            if model in OBJECT_KINDS:
                by_pk = {row.pk: row for row in self.rows[model].values()}
                self.log.removed(by_pk[pk] for pk in unlisted)
            model._default_manager.filter(pk__in=unlisted).delete()
            self.deleted[model].update(unlisted)
            self.report.add(model, "deleted", len(unlisted))
