"""The measures API served from each measure's published JSON (measures/models/published.py).

A page of measures is then one query for its rows (their kept bodies joined) and one to count
them: each body is written out as kept, followed by the fields of the day and the request
(`MEASURE_TAIL`). A body the triggers emptied is built again by `MeasureBodySerializer`, exactly
as the API always built it, and kept if no write moved its generation meanwhile. Tests hold the
bytes equal to the serializers' for every list and record.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils import translation
from django.utils.http import parse_header_parameters
from rest_framework.renderers import JSONRenderer

from measures import models as m
from measures.asof import api_as_of, is_past
from measures.models import successor_of

from .serializers import MeasureBodySerializer, MeasureTailSerializer

logger = logging.getLogger(__name__)


class Rendered(str):
    """JSON text already rendered as JSONRenderer would: written out as it is."""


def json_text(data: Any) -> str:
    """`data` as JSONRenderer renders it (compact, UTF-8, U+2028/9 escaped), as text."""
    return JSONRenderer().render(data).decode()


def etag_of(text: str) -> str:
    """A strong ETag of a rendered representation."""
    return f'"{hashlib.sha256(text.encode()).hexdigest()[:32]}"'


class PublishedJSONRenderer(JSONRenderer):
    """JSONRenderer that writes `Rendered` values (a record, or a page's `results`) as they are."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, Rendered):
            return data.encode()
        if not isinstance(data, dict) or not any(isinstance(v, Rendered) for v in data.values()):
            return super().render(data, accepted_media_type, renderer_context)
        # Each pre-rendered value stands in as a placeholder string, replaced once rendered.
        tokens = {
            key: f"\x00rendered:{uuid.uuid4().hex}"
            for key, value in data.items()
            if isinstance(value, Rendered)
        }
        text = super().render({**data, **tokens}, accepted_media_type, renderer_context).decode()
        for key, token in tokens.items():
            text = text.replace(json.dumps(token), data[key], 1)
        return text.encode()


def serves(request: Any, action: str | None) -> bool:
    """Whether the answer can come from the published JSON: a list or a record, as compact JSON,
    of today (a past `as_of` shows progress as known then, which no body keeps)."""
    if action not in ("list", "retrieve"):
        return False
    renderer = getattr(request, "accepted_renderer", None)
    if not isinstance(renderer, PublishedJSONRenderer):
        return False
    _, parameters = parse_header_parameters(request.accepted_media_type or "")
    if "indent" in parameters:
        return False
    return not is_past(api_as_of(request.query_params))


def body_column() -> str:
    """The column of the active language's body: a label and a goal are written in it."""
    return "body_en" if (translation.get_language() or "").startswith("en") else "body_zh"


def rows(queryset: m.MeasureQuerySet) -> m.MeasureQuerySet:
    """Measures as the published answers read them: the kept body in the reader's language, the
    document (with its next edition, for the validity) and the few measure columns of
    MEASURE_TAIL."""
    successor = successor_of("document__")
    return (
        queryset.select_related("document", "published_json")
        # The next edition's slug and start, what the tail states; not its names.
        .annotate(**{name: successor[name] for name in ("successor_slug", "successor_starts")})
        .only(
            "id",
            "number",
            "updated_at",
            "document",
            "published_json__generation",
            f"published_json__{body_column()}",
        )
    )


def kept_json(measure: m.Measure) -> m.MeasureJSON | None:
    try:
        return measure.published_json
    except m.MeasureJSON.DoesNotExist:
        return None


def texts(
    measures: Sequence[m.Measure],
    context: dict,
    serialized: Callable[[Iterable[int]], m.MeasureQuerySet],
) -> list[str]:
    """Each measure's JSON: its kept body (built again where a write emptied it, from
    `serialized`, the queryset the serializers read) and MEASURE_TAIL."""
    column = body_column()
    bodies = {
        measure.pk: body
        for measure in measures
        if (kept := kept_json(measure)) is not None and (body := getattr(kept, column)) is not None
    }
    missing = [measure for measure in measures if measure.pk not in bodies]
    if missing:
        bodies |= build(missing, context, serialized, column)
    tails = MeasureTailSerializer(measures, many=True, context=context).data
    return [
        splice(bodies[measure.pk], json_text(tail))
        for measure, tail in zip(measures, tails, strict=True)
    ]


def splice(body: str, tail: str) -> str:
    """`{"id":…,"citation":…}` and `{"url":…}` → `{"id":…,"citation":…,"url":…}`."""
    return f"{body[:-1]},{tail[1:]}"


def build(
    measures: Sequence[m.Measure],
    context: dict,
    serialized: Callable[[Iterable[int]], m.MeasureQuerySet],
    column: str,
) -> dict[int, str]:
    """Bodies of measures whose kept one is empty (or missing), built by the serializer; each
    kept if its generation is still the one read with the page (else a write committed after
    that read, and the body may be older than it: it serves this answer only)."""
    read = {measure.pk: kept_json(measure) for measure in measures}
    full = serialized(read)
    data = MeasureBodySerializer(full, many=True, context=context).data
    bodies = {measure.pk: json_text(body) for measure, body in zip(full, data, strict=True)}
    keep(
        column,
        [(text, pk, kept.generation) for pk, text in bodies.items() if (kept := read[pk])],
        missing=[pk for pk, kept in read.items() if kept is None],
    )
    return bodies


# How long keeping a body may wait for a row a writer holds (a long import or refresh empties
# bodies in its own transaction and holds their rows until it commits): then it gives up, and
# the reader's answer goes out at once, its body built again by the next reader.
KEEP_LOCK_WAIT_MS = 100


def keep(column: str, bodies: list[tuple[str, int, int]], missing: list[int]) -> None:
    """Store built bodies (text, measure, generation read) where the generation has not moved;
    give missing rows an empty one. A failure (rows a writer holds, a read-only database) only
    loses the keeping, never the answer."""
    if column not in ("body_zh", "body_en"):
        raise ValueError(f"no such body: {column}")
    try:
        with transaction.atomic(), connection.cursor() as cursor, waiting_briefly(cursor):
            if bodies:
                cursor.executemany(
                    f"UPDATE measures_measurejson SET {column} = %s "  # noqa: S608 (checked above)
                    f"WHERE measure_id = %s AND generation = %s AND {column} IS NULL",
                    bodies,
                )
            if missing:
                m.MeasureJSON.objects.bulk_create(
                    [m.MeasureJSON(measure_id=pk) for pk in missing], ignore_conflicts=True
                )
    except DatabaseError:
        logger.warning("Published JSON of %d measure(s) not kept", len(bodies), exc_info=True)


@contextmanager
def waiting_briefly(cursor: Any) -> Iterator[None]:
    """Wait at most KEEP_LOCK_WAIT_MS for a lock, then fail (DatabaseError), within the block."""
    if connection.vendor == "postgresql":
        # Local to the transaction, and undone with the savepoint if the block fails.
        cursor.execute("SELECT current_setting('lock_timeout')")
        (before,) = cursor.fetchone()
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{KEEP_LOCK_WAIT_MS}ms"])
        yield
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [before])
        return
    cursor.execute("PRAGMA busy_timeout")
    (before,) = cursor.fetchone()
    cursor.execute(f"PRAGMA busy_timeout = {KEEP_LOCK_WAIT_MS}")
    try:
        yield
    finally:
        cursor.execute(f"PRAGMA busy_timeout = {int(before)}")


class _Sources:
    """What a request lends the serializers outside one: a place to keep the sources read."""


def publish_empty(serialized: Callable[[Iterable[int]], m.MeasureQuerySet], batch: int) -> int:
    """Build and keep every empty body, in each language, `batch` measures at a time (after a
    load, or a large write); returns how many measures were published. The API builds any it
    meets empty all the same: this only spares the first readers the wait."""
    context = {"request": _Sources()}
    published, after = 0, 0
    empty = Q(body_zh=None) | Q(body_en=None)
    while True:
        rows = list(
            m.MeasureJSON.objects.filter(empty, pk__gt=after)
            .order_by("pk")
            .values_list("pk", "generation")[:batch]
        )
        if not rows:
            return published
        generations = dict(rows)
        full = list(serialized(generations))
        for language, column in (("zh-hans", "body_zh"), ("en", "body_en")):
            with translation.override(language):
                data = MeasureBodySerializer(full, many=True, context=context).data
                bodies = [
                    (json_text(body), measure.pk, generations[measure.pk])
                    for measure, body in zip(full, data, strict=True)
                ]
            keep(column, bodies, missing=[])
        published += len(full)
        after = rows[-1][0]
