"""Observations read from indicator sources (`IndicatorSource`), one source at a time.

`ingest(source)` runs the whole pipeline:

1. **fetch** the file: from an http(s) URL through urllib, with a socket timeout, a time limit
   for the whole download (a server that drips bytes cannot hold a worker) and a size cap; or
   a regular file in one of the folders open to sources (`INGEST_PATH_ROOTS`, see
   `serverfiles`), with the same cap. Network trouble raises `TransientFetchError`, which the
   Celery task retries with backoff; a file that is simply not there (404, no such path) raises
   `FetchError`. Either way the failed attempt is recorded as an `IngestRun`.
2. **parse** it into rows — CSV with a header line, or a JSON array of objects — taking the
   target id, date, value (and note) from the columns the source names. A target id is the
   measure's public id and the target's key: `beijing-2024/1:startup-weeks`.
3. **check** every row: text that can be stored (no NUL, no lone surrogate), a known target, an
   ISO date not in the future, a number that fits; a second, different value for a target and
   date (in the file, or already recorded) is refused, never overwritten. Each bad row is
   logged with its reason, which names the row and the column but never repeats what the file
   holds (a file's content is not the admin's to read this way); only the header names found
   are quoted, shortened and escaped.
4. **write**, in one transaction that holds the source's row lock (two workers reading the
   same source take turns): the new values in bulk, the run's record with its counts and
   problems, and the values added in the change log (process `ingest run <id>`). A value
   already recorded is skipped, so reading the same file again adds nothing.
   With `on_error=reject_file` one bad row rejects the file and only the run is written.
5. **refresh**, after the commit, the progress of every target the file names.

The number of queries does not depend on the number of rows: targets are resolved in one query,
recorded values read in one, new values inserted 1,000 to a statement.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import http.client
import io
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from caching.dataversion import bump
from measures.changelog import ChangeLog, recording
from measures.models import IndicatorSource, Observation, ObservationOrigin, Target
from measures.quoting import language_of
from measures.validity import EARLIEST_AS_OF
from policytracker.serverfiles import (
    NotARegularFile,
    PathRefused,
    TooLarge,
    allowed_path,
    read_capped,
)

from .models import IngestRun, IngestStatus
from .refresh import refresh_progress

logger = logging.getLogger(__name__)

MAX_BYTES = 20 * 1024 * 1024
SOCKET_TIMEOUT = 10  # seconds without a byte before a read gives up
MAX_PROBLEMS_KEPT = 200  # problems stored on the run; all are counted and logged
LARGEST_VALUE = Decimal("1e12")  # Observation.value has 14 digits, 2 after the point


class FetchError(Exception):
    """The file cannot be read, and trying again will not help (404, no such file)."""


class TransientFetchError(FetchError):
    """The network failed or was too slow: worth trying again later."""


@dataclass(frozen=True)
class Row:
    line: int  # line in a CSV file (header is line 1), position from 1 in a JSON array
    target_id: int
    observed_on: datetime.date
    value: Decimal
    note: str


@dataclass
class IngestResult:
    source: str
    status: str
    rows_read: int = 0
    added: int = 0
    skipped: int = 0
    rejected: int = 0
    problems: list[str] = field(default_factory=list)
    run_id: int | None = None


class FileRejected(Exception):
    """The file as a whole cannot be read as rows (not CSV/JSON, a column missing)."""


def ingest(source: IndicatorSource, today: datetime.date | None = None) -> IngestResult:
    """Read `source` once and record what came of it; see the module docstring."""
    today = today or timezone.localdate()
    started_at = timezone.now()
    try:
        content = fetch(source)
    except FetchError as error:
        IngestRun.objects.create(
            source=source, started_at=started_at, status=IngestStatus.FAILED, error=str(error)
        )
        logger.warning("ingest %s: could not read %s: %s", source.name, source.location, error)
        raise
    retrieved_at = timezone.now()
    content_hash = hashlib.sha256(content).hexdigest()
    result = IngestResult(source=source.name, status=IngestStatus.UNCHANGED)
    try:
        records = parse(content, source)
    except FileRejected as error:
        result.status = IngestStatus.REJECTED
        result.problems = [str(error)]
        _record(source, started_at, content_hash, result, error=str(error))
        logger.warning("ingest %s: file rejected: %s", source.name, error)
        return result

    named: set[int] = set()
    with transaction.atomic(), recording(process="ingest", bulk=True) as log:
        # Runs of one source take turns, so the check of what is recorded stays true until the
        # insert (check-then-act under the lock).
        IndicatorSource.objects.select_for_update().filter(pk=source.pk).values_list("pk").get()
        rows, problems = check(records, source, today)
        named = {row.target_id for row in rows}
        new_rows, skipped, conflicts = _new_values(rows)
        problems += conflicts
        problems.sort(key=lambda problem: problem[0])
        result.rows_read = len(records)
        result.rejected = len(problems)
        result.skipped = skipped
        result.problems = [f"row {line}: {reason}" for line, reason in problems]
        for message in result.problems:
            logger.warning("ingest %s: %s", source.name, message)
        if problems and source.on_error == IndicatorSource.OnError.REJECT_FILE:
            result.status = IngestStatus.REJECTED
            result.skipped = 0
            named = set()
        else:
            Observation.objects.bulk_create(
                [_observation(row, source, retrieved_at, content_hash) for row in new_rows],
                batch_size=1000,
                # An editor's value for the same target and day saved a moment ago wins.
                ignore_conflicts=True,
            )
            _log_added(log, new_rows, source, content_hash)
            result.added = len(new_rows)
            if new_rows:
                bump()  # bulk_create sends no signals
            if problems:
                result.status = IngestStatus.PARTIAL
            elif new_rows:
                result.status = IngestStatus.ADDED
        _record(source, started_at, content_hash, result)
        log.process = f"ingest run {result.run_id}"
    if named:
        refresh_progress(Target.objects.filter(pk__in=named), today=today)
    return result


def _log_added(log: ChangeLog, rows: list[Row], source: IndicatorSource, content_hash: str) -> None:
    """The values this run inserted, read back in one query: an insert that lost to an editor's
    value for the same day (ignore_conflicts) returns no id, and added nothing."""
    if not rows:
        return
    inserted = Observation.objects.filter(
        target_id__in={row.target_id for row in rows},
        observed_on__in={row.observed_on for row in rows},
        indicator_source=source,
        content_hash=content_hash,
    )
    wanted = {(row.target_id, row.observed_on) for row in rows}
    for observation in inserted:
        if (observation.target_id, observation.observed_on) in wanted:
            log.added(observation)


def _observation(
    row: Row, source: IndicatorSource, retrieved_at: datetime.datetime, content_hash: str
) -> Observation:
    """An ingested value, with where, when and from which file it came."""
    return Observation(
        target_id=row.target_id,
        observed_on=row.observed_on,
        value=row.value,
        # A file's note is in the language it was written in.
        **{"note_zh" if language_of(row.note) == "zh-Hans" else "note_en": row.note},
        source_url=source.location if source.is_url else "",
        source_id=source.source_id,
        grade=source.grade,
        grade_note_zh=source.grade_note_zh,
        grade_note_en=source.grade_note_en,
        origin=ObservationOrigin.INGESTED,
        indicator_source=source,
        retrieved_at=retrieved_at,
        content_hash=content_hash,
    )


def _record(
    source: IndicatorSource,
    started_at: datetime.datetime,
    content_hash: str,
    result: IngestResult,
    error: str = "",
) -> None:
    run = IngestRun.objects.create(
        source=source,
        started_at=started_at,
        status=result.status,
        content_hash=content_hash,
        rows_read=result.rows_read,
        rows_added=result.added,
        rows_skipped=result.skipped,
        rows_rejected=result.rejected,
        problems=result.problems[:MAX_PROBLEMS_KEPT],
        error=error,
    )
    result.run_id = run.pk


# -- fetch ----------------------------------------------------------------------------------------


def fetch(source: IndicatorSource) -> bytes:
    """The file's bytes; FetchError (or TransientFetchError) when they cannot be had."""
    if not source.is_url:
        try:
            # Checked again here: a source saved before the folders were limited, or not
            # through the admin, must not read outside them either.
            path = allowed_path(source.location, settings.INGEST_PATH_ROOTS)
            return read_capped(path, MAX_BYTES)
        except (PathRefused, NotARegularFile, TooLarge) as error:
            raise FetchError(str(error)) from None
        except OSError as error:
            raise FetchError(f"{source.location}: {error.strerror or error}") from None
    deadline = time.monotonic() + source.timeout
    request = urllib.request.Request(  # noqa: S310 (is_url: only http and https get here)
        source.location, headers={"User-Agent": "policytracker-ingest/1"}
    )
    try:
        with urllib.request.urlopen(  # noqa: S310 (only http and https, see above)
            request, timeout=min(SOCKET_TIMEOUT, source.timeout)
        ) as response:
            chunks, size = [], 0
            while chunk := response.read1(65536):
                size += len(chunk)
                if size > MAX_BYTES:
                    raise FetchError(f"the file is larger than {MAX_BYTES // 1024 // 1024} MB")
                if time.monotonic() > deadline:
                    raise TransientFetchError(f"not read within {source.timeout} s")
                chunks.append(chunk)
            if response.length:  # bytes the server announced but never sent
                raise TransientFetchError("the connection closed before the whole file came")
            return b"".join(chunks)
    except urllib.error.HTTPError as error:
        if error.code in (408, 429) or error.code >= 500:
            raise TransientFetchError(f"HTTP {error.code} {error.reason}") from None
        raise FetchError(f"HTTP {error.code} {error.reason}") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException) as e:
        raise TransientFetchError(f"{type(e).__name__}: {getattr(e, 'reason', e)}") from None


# -- parse and check ------------------------------------------------------------------------------


def parse(content: bytes, source: IndicatorSource) -> list[tuple[int, dict]]:
    """(line, record) pairs; FileRejected when the file is not rows with the needed columns."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileRejected(f"not UTF-8 text (byte {error.start})") from None
    needed = [source.target_field, source.date_field, source.value_field]
    if source.format == IndicatorSource.Format.CSV:
        reader = csv.DictReader(io.StringIO(text))
        try:
            header = reader.fieldnames or []
            records = [(reader.line_num, record) for record in reader]
        except csv.Error as error:
            raise FileRejected(f"not valid CSV: {error}") from None
        missing = [name for name in needed if name not in header]
        if missing:
            found = f"the file has: {_header_names(header)}" if header else "the file is empty"
            raise FileRejected(f"missing column(s): {', '.join(missing)} ({found})")
        return records
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise FileRejected(f"not valid JSON: {error}") from None
    except RecursionError:
        raise FileRejected("not valid JSON: nested too deeply") from None
    if not isinstance(data, list):
        raise FileRejected("a JSON file must hold an array of objects")
    return [(position, record) for position, record in enumerate(data, start=1)]


def check(
    records: list[tuple[int, dict]], source: IndicatorSource, today: datetime.date
) -> tuple[list[Row], list[tuple[int, str]]]:
    """The good rows, and (line, reason) for each bad one. One query resolves every target."""
    columns = [source.target_field, source.date_field, source.value_field]
    if source.note_field:
        columns.append(source.note_field)
    named = {
        str(record.get(source.target_field) or "").strip()
        for _, record in records
        if isinstance(record, dict)
    }
    # The database takes neither a NUL nor a lone surrogate; such a row is refused below.
    targets = _resolve({public_id for public_id in named if _not_text(public_id) is None})
    rows: list[Row] = []
    problems: list[tuple[int, str]] = []
    for line, record in records:
        if not isinstance(record, dict):
            problems.append((line, "not an object"))
            continue
        unreadable = [
            f"column “{column}” holds {what}"
            for column in columns
            if (what := _not_text(str(record.get(column) or "")))
        ]
        if unreadable:
            problems.append((line, "; ".join(unreadable)))
            continue
        public_id = str(record.get(source.target_field) or "").strip()
        raw_date = str(record.get(source.date_field) or "").strip()
        raw_value = record.get(source.value_field)
        reasons = []
        target_id = targets.get(public_id)
        if target_id is None:
            reasons.append(
                f"unknown target in column “{source.target_field}” (give measure id and key, "
                "e.g. beijing-2024/1:startup-weeks)"
                if public_id
                else "no target"
            )
        try:
            observed_on = datetime.date.fromisoformat(raw_date)
        except ValueError:
            reasons.append(f"the date in column “{source.date_field}” is not YYYY-MM-DD")
        else:
            if Observation.date_problem(observed_on, today):  # the rule editors' values follow
                when = "in the future" if observed_on > today else f"before {EARLIEST_AS_OF}"
                reasons.append(f"date {observed_on} is {when}")
        value = _decimal(raw_value)
        if value is None:
            reasons.append(f"the value in column “{source.value_field}” is not a number")
        elif abs(value) >= LARGEST_VALUE:
            reasons.append(f"the value in column “{source.value_field}” is too large")
        if reasons or target_id is None or value is None:  # either gave a reason
            problems.append((line, "; ".join(reasons)))
            continue
        note = str(record.get(source.note_field) or "") if source.note_field else ""
        rows.append(Row(line, target_id, observed_on, value.quantize(Decimal("0.01")), note))
    return rows, problems


def _not_text(cell: str) -> str | None:
    """What in a cell the database cannot store, if anything."""
    if "\x00" in cell:
        return "a NUL character"
    if any("\ud800" <= character <= "\udfff" for character in cell):
        return "a lone surrogate"  # only a JSON \\ud800 escape makes one
    return None


def _header_names(header: Sequence[str], most: int = 10, longest: int = 40) -> str:
    """The first header names, each shortened and with control characters escaped."""

    def shown(name: str) -> str:
        name = name if len(name) <= longest else name[:longest] + "…"
        return "".join(
            character
            if character.isprintable()
            else character.encode("unicode_escape", "backslashreplace").decode("ascii")
            for character in name
        )

    names = [shown(str(name)) for name in header[:most]]
    return ", ".join(names) + (f" and {len(header) - most} more" if len(header) > most else "")


def _decimal(raw: object) -> Decimal | None:
    if isinstance(raw, bool) or raw is None:
        return None
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _resolve(public_ids: set[str]) -> dict[str, int]:
    """`beijing-2024/1:startup-weeks` → that target's pk, for every id that names one."""
    wanted: set[tuple[str, int, str]] = set()
    for public_id in public_ids:
        measure, _, key = public_id.rpartition(":")
        slug, _, number = measure.rpartition("/")
        if slug and key and number.isdecimal():
            wanted.add((slug, int(number), key))
    if not wanted:
        return {}
    found = Target.objects.filter(
        measure__document__slug__in={slug for slug, _, _ in wanted},
        measure__number__in={number for _, number, _ in wanted},
        key__in={key for _, _, key in wanted},
    ).values_list("pk", "measure__document__slug", "measure__number", "key")
    return {
        f"{slug}/{number}:{key}": pk
        for pk, slug, number, key in found
        if (slug, number, key) in wanted
    }


def _new_values(rows: list[Row]) -> tuple[list[Row], int, list[tuple[int, str]]]:
    """Rows whose target has no value that day yet; how many were already recorded; and rows
    that contradict a recorded value (or an earlier row of the file)."""
    recorded: dict[tuple[int, datetime.date], Decimal] = {
        (target_id, observed_on): value
        for target_id, observed_on, value in Observation.objects.filter(
            target_id__in={row.target_id for row in rows},
            observed_on__in={row.observed_on for row in rows},
        ).values_list("target_id", "observed_on", "value")
    }
    new, skipped, conflicts = [], 0, []
    for row in rows:
        known = recorded.get((row.target_id, row.observed_on))
        if known is None:
            recorded[(row.target_id, row.observed_on)] = row.value
            new.append(row)
        elif known == row.value:
            skipped += 1
        else:
            conflicts.append(
                (
                    row.line,
                    f"the target already has the value {known} on {row.observed_on}; "
                    f"{row.value} is not taken",
                )
            )
    return new, skipped, conflicts
