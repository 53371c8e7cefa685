"""Recording changes to curated data in the change log (`measures.models.Change`).

Two ways in, one table:

- **One write at a time** (the admin, the API, the importer, a shell): signals. `pre_save` reads
  the row as stored (one query), `post_save` compares and inserts one `Change` when a tracked
  field differs; `post_delete` records the removal with the object's last values. Who wrote it
  comes from the request (`ChangeAuthor` middleware: the editor, and `admin` or `api`) or from an
  enclosing `recording(process=…)`.
- **In bulk** (the loader, ingestion): the writer knows each row's old and new values already, so
  it opens `recording(process=…, bulk=True)`, which silences the signals, and says what changed
  (`log.added`, `log.changed`, `log.removed`); the log resolves every row's document, measure and
  jurisdiction with one query per kind of object and inserts them with one `bulk_create`, inside
  the writer's transaction. The progress refresh writes its status changes in SQL
  (`insert_status_changes`).

A write that changes no tracked field records nothing. After rows are written, the
`changes_recorded` signal tells listeners (webhooks) the new rows' highest id, once the
transaction commits.
"""

from __future__ import annotations

import contextvars
import datetime
import decimal
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.db.models.signals import m2m_changed, post_save, pre_delete, pre_save
from django.dispatch import Signal
from django.http import HttpRequest
from django.utils import timezone

from .models import (
    Change,
    ChangeKind,
    Document,
    LinkStatus,
    Measure,
    MeasureLink,
    MeasureRelation,
    Milestone,
    ObjectKind,
    Observation,
    Section,
    SectionLink,
    Target,
    TargetLink,
)

# Sent after commit with `last_id`: the highest Change id the transaction wrote.
changes_recorded = Signal()

# The models whose changes are recorded, and what a reader calls each.
OBJECT_KINDS: dict[type[models.Model], str] = {
    Document: ObjectKind.DOCUMENT,
    Measure: ObjectKind.MEASURE,
    Target: ObjectKind.TARGET,
    Observation: ObjectKind.OBSERVATION,
    Milestone: ObjectKind.MILESTONE,
    MeasureLink: ObjectKind.LINK,
    SectionLink: ObjectKind.LINK,
    TargetLink: ObjectKind.LINK,
}

# Fields that are bookkeeping or a read model computed from others, not curated facts: the
# target's stored progress is the refresh's (its status moves are recorded as STATUS changes).
UNTRACKED = {
    "id",
    "search_text",
    "created_at",
    "updated_at",
    "jurisdiction_level",
    "status_computed",
    "progress_share",
    "is_stale",
    "latest_value",
    "latest_observed_on",
    "progress_computed_at",
    "retrieved_at",
    "content_hash",
}
# …except a target's stored status, which is the refresh's alone.
UNTRACKED_BY_MODEL: dict[type[models.Model], set[str]] = {Target: {"status"}}

# The relations by which a newer measure takes over an older one.
SUPERSEDING = {
    MeasureRelation.CONTINUED,
    MeasureRelation.STRENGTHENED,
    MeasureRelation.RELAXED,
    MeasureRelation.MERGED,
    MeasureRelation.SPLIT,
}

# Rows looked up per query when resolving where objects belong (below SQLite's variable limit).
CHUNK = 2000


def tracked_fields(model: type[models.Model]) -> list[str]:
    """The attnames whose changes are recorded for `model` (foreign keys as their ids)."""
    skip = UNTRACKED | UNTRACKED_BY_MODEL.get(model, set())
    return [
        f.attname
        for f in model._meta.concrete_fields
        if not f.primary_key and f.name not in skip and f.attname not in skip
    ]


def jsonable(value: Any) -> Any:
    """A field's value as the log stores it: decimals and dates as text, the rest as is."""
    if isinstance(value, decimal.Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return value


def values_of(obj: models.Model) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in tracked_fields(type(obj))}


def differences(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """[{"field", "old", "new"}] for every field whose value differs, in field order."""
    return [
        {"field": name, "old": jsonable(old.get(name)), "new": jsonable(value)}
        for name, value in new.items()
        if jsonable(old.get(name)) != jsonable(value)
    ]


# -- who is writing ---------------------------------------------------------------------------


@dataclass
class Author:
    process: str
    actor_id: int | None = None
    request: HttpRequest | None = None
    log: ChangeLog | None = None

    def actor(self) -> int | None:
        if self.actor_id is not None:
            return self.actor_id
        # Read late: DRF authenticates a token inside the view, after the middleware ran, and
        # sets the user on the Django request.
        user = getattr(self.request, "user", None)
        return user.pk if user is not None and user.is_authenticated else None


_author: contextvars.ContextVar[Author | None] = contextvars.ContextVar(
    "change_author", default=None
)


def current_author() -> Author:
    return _author.get() or Author(process="shell")


class ChangeAuthor:
    """Middleware: writes made while answering a request are the signed-in editor's, by `admin`
    (under /admin/), `api` (under /api/) or `web`."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return self.get_response(request)
        path = request.path_info
        process = (
            "admin" if path.startswith("/admin/") else "api" if path.startswith("/api/") else "web"
        )
        token = _author.set(Author(process=process, request=request))
        try:
            return self.get_response(request)
        finally:
            _author.reset(token)


# -- the log ----------------------------------------------------------------------------------


@dataclass
class Pending:
    obj: models.Model
    kind: str
    fields: list[dict[str, Any]] = field(default_factory=list)

    @property
    def key(self) -> tuple[type[models.Model], Any, bool]:
        # A superseded measure is a second entry beside any change to the measure itself.
        return (type(self.obj), self.obj.pk, self.kind == ChangeKind.SUPERSEDED)


def is_suggestion(obj: models.Model) -> bool:
    """A link the alignment engine suggested and no editor reviewed: not yet data. Its coming
    and going is not recorded; an editor confirming it is (a status change)."""
    return isinstance(obj, MeasureLink | SectionLink | TargetLink) and (
        obj.status == LinkStatus.SUGGESTED
    )


class ChangeLog:
    """Changes waiting to be written together (see `recording`).

    Alone (signals), each change is written when it is said. In bulk, additions and changes wait,
    one entry per object — a second change to an object joins the first, a change to an object
    added in the same block is part of its addition — and are placed and written together when
    the block ends, so the log costs a fixed number of queries whatever the number of rows.
    Removals are written when said, while the rows are still there to say where they belonged
    (and so that deleting them then clears the log's keys to them).
    """

    def __init__(self, author: Author, bulk: bool) -> None:
        self.author = author
        self.bulk = bulk
        self.at = timezone.now()
        self.waiting: dict[tuple[type[models.Model], Any, bool], Pending] = {}
        self.last_id: int | None = None

    @property
    def process(self) -> str:
        return self.author.process

    @process.setter
    def process(self, name: str) -> None:
        """Name the process once it has a name (`ingest run 7` once the run is saved): rows are
        named when they are written, at the end of the block."""
        self.author.process = name

    # What writers say.

    def added(self, obj: models.Model) -> None:
        self.record([Pending(obj, ChangeKind.ADDED)])

    def changed(self, obj: models.Model, old: dict[str, Any]) -> None:
        """`obj` as it is now, `old` its tracked values before (by attname); nothing when equal."""
        tracked = values_of(obj)
        fields = differences({name: old.get(name) for name in tracked}, tracked)
        if fields:
            self.record([Pending(obj, ChangeKind.CHANGED, fields)])

    def changed_set(
        self, obj: models.Model, name: str, old: Iterable[str], new: Iterable[str]
    ) -> None:
        """A set the object holds (a measure's topics, its agencies) as a field whose values are
        sorted lists of codes; nothing when equal."""
        before, after = sorted(old), sorted(new)
        if before != after:
            self.record([Pending(obj, ChangeKind.CHANGED, [field_change(name, before, after)])])

    def removed(self, objs: Iterable[models.Model]) -> None:
        """Call before deleting: where each object belonged is read while it is still there."""
        pending = [
            Pending(
                obj,
                ChangeKind.REMOVED,
                [field_change(k, jsonable(v), None) for k, v in values_of(obj).items()],
            )
            for obj in objs
        ]
        self.record(pending)

    def record(self, pending: list[Pending]) -> None:
        pending = [
            item
            for item in pending
            if not (item.kind in (ChangeKind.ADDED, ChangeKind.REMOVED) and is_suggestion(item.obj))
        ]
        pending = pending + self.superseded_by(pending)
        if not self.bulk:
            remember(self.write(placed(pending, self.at)))
            self.announce()
            return
        removed = [item for item in pending if item.kind == ChangeKind.REMOVED]
        if removed:
            self.write(placed(removed, self.at))
        for item in pending:
            if item.kind != ChangeKind.REMOVED:
                self.wait(item)

    def wait(self, item: Pending) -> None:
        earlier = self.waiting.get(item.key)
        if earlier is None:
            self.waiting[item.key] = item
        elif earlier.kind == ChangeKind.CHANGED and item.kind == ChangeKind.CHANGED:
            earlier.fields = merged(earlier.fields, item.fields)

    def superseded_by(self, pending: list[Pending]) -> list[Pending]:
        """A link by which a newer edition's measure takes over an older one — added, or a
        suggestion an editor confirmed — also says the older measure was superseded."""
        extra = []
        for item in pending:
            link = item.obj
            if not (
                isinstance(link, MeasureLink)
                and link.relation in SUPERSEDING
                and link.older_id is not None
                and link.newer_id is not None
            ):
                continue
            status = next((e for e in item.fields if e["field"] == "status"), None)
            now_data = (item.kind == ChangeKind.ADDED and not is_suggestion(link)) or (
                item.kind == ChangeKind.CHANGED
                and status is not None
                and status["old"] in (LinkStatus.SUGGESTED, LinkStatus.REJECTED)
                and status["new"] in (LinkStatus.CURATED, LinkStatus.CONFIRMED)
            )
            if now_data:
                older = Measure(pk=link.older_id)
                extra.append(
                    Pending(
                        older,
                        ChangeKind.SUPERSEDED,
                        [field_change("superseded_by", None, link.newer_id)],
                    )
                )
        return extra

    def write(self, changes: list[Change]) -> list[Change]:
        if not changes:
            return []
        actor_id = self.author.actor()
        # Stamped as written, right before the writer's commit, not when a long bulk block
        # began: a digest period that ends a few minutes ago then misses no committed change.
        now = timezone.now()
        for change in changes:
            change.at = now
            change.actor_id = actor_id
            change.process = self.author.process[:100]
        created = Change.objects.bulk_create(changes, batch_size=CHUNK)
        # Every backend we run on returns the new ids (PostgreSQL, SQLite ≥ 3.35).
        self.last_id = max(c.pk for c in created)
        return created

    def announce(self) -> None:
        """Tell listeners, once the transaction commits, the highest id written."""
        if self.last_id is not None:
            last_id, self.last_id = self.last_id, None
            announce(last_id)

    def flush(self) -> None:
        self.write(placed(list(self.waiting.values()), self.at))
        self.waiting = {}
        self.announce()


def field_change(name: str, old: Any, new: Any) -> dict[str, Any]:
    return {"field": name, "old": old, "new": new}


def merged(earlier: list[dict[str, Any]], later: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Two changes to one object as one: each field from its first old to its last new value
    (dropped if it came back to where it was)."""
    by_name = {entry["field"]: dict(entry) for entry in earlier}
    for entry in later:
        if entry["field"] in by_name:
            by_name[entry["field"]]["new"] = entry["new"]
        else:
            by_name[entry["field"]] = dict(entry)
    return [entry for entry in by_name.values() if entry["old"] != entry["new"]]


@contextmanager
def recording(process: str, actor_id: int | None = None, bulk: bool = False) -> Iterator[ChangeLog]:
    """Record the changes made inside the block as `process` (and `actor_id`). With `bulk`, the
    signals are silent and the block says what changed; everything is written when it ends,
    inside a transaction that holds the block's writes too (if they roll back, so do the rows)."""
    author = Author(process=process, actor_id=actor_id)
    log = ChangeLog(author, bulk)
    author.log = log
    token = _author.set(author)
    try:
        with transaction.atomic():
            yield log
            log.flush()
    finally:
        _author.reset(token)


# -- where each change belongs ----------------------------------------------------------------


def _chunks(ids: set[int]) -> Iterator[list[int]]:
    ordered = sorted(ids)
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


def placed(pending: list[Pending], at: datetime.datetime) -> list[Change]:
    """`Change` rows for `pending`, each with its document, jurisdiction, measure, target, source
    and label, read with one query per kind of object whatever the number of rows (who wrote
    them is set when they are written)."""
    target_ids: set[int] = set()
    measure_ids: set[int] = set()
    section_ids: set[int] = set()
    for item in pending:
        obj = item.obj
        if isinstance(obj, Observation):
            target_ids.add(obj.target_id)
        elif isinstance(obj, TargetLink):
            target_ids.update(i for i in (obj.newer_id, obj.older_id) if i)
        elif isinstance(obj, Target | Milestone):
            measure_ids.add(obj.measure_id)
        elif isinstance(obj, MeasureLink):
            measure_ids.update(i for i in (obj.newer_id, obj.older_id) if i)
        elif isinstance(obj, SectionLink):
            section_ids.update(i for i in (obj.newer_id, obj.older_id) if i)
        elif isinstance(obj, Measure):
            measure_ids.add(obj.pk)
        if item.kind == ChangeKind.SUPERSEDED:
            measure_ids.add(item.fields[0]["new"])

    targets: dict[int, tuple[int, str]] = {}
    for chunk in _chunks(target_ids):
        found = Target.objects.filter(pk__in=chunk).values_list("pk", "measure_id", "key")
        targets.update((pk, (owner, key)) for pk, owner, key in found)
    measure_ids.update(owner for owner, _key in targets.values())
    measures: dict[int, tuple[int, int]] = {}
    for chunk in _chunks(measure_ids):
        in_chunk = Measure.objects.filter(pk__in=chunk)
        measures.update(
            (pk, (d, n)) for pk, d, n in in_chunk.values_list("pk", "document_id", "number")
        )
    sections: dict[int, tuple[int, int]] = {}
    for chunk in _chunks(section_ids):
        parts = Section.objects.filter(pk__in=chunk)
        sections.update(
            (pk, (d, o)) for pk, d, o in parts.values_list("pk", "document_id", "ordinal")
        )
    document_ids = {d for d, _n in measures.values()} | {d for d, _o in sections.values()}
    document_ids |= {item.obj.pk for item in pending if isinstance(item.obj, Document)}
    documents: dict[int, tuple[int, str]] = {}
    for chunk in _chunks(document_ids):
        docs = Document.objects.filter(pk__in=chunk)
        documents.update(
            (pk, (j, slug)) for pk, j, slug in docs.values_list("pk", "jurisdiction_id", "slug")
        )
    for item in pending:  # a document being added or changed is as it is in memory
        if isinstance(item.obj, Document):
            documents[item.obj.pk] = (item.obj.jurisdiction_id, item.obj.slug)

    def measure_label(measure_id: int | None) -> str:
        if measure_id not in measures:
            return ""
        document_id, number = measures[measure_id]
        return f"{documents.get(document_id, (None, '?'))[1]}/{number}"

    def target_label(target_id: int | None) -> str:
        if target_id not in targets:
            return ""
        measure_id, key = targets[target_id]
        return f"{measure_label(measure_id)}#{key}"

    def section_label(section_id: int | None) -> str:
        if section_id not in sections:
            return ""
        document_id, ordinal = sections[section_id]
        return f"{documents.get(document_id, (None, '?'))[1]}§{ordinal}"

    for item in pending:  # "superseded by" names the newer measure, not its key
        if item.kind == ChangeKind.SUPERSEDED:
            newer = item.fields[0]["new"]
            item.fields = [field_change("superseded_by", None, measure_label(newer))]

    changes = []
    for item in pending:
        obj = item.obj
        document_id: int | None = None
        measure_id: int | None = None
        target_id: int | None = None
        if isinstance(obj, Document):
            document_id, label = obj.pk, obj.slug
        elif isinstance(obj, Measure):
            measure_id = obj.pk
            if obj.pk in measures:
                document_id = measures[obj.pk][0]
            label = measure_label(obj.pk)
        elif isinstance(obj, Target):
            target_id, measure_id = obj.pk, obj.measure_id
            label = f"{measure_label(obj.measure_id)}#{obj.key}"
        elif isinstance(obj, Observation):
            target_id = obj.target_id
            measure_id = targets.get(obj.target_id, (None, ""))[0]
            label = f"{target_label(obj.target_id)}@{jsonable(obj.observed_on)}"
        elif isinstance(obj, Milestone):
            measure_id = obj.measure_id
            label = f"{measure_label(obj.measure_id)}:{obj.key}"
        elif isinstance(obj, MeasureLink):
            measure_id = obj.newer_id or obj.older_id
            label = f"{measure_label(obj.older_id) or '—'} → {measure_label(obj.newer_id) or '—'}"
        elif isinstance(obj, TargetLink):
            target_id = obj.newer_id or obj.older_id
            measure_id = targets.get(target_id, (None, ""))[0] if target_id else None
            label = f"{target_label(obj.older_id) or '—'} → {target_label(obj.newer_id) or '—'}"
        elif isinstance(obj, SectionLink):
            section_id = obj.newer_id or obj.older_id
            document_id = sections.get(section_id, (None, 0))[0] if section_id else None
            label = f"{section_label(obj.older_id) or '—'} → {section_label(obj.newer_id) or '—'}"
        else:  # pragma: no cover - only the models in OBJECT_KINDS are recorded
            raise TypeError(f"{type(obj).__name__} is not recorded in the change log")
        if document_id is None and measure_id in measures:
            document_id = measures[measure_id][0]
        jurisdiction_id = documents.get(document_id, (None, ""))[0] if document_id else None
        changes.append(
            Change(
                at=at,
                object_kind=OBJECT_KINDS[
                    Measure if item.kind == ChangeKind.SUPERSEDED else type(obj)
                ],
                object_id=obj.pk,
                object_label=label[:300],
                kind=item.kind,
                fields=item.fields,
                document_id=document_id,
                jurisdiction_id=jurisdiction_id,
                # A removed object's own row is going: the log keeps its label, not a key to it.
                measure_id=None
                if item.kind == ChangeKind.REMOVED and isinstance(obj, Measure)
                else measure_id,
                target_id=None
                if item.kind == ChangeKind.REMOVED and isinstance(obj, Target)
                else target_id,
                source_id=getattr(obj, "source_id", None),
            )
        )
    return changes


# -- telling listeners ------------------------------------------------------------------------

_waiting = threading.local()  # the highest id this thread's open transaction wrote


def announce(last_id: int) -> None:
    """`changes_recorded` with `last_id` after commit, once per transaction however many writes
    it held (an admin save writes a row per object it saves). A rolled-back id left waiting
    only makes the next announcement's `last_id` a little high: listeners read every row
    above their own cursor up to it, so they miss nothing."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        changes_recorded.send(sender=Change, last_id=last_id)
        return
    _waiting.last_id = max(getattr(_waiting, "last_id", None) or 0, last_id)
    if not any(func is _committed for _savepoints, func, _robust in connection.run_on_commit):
        transaction.on_commit(_committed)


def _committed() -> None:
    last_id, _waiting.last_id = _waiting.last_id, None
    if last_id is not None:
        changes_recorded.send(sender=Change, last_id=last_id)


# -- one write at a time: signals -------------------------------------------------------------

_BEFORE = "_changelog_before"


def _before_save(
    sender: type[models.Model], instance: models.Model, raw: bool = False, **kwargs: Any
) -> None:
    author = _author.get()
    if raw or (author is not None and author.log is not None and author.log.bulk):
        return
    if instance.pk is None or instance._state.adding:
        setattr(instance, _BEFORE, None)
        return
    stored = sender._base_manager.filter(pk=instance.pk).values(*tracked_fields(sender)).first()
    setattr(instance, _BEFORE, stored)


def _after_save(
    sender: type[models.Model],
    instance: models.Model,
    created: bool,
    raw: bool = False,
    **kwargs: Any,
) -> None:
    author = current_author()
    if raw or (author.log is not None and author.log.bulk) or not hasattr(instance, _BEFORE):
        return
    before = getattr(instance, _BEFORE)
    delattr(instance, _BEFORE)
    log = author.log or ChangeLog(author, bulk=False)
    if created or before is None:
        log.added(instance)
    else:
        log.changed(instance, before)


def _before_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    author = current_author()
    if author.log is not None and author.log.bulk:
        return
    (author.log or ChangeLog(author, bulk=False)).removed([instance])


# -- a measure's sets, one write at a time ----------------------------------------------------

# The sets a measure holds that are recorded as its fields (sorted codes), by pair table. Its
# agencies are rows of their own (`MeasureAgency`, with a role), written by the loader.
MEASURE_SETS: dict[Any, str] = {
    Measure.topics.through: "topics",
    Measure.entity_types.through: "entity_types",
    Measure.stages.through: "stages",
}


class Written:
    """What the open transaction recorded about measures, so that one save is one change: the
    admin saves a measure's fields, then each of its sets (a removal and an addition each), and
    each write would otherwise be a row of its own.

    Valid for one writer (a request, a `recording` block, else the shell) while registered as
    the transaction's on-commit callback: a commit runs and drops it, a rollback drops it, so
    nothing outlives its transaction, nor joins another request's writes in a transaction that
    holds several (a test's)."""

    def __init__(self, writer: Author | None) -> None:
        self.writer = writer
        self.changes: dict[int, Change] = {}  # measure pk → the row written for it
        self.before: dict[tuple[int, str], list[str]] = {}  # (measure pk, set) → codes before

    def __call__(self) -> None:
        """Committed: nothing left to do (the rows are written)."""


_written = threading.local()


def open_written(create: bool) -> Written | None:
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return None
    writer = _author.get()
    written: Written | None = getattr(_written, "current", None)
    if (
        written is not None
        and written.writer is writer
        and any(func is written for _sids, func, _robust in connection.run_on_commit)
    ):
        return written
    if not create:
        return None
    written = _written.current = Written(writer)
    transaction.on_commit(written)
    return written


def remember(changes: list[Change]) -> None:
    """A measure added or changed one write at a time: its sets saved next join that row."""
    measures = [
        c
        for c in changes
        if c.object_kind == ObjectKind.MEASURE and c.kind in (ChangeKind.ADDED, ChangeKind.CHANGED)
    ]
    written = open_written(create=bool(measures))
    if written is not None:
        for change in measures:
            written.changes[change.object_id] = change


def _set_codes(measure: Measure, name: str) -> list[str]:
    return sorted(getattr(measure, name).values_list("code", flat=True))


def _set_changed(
    sender: Any,
    instance: models.Model,
    action: str,
    reverse: bool,
    pk_set: set[Any] | None,
    **kwargs: Any,
) -> None:
    """A measure's topics, entity types or stages changed one write at a time (the admin's form
    removes and adds; a shell may clear): compared with the codes stored before the
    transaction's first write to the set, and recorded as one field of the measure's one change
    in the transaction — joined to the change its fields made, left out when it was added."""
    author = current_author()
    if reverse or not isinstance(instance, Measure) or (author.log and author.log.bulk):
        return
    if action in ("pre_add", "pre_remove", "post_add", "post_remove") and not pk_set:
        return  # nothing added or removed
    name = MEASURE_SETS[sender]
    key = (instance.pk, name)
    if action.startswith("pre_"):
        written = open_written(create=True)
        if written is not None and key not in written.before:
            written.before[key] = _set_codes(instance, name)
        return
    written = open_written(create=False)
    if written is None or key not in written.before:
        return
    before, after = written.before[key], _set_codes(instance, name)
    row = written.changes.get(instance.pk)
    if row is None:
        (author.log or ChangeLog(author, bulk=False)).changed_set(instance, name, before, after)
        return
    if row.kind == ChangeKind.ADDED:
        return  # its sets are part of its addition
    row.fields = [e for e in row.fields if e["field"] != name]
    if before != after:
        row.fields.append(field_change(name, before, after))
    if row.fields:
        Change.objects.filter(pk=row.pk).update(fields=row.fields)
    else:  # back where it was
        Change.objects.filter(pk=row.pk).delete()
        del written.changes[instance.pk]


def connect_signals() -> None:
    for model in OBJECT_KINDS:
        uid = f"changelog-{model._meta.label}"
        pre_save.connect(_before_save, sender=model, dispatch_uid=uid)
        post_save.connect(_after_save, sender=model, dispatch_uid=uid)
        # Before the row goes, while where it belonged can still be read.
        pre_delete.connect(_before_delete, sender=model, dispatch_uid=uid)
    for through, name in MEASURE_SETS.items():
        m2m_changed.connect(_set_changed, sender=through, dispatch_uid=f"changelog-{name}")


# -- computed: the progress refresh -----------------------------------------------------------


def insert_status_changes_sql(rows_table: str, vendor: str) -> str:
    """One INSERT recording every target whose stored status differs from `rows_table`'s
    computed_status (rows of pk, computed_status), to run before the refresh's UPDATE writes
    them. Params: at, process."""
    old = "CASE WHEN t.status IS NULL THEN 'null' ELSE '\"' || t.status || '\"' END"
    new = (
        "CASE WHEN r.computed_status IS NULL THEN 'null' ELSE '\"' || r.computed_status || '\"' END"
    )
    fields = f'\'[{{"field": "status", "old": \' || {old} || \', "new": \' || {new} || \'}}]\''
    if vendor == "postgresql":
        fields = f"CAST({fields} AS jsonb)"
    # Our own table names only; every value is a parameter.
    return (
        "INSERT INTO measures_change (at, object_kind, object_id, object_label, kind, fields, "  # noqa: S608
        "document_id, jurisdiction_id, measure_id, target_id, source_id, actor_id, process) "
        "SELECT %s, 'target', t.id, d.slug || '/' || CAST(m.number AS TEXT) || '#' || t.key, "
        f"'status', {fields}, "
        "m.document_id, d.jurisdiction_id, t.measure_id, t.id, NULL, NULL, %s "
        f"FROM measures_target t JOIN {rows_table} r ON t.id = r.pk "
        "JOIN measures_measure m ON m.id = t.measure_id "
        "JOIN measures_document d ON d.id = m.document_id "
        "WHERE t.status IS DISTINCT FROM r.computed_status ORDER BY t.id"
    )
