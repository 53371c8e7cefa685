"""Bring a document in from a file: preview what the importer finds, then write it.

`preview()` reads the file (decoding.py, htmltext.py), builds the names to look for from the
database (agencies of the document's jurisdiction and the national ones; entity types),
parses (parser.py), and plans: if the document is already in the data — named by the editor, or
matched by 文号 or title — it compares the text with the curated rows and lists what the text
confirms and every disagreement; otherwise it checks that a new document can be written (a
jurisdiction, a free slug). Nothing is written. `apply()` writes a preview in one transaction:

- a new document: the document, its issuers, parts, measures with their full text, targets and
  responsible agencies, all graded `official` (the text is the official one);
- an existing one: each measure's `full_text` is filled, and every fact the text confirms
  (document, measure content and placement, targets, agency roles) is raised to `official`,
  with the import as its basis. Curated values are never changed; disagreements are reported.

The basis: with a URL for the file (`source_url`), a Source of kind `official` for that URL;
without one, no source, and the grade note names the file, its SHA-256 and the import run.
Everything `apply()` writes to the change log's models is recorded there as process
`import run <id>`, by the editor who applied it, in the same transaction.
`load_policies` leaves `full_text` alone, but restores the grades its files state: to keep a
raised grade, record the official source in referencedata/data/ as well (README, "Importing").
"""

from __future__ import annotations

import gc
import hashlib
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext

from caching.dataversion import bump
from measures import models as m
from measures.changelog import OBJECT_KINDS, ChangeLog, recording, values_of

from .decoding import Decoded, ImportInputError, decode
from .extract import Lexicon, TargetFound, Term
from .htmltext import html_to_text
from .models import ImportRun, ImportStatus
from .normalise import comparable, document_number_key
from .parser import (
    Header,
    MeasureParsed,
    ParseReport,
    Problem,
    Severity,
    parse_document,
    parse_header,
)

# Rows per INSERT when writing a new document: a 4,000-measure notice in a few statements per
# table, each well below PostgreSQL's 65,535 parameters (SQLite's backend batches smaller).
BATCH = 1000

# Names texts use for the kinds of organisation a measure concerns, beyond EntityType.name_zh.
ENTITY_TERMS: dict[str, str] = {
    "创新药企业": "innovative_drug_firm",
    "医药企业": "innovative_drug_firm",
    "药品生产企业": "innovative_drug_firm",
    "生物医药企业": "innovative_drug_firm",
    "创新医药企业": "innovative_drug_firm",
    "医疗器械企业": "device_firm",
    "创新医疗器械企业": "device_firm",
    "医疗机构": "hospital",
    "定点医疗机构": "hospital",
    "医院": "hospital",
    "零售药店": "pharmacy",
    "定点零售药店": "pharmacy",
    "医药流通企业": "wholesaler",
    "配送企业": "wholesaler",
    "商业健康保险公司": "commercial_insurer",
    "保险公司": "commercial_insurer",
    "商业保险机构": "commercial_insurer",
    "投资机构": "investor",
    "社会资本": "investor",
    "科研院所": "research_institute",
    "高校": "research_institute",
    "境外上市许可持有人": "foreign_mah",
    "合同研究组织": "cro_cdmo",
    "CRO": "cro_cdmo",
    "CDMO": "cro_cdmo",
}


@dataclass
class Disagreement:
    """Something the text says that the curated data says otherwise, for an editor to settle."""

    where: str  # a measure's public id, a part, or the document
    field: str  # number, part, title, target, agency, document, …
    curated: str
    text: str

    def __str__(self) -> str:
        return gettext("%(where)s: %(field)s: the data says %(curated)s, the text %(text)s") % {
            "where": self.where,
            "field": self.field,
            "curated": self.curated,
            "text": self.text,
        }


@dataclass
class Preview:
    """What applying would do; `problems` with an error block it."""

    file_name: str
    sha256: str
    size: int
    decoded: Decoded
    report: ParseReport
    source_url: str = ""
    document: m.Document | None = None  # the curated document to reconcile with
    matched_by: str = ""
    jurisdiction: m.Jurisdiction | None = None
    slug: str = ""  # of the new document
    problems: list[Problem] = field(default_factory=list)
    disagreements: list[Disagreement] = field(default_factory=list)
    confirmed: list[str] = field(default_factory=list)  # facts raised to official
    notes: list[str] = field(default_factory=list)  # added by the text, for an editor's eye
    # (model, pk, field values) to write when reconciling
    updates: list[tuple[type[models.Model], int, dict[str, Any]]] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity == Severity.ERROR]

    @property
    def mode(self) -> str:
        return "reconcile" if self.document else "create"

    def to_dict(self) -> dict[str, Any]:
        data = self.report.to_dict()
        data.pop("problems")
        return {
            "file": {"name": self.file_name, "sha256": self.sha256, "size": self.size},
            "encoding": self.decoded.encoding,
            "format": "html" if self.decoded.is_html else "text",
            "mode": self.mode,
            "document": self.document.slug if self.document else self.slug,
            "matched_by": self.matched_by,
            "jurisdiction": self.jurisdiction.code if self.jurisdiction else None,
            **data,
            "problems": [
                {"severity": p.severity, "where": p.where, "message": p.message}
                for p in self.problems
            ],
            "disagreements": [vars(d) for d in self.disagreements],
            "confirmed": self.confirmed,
            "notes": self.notes,
        }


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the block (planning, writing). A long
    document's parse is a hundred thousand objects, and writing it makes tens of thousands more
    while the parse is alive: each of the collector's full passes walked them all, a sixth of a
    4,000-measure import's time. Reference counting frees all but a few cycles meanwhile; the
    collector takes those once it is back on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# -- preview ----------------------------------------------------------------------------------


def preview(
    data: bytes,
    *,
    file_name: str,
    document: str = "",
    jurisdiction: str = "",
    slug: str = "",
    source_url: str = "",
) -> Preview:
    """Read and plan; raises ImportInputError when the file cannot be read as text."""
    decoded = decode(data, max_bytes=settings.IMPORT_MAX_BYTES)
    return plan(
        decoded,
        file_name=file_name,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        document=document,
        jurisdiction=jurisdiction,
        slug=slug,
        source_url=source_url,
    )


@_collector_paused()
def plan(
    decoded: Decoded,
    *,
    file_name: str,
    sha256: str,
    size: int,
    document: str = "",
    jurisdiction: str = "",
    slug: str = "",
    source_url: str = "",
) -> Preview:
    text = html_to_text(decoded.text) if decoded.is_html else decoded.text
    problems: list[Problem] = []
    # The header first, with every agency's full name, to find the issuers and so the
    # jurisdiction; then the whole text, with the names used there.
    header = parse_header(text, _lexicon(None))
    target, matched_by = _match_document(header, document, problems)
    place = _jurisdiction(header, target, jurisdiction, problems)
    report = parse_document(text, _lexicon(place))
    result = Preview(
        file_name=file_name,
        sha256=sha256,
        size=size,
        decoded=decoded,
        report=report,
        source_url=source_url,
        document=target,
        matched_by=matched_by,
        jurisdiction=place,
        problems=[*report.problems, *problems],
    )
    if result.errors:
        return result
    _check_source_url(result)
    if target is not None:
        _reconcile(result, target)
    else:
        _plan_new(result, slug)
    return result


def _lexicon(place: m.Jurisdiction | None) -> Lexicon:
    """Agency names of `place`, its parents and the national level; with no place, every
    agency's full name and the national short names (enough to read a header)."""
    agencies = m.Agency.objects.select_related("jurisdiction")
    terms: list[Term] = []
    if place is None:
        for agency in agencies:
            terms.append(Term(agency.name_zh, agency.slug))
            if agency.jurisdiction.level == m.JurisdictionLevel.NATIONAL:
                terms += [Term(name, agency.slug) for name in _short_names(agency)]
    else:
        places = set()
        node: m.Jurisdiction | None = place
        while node is not None:  # a city's document also names its province's agencies
            places.add(node.pk)
            node = node.parent
        for agency in agencies:
            national = agency.jurisdiction.level == m.JurisdictionLevel.NATIONAL
            if agency.jurisdiction_id in places or national:
                names = [agency.name_zh, *_short_names(agency)]
                terms += [Term(name, agency.slug) for name in names]
    codes = dict(m.EntityType.objects.values_list("code", "name_zh"))
    entity_terms = [Term(name, code) for code, name in codes.items()]
    entity_terms += [Term(term, code) for term, code in ENTITY_TERMS.items() if code in codes]
    return Lexicon(agencies=terms, entity_types=entity_terms)


def _short_names(agency: m.Agency) -> list[str]:
    names = [agency.short_name_zh, *agency.aliases]
    # 北京市科学技术委员会、中关村科技园区管理委员会 signs as one; texts name either half.
    for name in (agency.name_zh, agency.short_name_zh):
        if "、" in name:
            names += name.split("、")
    return [name for name in names if name]


def _match_document(
    header: Header, slug: str, problems: list[Problem]
) -> tuple[m.Document | None, str]:
    if slug:
        document = m.Document.objects.filter(slug=slug).first()
        if document is None:
            problems.append(Problem(Severity.ERROR, "--document", f"no document {slug!r}"))
        return document, "slug"
    # Compared in Python (the keys are normalised here), on three columns of each document:
    # with tens of thousands of documents, whole rows were most of a preview's queries' time.
    key, title = header.number_key, comparable(header.title) if header.title else ""
    for pk, number, title_zh in m.Document.objects.values_list("pk", "number", "title_zh"):
        if header.number and number:
            if document_number_key(number) == key:
                return m.Document.objects.get(pk=pk), "number"
        elif title and comparable(title_zh) == title:
            return m.Document.objects.get(pk=pk), "title"
    return None, ""


def _jurisdiction(
    header: Header, document: m.Document | None, code: str, problems: list[Problem]
) -> m.Jurisdiction | None:
    if code:
        place = m.Jurisdiction.objects.filter(code=code).first()
        if place is None:
            problems.append(Problem(Severity.ERROR, "--jurisdiction", f"no jurisdiction {code!r}"))
        return place
    if document is not None:
        return document.jurisdiction
    if header.issuers:
        lead = header.issuers[0].code
        return m.Jurisdiction.objects.filter(agencies__slug=lead).first()
    return None


def _check_source_url(result: Preview) -> None:
    if not result.source_url:
        return
    existing = m.Source.objects.filter(url=result.source_url).first()
    if existing is not None and existing.kind == m.SourceKind.SECONDARY:
        result.problems.append(
            Problem(
                Severity.ERROR,
                "--source-url",
                f"{result.source_url} is the secondary source {existing.key!r}, "
                "not an official page",
            )
        )


def _basis_note(result: Preview, run_id: int | None) -> dict[str, str]:
    """The grade note of every imported fact, in both languages."""
    day = f"{timezone.localdate():%Y-%m-%d}"
    file_zh = f"文件{result.file_name}（sha256 {result.sha256}）"
    file_en = f"the file {result.file_name} (sha256 {result.sha256})"
    run_zh = f"，导入批次{run_id}" if run_id else ""
    run_en = f", import run {run_id}" if run_id else ""
    return {
        "grade_note_zh": f"读自官方文本：{result.source_url or file_zh}，{day}导入{run_zh}。",
        "grade_note_en": (
            f"Read in the official text: {result.source_url or file_en}, imported {day}{run_en}."
        ),
    }


# -- new document -----------------------------------------------------------------------------


def _plan_new(result: Preview, slug: str) -> None:
    report = result.report
    if result.jurisdiction is None:
        result.problems.append(
            Problem(
                Severity.ERROR,
                "header",
                "cannot tell the document's jurisdiction: no issuer was recognised; "
                "give one (--jurisdiction) or add the issuing agency first",
            )
        )
        return
    if not report.header.title:
        result.problems.append(Problem(Severity.ERROR, "header", "no document title found"))
        return
    result.slug = slug or _default_slug(result, result.jurisdiction)
    if m.Document.objects.filter(slug=result.slug).exists():
        result.problems.append(
            Problem(Severity.ERROR, "--slug", f"a document {result.slug!r} already exists")
        )
    for measure in report.measures:
        for mention in measure.agencies:
            if not mention.role:
                result.notes.append(
                    gettext(
                        "%(where)s: %(name)s is named in the text; "
                        "its role is recorded as joint (inferred)"
                    )
                    % {"where": measure.where, "name": mention.text}
                )


def _default_slug(result: Preview, jurisdiction: m.Jurisdiction) -> str:
    header = result.report.header
    year = header.date.year if header.date else timezone.localdate().year
    digits = "".join(ch for ch in header.number.rpartition("〕")[2] if ch.isdigit())
    tail = digits or result.sha256[:6]
    return slugify(f"{jurisdiction.code}-{year}-{tail}")[:80]


# -- reconcile with curated data --------------------------------------------------------------


def _reconcile(result: Preview, document: m.Document) -> None:
    report = result.report
    header = report.header
    measures = {
        measure.number: measure
        for measure in document.measures.select_related("section").prefetch_related(
            Prefetch("agency_roles", queryset=m.MeasureAgency.objects.select_related("agency")),
            "targets",
        )
    }
    sections = {section.ordinal: section for section in document.sections.all()}
    where = document.slug
    official = m.Grade.OFFICIAL

    def disagree(place: str, what: str, curated: object, text: object) -> None:
        result.disagreements.append(Disagreement(place, what, str(curated), str(text)))

    document_agrees = True
    if (
        header.number
        and document.number
        and header.number_key != document_number_key(document.number)
    ):
        disagree(where, "number", document.number, header.number)
        document_agrees = False
    if header.title and comparable(header.title) != comparable(document.title_zh):
        disagree(where, "title", document.title_zh, header.title)
        document_agrees = False
    if header.date and document.signed_on and header.date != document.signed_on:
        disagree(where, "date", document.signed_on, header.date)
    if document_agrees and document.grade != official:
        result.updates.append((m.Document, document.pk, {"grade": official}))
        result.confirmed.append(f"{where}: document → official")

    if len(report.parts) != len(sections):
        disagree(where, "parts", len(sections), len(report.parts))
    for part in report.parts:
        section = sections.get(part.number)
        if section is None:
            disagree(f"{where} part {part.label}", "part", "no such part", part.title)
        elif comparable(section.title_zh) != comparable(part.title):
            disagree(f"{where} part {part.label}", "part title", section.title_zh, part.title)
    if len(report.measures) != len(measures):
        disagree(where, "measures", len(measures), len(report.measures))
    for parsed in report.measures:
        measure = measures.get(parsed.number)
        if measure is None:
            disagree(f"{where}/{parsed.number}", "measure", "no such measure", parsed.label)
            continue
        _reconcile_measure(result, measure, parsed, disagree)
    for number in sorted(set(measures) - {parsed.number for parsed in report.measures}):
        disagree(f"{where}/{number}", "measure", measures[number].title_zh, "no such measure")


def _reconcile_measure(result: Preview, measure: m.Measure, parsed: MeasureParsed, disagree):
    official = m.Grade.OFFICIAL
    public_id = measure.public_id
    values: dict[str, Any] = {}
    if measure.full_text != parsed.text:
        values["full_text"] = parsed.text
        if measure.full_text:
            result.notes.append(
                gettext("%(id)s: the full text from an earlier import is replaced")
                % {"id": public_id}
            )
    placed = measure.section.ordinal == parsed.part
    if not placed:
        disagree(public_id, "part", measure.section.ordinal, parsed.part)
    elif measure.placement_grade != official:
        values["placement_grade"] = official
        result.confirmed.append(gettext("%(id)s: placement → official") % {"id": public_id})
    if measure.is_unknown:
        result.notes.append(
            gettext("%(id)s: the data does not know this measure's content; the text has it")
            % {"id": public_id}
            + (f" ({parsed.title})" if parsed.title else "")
        )
    elif parsed.title and comparable(parsed.title) != comparable(measure.title_zh):
        disagree(public_id, "title", measure.title_zh, parsed.title)
    elif (parsed.title or not measure.title_zh) and measure.grade != official:
        values["grade"] = official
        result.confirmed.append(gettext("%(id)s: content → official") % {"id": public_id})
    if values:
        result.updates.append((m.Measure, measure.pk, values))

    for target in measure.targets.all():
        match = _matching_target(target, parsed.targets)
        # Language-neutral, as the report is stored: ≤ 3 month
        shown = f"{m.Comparator(target.comparator).label} {_plain(target.goal_value)} {target.unit}"
        if match is None:
            same_unit = [found for found in parsed.targets if found.unit == target.unit]
            text = ", ".join(found.text for found in same_unit) or "no such target"
            disagree(public_id, f"target {target.key}", shown, text)
        elif target.grade != official:
            result.updates.append((m.Target, target.pk, {"grade": official}))
            result.confirmed.append(
                gettext("%(id)s: target %(key)s (%(text)s) → official")
                % {"id": public_id, "key": target.key, "text": match.text}
            )
    matched = {_target_signature_found(found) for found in parsed.targets}
    curated = {_target_signature(target) for target in measure.targets.all()}
    for found in parsed.targets:
        if _target_signature_found(found) in matched - curated:
            result.notes.append(
                gettext("%(id)s: the text has a target the data lacks: %(text)s")
                % {"id": public_id, "text": found.text}
            )

    named = {mention.code: mention for mention in parsed.agencies}
    # A 责任单位 clause lists the responsible units and their order; a bare mention does not.
    responsible = {mention.code: mention for mention in parsed.agencies if mention.role}
    for role in measure.agency_roles.all():
        slug = role.agency.slug
        if responsible:
            listed = responsible.get(slug)
            if listed is None:
                disagree(public_id, f"agency {slug}", role.role, "not among the 责任单位")
                continue
            # The clause names the lead first; joint and support both follow it.
            if (listed.role == m.AgencyRole.LEAD) != (role.role == m.AgencyRole.LEAD):
                disagree(public_id, f"agency {slug}", role.role, f"{listed.role} in the 责任单位")
                continue
        if slug in named and role.grade != official:
            result.updates.append((m.MeasureAgency, role.pk, {"grade": official}))
            result.confirmed.append(
                gettext("%(id)s: agency %(slug)s → official") % {"id": public_id, "slug": slug}
            )
    curated_agencies = {role.agency.slug for role in measure.agency_roles.all()}
    for code, mention in named.items():
        if code not in curated_agencies:
            result.notes.append(
                gettext("%(id)s: the text names %(name)s, the data does not")
                % {"id": public_id, "name": mention.text}
            )


def _plain(value: Decimal) -> str:
    return f"{Decimal(value).normalize():f}"


def _target_signature(target: m.Target) -> tuple[str, Decimal]:
    return (target.unit, Decimal(target.goal_value).normalize())


def _target_signature_found(found: TargetFound) -> tuple[str, Decimal]:
    return (found.unit, found.value.normalize())


def _matching_target(target: m.Target, found: list[TargetFound]) -> TargetFound | None:
    return next(
        (item for item in found if _target_signature_found(item) == _target_signature(target)),
        None,
    )


# -- write ------------------------------------------------------------------------------------


@_collector_paused()
def apply(result: Preview, *, user: Any = None, run: ImportRun | None = None) -> ImportRun:
    """Write a preview without errors, in one transaction; returns its ImportRun."""
    if result.errors:
        raise ImportInputError("; ".join(str(problem) for problem in result.errors))
    with transaction.atomic():
        run = run or ImportRun()
        _fill_run(run, result, user)
        run.save()
        editor = getattr(user, "pk", None)
        with recording(process=f"import run {run.pk}", actor_id=editor, bulk=True) as log:
            source = _source(result)
            note = _basis_note(result, run.pk)
            if result.document is not None:
                _update(result, source, note, log)
                document = result.document
            elif result.jurisdiction is not None:
                document = _create(result, result.jurisdiction, source, note, log)
            else:  # _plan_new reports a missing jurisdiction as an error
                raise ImportInputError("no jurisdiction for the new document")
        bump()  # QuerySet.update and bulk_create send no signals
        run.document = document
        run.status = ImportStatus.APPLIED
        run.applied_at = timezone.now()
        # The report saved above names the document already (the preview's slug).
        run.save(update_fields=["document", "status", "applied_at"])
    return run


def _update(result: Preview, source: m.Source | None, note: dict[str, str], log: ChangeLog) -> None:
    """The corrections a re-import makes to a curated document, one UPDATE each, told to the
    change log with the values they replace (read with one query per model)."""
    now = timezone.now()
    pks: dict[type[models.Model], set[int]] = defaultdict(set)
    for model, pk, _values in result.updates:
        pks[model].add(pk)
    before = {
        model: model._default_manager.in_bulk(ids)
        for model, ids in pks.items()
        if model in OBJECT_KINDS
    }
    for model, pk, values in result.updates:
        if "grade" in values:
            values = {**values, "source": source, **note}
        if model is m.Measure:  # update() skips auto_now; API clients poll on it
            values = {**values, "updated_at": now}
        model._default_manager.filter(pk=pk).update(**values)
        if model in before:
            obj = before[model][pk]
            old = values_of(obj)
            for name, value in values.items():
                setattr(obj, name, value)
            log.changed(obj, old)


def save_preview(result: Preview, *, user: Any = None) -> ImportRun:
    """Keep a preview (the admin's first step), to be applied once an editor confirms."""
    run = ImportRun()
    _fill_run(run, result, user)
    run.save()
    return run


def _fill_run(run: ImportRun, result: Preview, user: Any) -> None:
    run.file_name = result.file_name[:255]
    run.sha256 = result.sha256
    run.size = result.size
    run.encoding = result.decoded.encoding
    run.is_html = result.decoded.is_html
    run.text = result.decoded.text
    run.source_url = result.source_url
    matched = result.document if result.matched_by == "slug" else None
    run.requested_document = matched.slug if matched else ""
    run.jurisdiction = result.jurisdiction
    run.report = result.to_dict()
    if user is not None and getattr(user, "pk", None):
        run.created_by = user


def _source(result: Preview) -> m.Source | None:
    if not result.source_url:
        return None
    existing = m.Source.objects.filter(url=result.source_url).first()
    if existing is not None:
        return existing
    header = result.report.header
    issuer = header.issuers[0].text if header.issuers else ""
    return m.Source.objects.create(
        key=f"import-{result.sha256[:12]}",
        url=result.source_url,
        title=(header.notice_title or header.title or result.file_name)[:300],
        publisher=issuer[:200],
        published_on=header.date,
        kind=m.SourceKind.OFFICIAL,
        note_zh=f"从文件{result.file_name}导入的官方文本（sha256 {result.sha256}）。",
        note_en=f"Official text imported from {result.file_name} (sha256 {result.sha256}).",
    )


def _create(
    result: Preview,
    place: m.Jurisdiction,
    source: m.Source | None,
    note: dict[str, str],
    log: ChangeLog,
) -> m.Document:
    """The new document and everything under it, a few statements per table whatever the
    number of measures (bulk_create sends no signals: the change log is told here)."""
    report = result.report
    header = report.header
    official = m.Grade.OFFICIAL
    provenance = {"source": source, "grade": official, **note}
    document = m.Document.objects.create(
        slug=result.slug,
        title_zh=header.title[:300],
        title_en="",
        number=header.number[:80],
        jurisdiction=place,
        signed_on=header.date,
        source_url=result.source_url,
        **provenance,
    )
    log.added(document)
    agencies = {agency.slug: agency for agency in m.Agency.objects.all()}
    issuers = list(dict.fromkeys(mention.code for mention in header.issuers if mention.code))
    m.DocumentIssuer.objects.bulk_create(
        m.DocumentIssuer(document=document, agency=agencies[code], position=position)
        for position, code in enumerate(issuers, start=1)
    )
    sections = m.Section.objects.bulk_create(
        [
            m.Section(
                document=document, ordinal=part.number, title_zh=part.title[:300], title_en=""
            )
            for part in report.parts
        ],
        batch_size=BATCH,
    )
    # Each new measure beside what the text says of it, and beside its targets.
    written = [
        (
            m.Measure(
                document=document,
                section=section,
                number=parsed.number,
                title_zh=parsed.title[:300],
                full_text=parsed.text,
                scope=place,
                placement_grade=official,
                **provenance,
            ),
            parsed,
        )
        for section, part in zip(sections, report.parts, strict=True)
        for parsed in part.measures
    ]
    measures, targets = m.Measure.objects.bulk_create_with_targets(
        [(measure, _targets(document, measure, parsed, provenance)) for measure, parsed in written],
        batch_size=BATCH,
    )
    for measure in measures:
        log.added(measure)
    entity_types = {entity.code: entity for entity in m.EntityType.objects.all()}
    concerned = m.Measure.entity_types.through
    concerned.objects.bulk_create(
        [
            concerned(measure=measure, entitytype=entity_types[code])
            for measure, parsed in written
            for code in dict.fromkeys(mention.code for mention in parsed.entity_types)
            if code in entity_types
        ],
        batch_size=BATCH,
    )
    m.MeasureAgency.objects.bulk_create(
        [
            role
            for measure, parsed in written
            for role in _roles(measure, parsed, agencies, provenance)
        ],
        batch_size=BATCH,
    )
    for target in targets:
        log.added(target)
    return document


def _roles(measure, parsed: MeasureParsed, agencies, provenance) -> list[m.MeasureAgency]:
    return [
        m.MeasureAgency(
            measure=measure,
            agency=agencies[mention.code],
            role=mention.role or m.AgencyRole.JOINT,
            **(
                provenance
                if mention.role
                else {
                    **provenance,
                    "grade": m.Grade.INFERRED,
                    "grade_note_zh": f"官方文本中提到（{mention.text}）；其角色是我们的推断。"
                    + provenance["grade_note_zh"],
                    "grade_note_en": f"Named in the official text ({mention.text}); the role is "
                    "our inference. " + provenance["grade_note_en"],
                }
            ),
        )
        for mention in parsed.agencies
        if mention.code in agencies
    ]


def _targets(document, measure, parsed: MeasureParsed, provenance) -> list[m.Target]:
    rows = []
    for index, found in enumerate(parsed.targets, start=1):
        deadline = None
        deadline_text = found.deadline_text
        if found.kind == "level":
            # The deadline stated in the same sentence, if any.
            sentence = _sentence_bounds(parsed.text, found.span)
            for item in parsed.deadlines:
                if sentence[0] <= item.span[0] < sentence[1]:
                    deadline, deadline_text = item.date, item.text
                    break
        rows.append(
            m.Target(
                measure=measure,
                key=f"t{index}",
                kind=found.kind,
                metric=f"{document.slug}-{measure.number}-t{index}"[:80],
                metric_zh=(found.metric_zh or found.text)[:200],
                metric_en="",
                unit=found.unit,
                direction=found.direction,
                baseline_value=found.baseline,
                comparator=found.comparator,
                goal_value=found.value,
                deadline=deadline if found.kind == "level" else None,
                deadline_text=deadline_text[:200],
                source_span=found.text[:200],
                **provenance,
            )
        )
    return rows


def _sentence_bounds(text: str, span: tuple[int, int]) -> tuple[int, int]:
    start = max(text.rfind("。", 0, span[0]), text.rfind("\n", 0, span[0])) + 1
    ends = [i for i in (text.find("。", span[1]), text.find("\n", span[1])) if i >= 0]
    return start, min(ends) if ends else len(text)
