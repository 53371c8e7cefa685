"""Read referencedata/data/ and check all of it before anything is written.

The pipeline: parse each YAML file; check it against its schema (`schema.py`); then check what
spans records and files — unique ids, contiguous numbering, declared counts, and that every
reference (jurisdiction, agency, topic, source, linked measure) resolves. Every problem found is
reported, one line each, naming the file, the record, the field and what is wrong; the data is
returned only when there is none.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from measures.chronology import chronology_problem, document_date
from measures.citations import cited_keys
from measures.models import Grade, SourceKind
from measures.validity import takes_effect

from .schema import (
    AgenciesFile,
    AgencyIn,
    ContinuesIn,
    DocumentIn,
    EligibilityIn,
    MeasureIn,
    MilestoneIn,
    MilestonesFile,
    ObservationIn,
    PartIn,
    ProvenanceIn,
    SourceIn,
    SourcesFile,
    TargetIn,
    VocabulariesFile,
)
from .typography import ascii_punctuation

VOCABULARIES = "vocabularies.yaml"
AGENCIES = "agencies.yaml"
SOURCES = "sources.yaml"
MILESTONES = "milestones.yaml"  # optional
DOCUMENTS = "documents"


@dataclass(frozen=True)
class Problem:
    file: str
    record: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.record}: {self.field}: {self.message}"


class InvalidReferenceData(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the reference data")
        self.problems = problems


@dataclass(frozen=True)
class ReferenceData:
    vocabularies: VocabulariesFile
    agencies: list[AgencyIn]
    sources: list[SourceIn]
    documents: list[DocumentIn]
    milestones: list[MilestoneIn] = dataclasses.field(default_factory=list)


Schema = TypeVar("Schema", bound=BaseModel)


def read_reference_data(data_dir: Path) -> ReferenceData:
    """Everything in `data_dir`, checked; raises InvalidReferenceData listing every problem."""
    problems: list[Problem] = []

    def parse(path: Path, schema: type[Schema]) -> Schema | None:
        name = path.relative_to(data_dir.parent).as_posix()
        raw = _load_yaml(path, name, problems)
        if raw is None:
            return None
        try:
            return schema.model_validate(raw)
        except ValidationError as error:
            problems.extend(_schema_problems(error, raw, name))
            return None

    vocabularies = parse(data_dir / VOCABULARIES, VocabulariesFile)
    agencies = parse(data_dir / AGENCIES, AgenciesFile)
    sources = parse(data_dir / SOURCES, SourcesFile)
    document_paths = sorted((data_dir / DOCUMENTS).glob("*.yaml"))
    if not document_paths:
        problems.append(Problem(f"{data_dir.name}/{DOCUMENTS}", "-", "-", "no document files"))
    documents = {path: parse(path, DocumentIn) for path in document_paths}
    milestones = (
        parse(data_dir / MILESTONES, MilestonesFile)
        if (data_dir / MILESTONES).exists()
        else MilestonesFile()
    )

    # parse() returns None only after recording a problem.
    if problems or vocabularies is None or agencies is None or sources is None:
        raise InvalidReferenceData(problems)
    data = ReferenceData(
        vocabularies=vocabularies,
        agencies=agencies.agencies,
        sources=sources.sources,
        documents=[document for document in documents.values() if document],
        milestones=milestones.milestones if milestones else [],
    )
    names = {
        document.slug: path.relative_to(data_dir.parent).as_posix()
        for path, document in documents.items()
        if document
    }
    problems.extend(_CrossCheck(data, data_dir.name, names).problems())
    if problems:
        raise InvalidReferenceData(problems)
    return data


# libyaml's parser (PyYAML's wheels carry it) reads the data about ten times faster than the
# pure-Python one, which was a third of a load; the constructors, and so the values, are the same.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _DataLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """PyYAML's safe loader, except that an unquoted date that is no date (`2025-02-30`) stays
    the text it is, so the schema reports it with its file, record and field instead of the
    loader raising a bare ValueError from deep inside."""


def _timestamp_or_text(loader: _DataLoader, node: yaml.ScalarNode) -> Any:
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:  # day, month, hour or offset out of range; year 0
        return loader.construct_scalar(node)


_DataLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)


def _load_yaml(path: Path, name: str, problems: list[Problem]) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(Problem(name, "-", "-", "file is missing"))
        return None
    except (OSError, UnicodeDecodeError) as error:
        problems.append(Problem(name, "-", "-", f"cannot be read as UTF-8 text: {error}"))
        return None
    try:
        raw = yaml.load(text, Loader=_DataLoader)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "-"
        reason = getattr(error, "problem", None) or str(error)
        problems.append(Problem(name, where, "-", f"malformed YAML: {reason}"))
        return None
    if not isinstance(raw, dict):
        problems.append(Problem(name, "-", "-", "expected a mapping of fields at the top level"))
        return None
    return raw


def _schema_problems(error: ValidationError, raw: dict, name: str) -> Iterator[Problem]:
    for detail in error.errors():
        record, field = _locate(raw, detail["loc"])
        message = detail["msg"]
        if detail["type"] == "value_error":  # our own validators: their words, not the record
            message = str(detail.get("ctx", {}).get("error", message))
        elif detail["type"] == "extra_forbidden":
            message = "unknown field"
        elif detail["type"] != "missing" and "input" in detail:
            message += f" (got {detail['input']!r})"
        yield Problem(name, record, field, message)


def _locate(raw: Any, loc: tuple[int | str, ...]) -> tuple[str, str]:
    """Turn a schema error location into the record it concerns and the field within it.

    (`parts`, 1, `measures`, 3, `title_en`) in national-2025 → (`national-2025/8`, `title_en`).
    """
    slug = raw.get("slug") if isinstance(raw, dict) and isinstance(raw.get("slug"), str) else None
    record, node, rest = slug or "-", raw, list(loc)
    while len(rest) >= 2 and isinstance(rest[1], int):
        key, index = str(rest[0]), rest[1]
        items = node.get(key) if isinstance(node, dict) else None
        node = items[index] if isinstance(items, list) and index < len(items) else None
        label = _label(key, node, index)
        if key == "measures":
            record = f"{slug}/{label}"
        elif record == "-":
            record = f"{key} {label}"
        else:
            record = f"{record} {label}"
        rest = rest[2:]
    return record, ".".join(str(part) for part in rest) or "-"


def _label(key: str, item: Any, index: int) -> str:
    fields = item if isinstance(item, dict) else {}
    if key == "parts":
        return f"part {fields.get('number', index + 1)}"
    if key == "measures":
        return str(fields.get("number", f"#{index + 1}"))
    if key == "targets":
        return f"target {fields.get('key', index + 1)}"
    if key == "agencies" and "agency" in fields:
        return f"agency {fields['agency']}"
    for name in ("code", "slug", "key", "measure", "part"):
        if name in fields:
            return str(fields[name])
    return f"{key}[{index}]"


def _texts(node: Any, loc: tuple[int | str, ...] = ()) -> Iterator[tuple[tuple, str]]:
    """Every text field of a record and of the records inside it, with its location."""
    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _texts(getattr(node, name), (*loc, name))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _texts(item, (*loc, index))
    elif isinstance(node, str) and loc:
        yield loc, node


def _duplicates(values: Iterable[Any]) -> list[Any]:
    return [value for value, count in Counter(values).items() if count > 1]


class _CrossCheck:
    """Checks that need more than one record: ids, numbering, counts, references."""

    def __init__(self, data: ReferenceData, folder: str, names: dict[str, str]) -> None:
        self.data = data
        self.folder = folder
        self.names = names
        self.found: list[Problem] = []
        vocab = data.vocabularies
        self.jurisdictions = {item.code for item in vocab.jurisdictions}
        self.series = {item.slug for item in vocab.series}
        self.topics = {item.code for item in vocab.topics}
        self.entity_types = {item.code for item in vocab.entity_types}
        self.stages = {item.code for item in vocab.product_stages}
        self.product_types = {item.code for item in vocab.product_types}
        self.agencies = {item.slug for item in data.agencies}
        self.sources = {item.key for item in data.sources}
        self.source_kinds = {item.key: item.kind for item in data.sources}
        self.source_dates = {item.key: item.published_on for item in data.sources}
        self.ended = self.ended_on(data.documents)
        self.measures = {
            f"{document.slug}/{measure.number}": document.slug
            for document in data.documents
            for part in document.parts
            for measure in part.measures
        }
        self.parts = {
            f"{document.slug}/{part.number}": document.slug
            for document in data.documents
            for part in document.parts
        }
        self.dates = {document.slug: document_date(document) for document in data.documents}
        self.targets = {
            f"{document.slug}/{measure.number}#{target.key}"
            for document in data.documents
            for part in document.parts
            for measure in part.measures
            for target in measure.targets
        }

    @staticmethod
    def ended_on(documents: list[DocumentIn]) -> dict[str, tuple[date, str]]:
        """Each document that stopped being in force → the day it stopped and why: the day
        the next edition of its series (same series, the next higher edition) took effect
        (its effective_from, else published_on, else signed_on), or its stated end, whichever
        came first (measures/validity.py)."""
        editions: dict[str, list[DocumentIn]] = {}
        for document in documents:
            if document.series and document.edition is not None:
                editions.setdefault(document.series, []).append(document)
        successors: dict[str, DocumentIn] = {}
        for series in editions.values():
            series.sort(key=lambda document: document.edition or 0)
            for older, newer in itertools.pairwise(series):
                successors[older.slug] = newer
        ended = {}
        for document in documents:
            successor = successors.get(document.slug)
            took_effect = takes_effect(successor) if successor else None
            ends = []
            if successor and took_effect:
                ends.append((took_effect, f"when {successor.slug} took effect and superseded it"))
            if document.ended_on:
                ends.append((document.ended_on, f"its stated end ({document.end_reason})"))
            if ends:
                ended[document.slug] = min(ends)
        return ended

    def problems(self) -> list[Problem]:
        self.check_texts()
        self.check_vocabularies()
        self.check_agencies_and_sources()
        self.check_documents_are_unique()
        for document in self.data.documents:
            self.check_document(document)
        self.check_milestones()
        return self.found

    def add(self, file: str, record: str, field: str, message: str) -> None:
        self.found.append(Problem(file, record, field, message))

    def expect(
        self, known: set[str], value: str | None, what: str, file: str, record: str, field: str
    ) -> None:
        if value is not None and value not in known:
            self.add(file, record, field, f"unknown {what} {value!r}")

    def check_texts(self) -> None:
        """In every file: Chinese text uses Chinese punctuation, and every `{key}` a note
        cites is a source."""
        files: list[tuple[str, BaseModel, dict]] = [
            (f"{self.folder}/{VOCABULARIES}", self.data.vocabularies, {}),
            (f"{self.folder}/{AGENCIES}", AgenciesFile(agencies=self.data.agencies), {}),
            (f"{self.folder}/{SOURCES}", SourcesFile(sources=self.data.sources), {}),
            (f"{self.folder}/{MILESTONES}", MilestonesFile(milestones=self.data.milestones), {}),
        ]
        files += [(self.names[d.slug], d, {"slug": d.slug}) for d in self.data.documents]
        for file, content, top in files:
            raw = content.model_dump(mode="json") | top
            for loc, text in _texts(content):
                field = str(loc[-1])
                if field.endswith("_zh") and (marks := ascii_punctuation(text)):
                    record, name = _locate(raw, loc)
                    shown = ", ".join(repr(mark) for mark in marks[:3])
                    self.add(file, record, name, f"ASCII punctuation in Chinese text: {shown}")
                if "note" in field:
                    for key in cited_keys(text):
                        if key not in self.sources:
                            record, name = _locate(raw, loc)
                            self.add(file, record, name, f"cites an unknown source {{{key}}}")

    def check_vocabularies(self) -> None:
        file = f"{self.folder}/{VOCABULARIES}"
        vocab = self.data.vocabularies
        for section, codes in [
            ("jurisdictions", [item.code for item in vocab.jurisdictions]),
            ("series", [item.slug for item in vocab.series]),
            ("topics", [item.code for item in vocab.topics]),
            ("entity_types", [item.code for item in vocab.entity_types]),
            ("product_stages", [item.code for item in vocab.product_stages]),
            ("product_types", [item.code for item in vocab.product_types]),
        ]:
            for code in _duplicates(codes):
                self.add(file, f"{section} {code}", "code", "defined more than once")
        seen: set[str] = set()
        for item in vocab.jurisdictions:
            if item.parent is not None and item.parent not in seen:
                self.add(
                    file,
                    f"jurisdictions {item.code}",
                    "parent",
                    f"{item.parent!r} must be defined above it",
                )
            seen.add(item.code)
        for series in vocab.series:
            self.expect(
                self.jurisdictions,
                series.jurisdiction,
                "jurisdiction",
                file,
                f"series {series.slug}",
                "jurisdiction",
            )

    def check_agencies_and_sources(self) -> None:
        file = f"{self.folder}/{AGENCIES}"
        for slug in _duplicates(item.slug for item in self.data.agencies):
            self.add(file, slug, "slug", "defined more than once")
        for item in self.data.agencies:
            self.expect(
                self.jurisdictions,
                item.jurisdiction,
                "jurisdiction",
                file,
                item.slug,
                "jurisdiction",
            )
        for key in _duplicates(item.key for item in self.data.sources):
            self.add(f"{self.folder}/{SOURCES}", key, "key", "defined more than once")

    def check_documents_are_unique(self) -> None:
        for slug in _duplicates(document.slug for document in self.data.documents):
            self.add(f"{self.folder}/{DOCUMENTS}", slug, "slug", "used by more than one file")
        editions = [(d.series, d.edition) for d in self.data.documents if d.series]
        for series, edition in _duplicates(editions):
            self.add(
                f"{self.folder}/{DOCUMENTS}",
                f"{series} edition {edition}",
                "edition",
                "more than one document is this edition",
            )

    def check_grade(
        self, file: str, record: str, item: ProvenanceIn, parent: tuple[str, str]
    ) -> tuple[str, str]:
        """A fact may be graded `official` only on an official text (or a full repost of one).

        Returns the fact's effective (source, grade), which its own records inherit.
        """
        source = item.source or parent[0]
        grade = item.grade or parent[1]
        kind = self.source_kinds.get(source)
        if grade == Grade.OFFICIAL and kind == SourceKind.SECONDARY:
            self.add(
                file,
                record,
                "grade",
                f"graded official but its source {source!r} is a secondary report",
            )
        return source, grade

    def check_milestones(self) -> None:
        file = f"{self.folder}/{MILESTONES}"
        for measure, key in _duplicates((item.measure, item.key) for item in self.data.milestones):
            self.add(file, f"{measure} milestone {key}", "key", "defined more than once")
        for item in self.data.milestones:
            record = f"{item.measure} milestone {item.key}"
            self.expect(set(self.measures), item.measure, "measure", file, record, "measure")
            self.expect(self.sources, item.source, "source", file, record, "source")
            self.check_grade(file, record, item, (item.source, item.grade))

    def check_document(self, document: DocumentIn) -> None:
        file, slug = self.names[document.slug], document.slug
        self.check_grade(file, slug, document, (document.source, document.grade))
        if Path(file).stem != slug:
            self.add(file, slug, "slug", f"file name should be {slug}.yaml")
        self.expect(
            self.jurisdictions, document.jurisdiction, "jurisdiction", file, slug, "jurisdiction"
        )
        self.expect(self.series, document.series, "series", file, slug, "series")
        self.expect(self.sources, document.source, "source", file, slug, "source")
        for issuer in document.issuers:
            self.expect(self.agencies, issuer, "agency", file, slug, "issuers")
        for issuer in _duplicates(document.issuers):
            self.add(file, slug, "issuers", f"{issuer!r} is listed more than once")
        if (
            document.signed_on
            and document.published_on
            and (document.published_on < document.signed_on)
        ):
            self.add(file, slug, "published_on", "is before signed_on")

        for position, part in enumerate(document.parts, start=1):
            if part.number != position:
                self.add(
                    file,
                    f"{slug} part {part.number}",
                    "number",
                    f"parts must be numbered 1, 2, 3, … in order; expected {position}",
                )
            self.check_part(file, document, part)

        expected = 1
        for part in document.parts:
            for measure in part.measures:
                if measure.number != expected:
                    self.add(
                        file,
                        f"{slug}/{measure.number}",
                        "number",
                        f"measures must be numbered through the document without gaps "
                        f"or repeats; expected {expected}",
                    )
                expected = measure.number + 1
        actual = sum(len(part.measures) for part in document.parts)
        if actual != document.measure_count:
            self.add(
                file,
                slug,
                "measure_count",
                f"the document declares {document.measure_count} measures "
                f"but the file has {actual}",
            )
        for item in document.dropped:
            record = f"{slug} dropped {item.measure}"
            self.expect(set(self.measures), item.measure, "measure", file, record, "measure")
            self.expect(self.sources, item.source, "source", file, record, "source")
            if self.measures.get(item.measure) == slug:
                self.add(file, record, "measure", "a document cannot drop its own measure")
        for removed in document.removed_parts:
            record = f"{slug} removed {removed.part}"
            self.expect(set(self.parts), removed.part, "part", file, record, "part")
            if self.parts.get(removed.part) == slug:
                self.add(file, record, "part", "a document cannot remove its own part")

    def check_part(self, file: str, document: DocumentIn, part: PartIn) -> None:
        record = f"{document.slug} part {part.number}"
        if len(part.measures) != part.measure_count:
            self.add(
                file,
                record,
                "measure_count",
                f"the part declares {part.measure_count} measures but lists {len(part.measures)}",
            )
        for link in part.links:
            self.expect(set(self.parts), link.part, "part", file, record, "links.part")
            self.expect(self.sources, link.source, "source", file, record, "links.source")
            if link.part and self.parts.get(link.part) == document.slug:
                self.add(file, record, "links.part", "a part cannot link to its own document")
        for measure in part.measures:
            self.check_measure(file, document, measure)

    def check_measure(self, file: str, document: DocumentIn, measure: MeasureIn) -> None:
        record = f"{document.slug}/{measure.number}"
        self.expect(self.sources, measure.source, "source", file, record, "source")
        provenance = self.check_grade(file, record, measure, (document.source, document.grade))
        for role in measure.agencies:
            self.check_grade(file, f"{record} agency {role.agency}", role, provenance)
        for link in measure.links:
            self.check_grade(file, f"{record} link {link.measure}", link, provenance)
        for target in measure.targets:
            target_record = f"{record} target {target.key}"
            target_provenance = self.check_grade(file, target_record, target, provenance)
            if target.continues:
                where = f"{target_record} continues"
                self.check_grade(file, where, target.continues, target_provenance)
            for when in _duplicates(item.observed_on for item in target.observations):
                self.add(
                    file, target_record, "observations", f"more than one observation on {when}"
                )
            for item in target.observations:
                where = f"{target_record} observation {item.observed_on}"
                self.expect(self.sources, item.source, "source", file, where, "source")
                self.check_grade(file, where, item, target_provenance)
                self.check_observation_date(
                    file, where, document, target, item, target_provenance[0]
                )
        for topic in measure.topics:
            self.expect(self.topics, topic, "topic", file, record, "topics")
        applies = measure.applies_to
        for code in applies.entity_types:
            self.expect(
                self.entity_types, code, "entity type", file, record, "applies_to.entity_types"
            )
        for code in applies.stages:
            self.expect(self.stages, code, "product stage", file, record, "applies_to.stages")
        self.expect(
            self.jurisdictions, applies.scope, "jurisdiction", file, record, "applies_to.scope"
        )
        if measure.eligibility:
            self.check_eligibility(file, record, measure, measure.eligibility, provenance)
        for field, values in [
            ("topics", measure.topics),
            ("applies_to.entity_types", applies.entity_types),
            ("applies_to.stages", applies.stages),
            ("agencies", [role.agency for role in measure.agencies]),
            ("targets", [target.key for target in measure.targets]),
        ]:
            for value in _duplicates(values):
                self.add(file, record, field, f"{value!r} is listed more than once")
        for role in measure.agencies:
            self.expect(self.agencies, role.agency, "agency", file, record, "agencies.agency")
            self.expect(self.sources, role.source, "source", file, record, "agencies.source")
        if measure.agencies and not any(role.role == "lead" for role in measure.agencies):
            self.add(file, record, "agencies", "no agency has the role lead")
        for target in measure.targets:
            self.expect(
                self.sources,
                target.source,
                "source",
                file,
                f"{record} target {target.key}",
                "source",
            )
            if target.continues:
                where = f"{record} target {target.key}"
                self.check_continues(file, document, where, target.continues)
        for link in measure.links:
            self.expect(set(self.measures), link.measure, "measure", file, record, "links.measure")
            self.expect(self.sources, link.source, "source", file, record, "links.source")
            if link.measure and self.measures.get(link.measure) == document.slug:
                self.add(file, record, "links.measure", "a measure cannot link to its own document")
            elif link.measure in self.measures:
                self.check_chronology(file, document, record, link.measure, link.relation)

    def check_chronology(
        self, file: str, document: DocumentIn, record: str, other: str, relation: str
    ) -> None:
        """A relation must not run backwards in time (`measures/chronology.py`)."""
        older = self.measures[other]
        problem = chronology_problem(
            relation, self.dates.get(older), self.dates.get(document.slug), older, document.slug
        )
        if problem:
            self.add(file, f"{record} link {other}", "relation", problem)

    def check_continues(
        self, file: str, document: DocumentIn, record: str, continues: ContinuesIn
    ) -> None:
        """`continues.target: <document>/<number>#<key>` names a target of an earlier document."""
        older_id = continues.target
        self.expect(self.sources, continues.source, "source", file, record, "continues.source")
        measure_id = older_id.partition("#")[0]
        if older_id not in self.targets:
            self.add(file, record, "continues.target", f"unknown target {older_id!r}")
            return
        older = self.measures[measure_id]
        if older == document.slug:
            message = "a target cannot continue one of its own document"
            self.add(file, record, "continues.target", message)
            return
        problem = chronology_problem(
            "continued", self.dates.get(older), self.dates.get(document.slug), older, document.slug
        )
        if problem:
            self.add(file, record, "continues.target", problem)

    def check_observation_date(
        self,
        file: str,
        where: str,
        document: DocumentIn,
        target: TargetIn,
        item: ObservationIn,
        inherited_source: str | None,
    ) -> None:
        """An observation's date is the date its value stands for (the end of the period it
        measures): within the target's life, and no later than its source could know."""
        on = item.observed_on
        start, since = target.baseline_date, "the target's baseline_date"
        if start is None:
            start = takes_effect(document)
            since = f"the day {document.slug} took effect"
        if start and on < start:
            self.add(
                file,
                where,
                "observed_on",
                f"{on} is before the target's start, {start} ({since})",
            )
        source = item.source or inherited_source
        published = self.source_dates.get(source) if source else None
        if published and on > published:
            self.add(
                file,
                where,
                "observed_on",
                f"{on} is after its source {source!r} was published, {published}: a source "
                f"cannot report a value for a later date",
            )
        if document.slug in self.ended:
            ended, why = self.ended[document.slug]
            if on >= ended:
                self.add(
                    file,
                    where,
                    "observed_on",
                    f"{on} is not before {ended}, when {document.slug} stopped being in force "
                    f"({why})",
                )

    def check_eligibility(
        self,
        file: str,
        record: str,
        measure: MeasureIn,
        rule: EligibilityIn,
        provenance: tuple[str, str],
    ) -> None:
        where = f"{record} eligibility"
        self.check_grade(file, where, rule, provenance)
        self.expect(self.sources, rule.source, "source", file, where, "source")
        self.expect(self.agencies, rule.approach, "agency", file, where, "approach")
        for code in rule.product_types:
            self.expect(self.product_types, code, "product type", file, where, "product_types")
        listed: list[tuple[str, Sequence[str]]] = [
            ("product_types", rule.product_types),
            ("locations", rule.locations),
        ]
        for field, values in listed:
            for value in _duplicates(values):
                self.add(file, where, field, f"{value!r} is listed more than once")
        if not measure.applies_to.entity_types:
            # The finder matches a firm by entity type first; a rule for nobody finds no one.
            self.add(file, where, "-", "a rule needs applies_to.entity_types to say who it is for")
