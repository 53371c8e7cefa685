"""The reference data, loaded once per test process and copied back for each later test.

Hundreds of tests start from the reference data. Loading it (`load_policies`, then
`refresh_progress`) reads and checks every file and writes row by row, which took seconds a test
and most of the suite's time. The first load in a process is real; the rows it wrote are kept,
and each later test that starts from the same database state gets them back by one
`bulk_create` a table — the same rows, ids included, with the times the load stamped moved as if
it had just ended. A test that starts from any other state (a row of its own made first, a
flushed database without what the migrations seeded) gets a real load, so a copy is only ever
taken where the load would have written exactly those rows.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from caching.dataversion import bump

Rows = list[tuple[Any, ...]]


# Written by database triggers as the rows they follow are (measures/published.py): restoring
# the measures writes them again.
BY_TRIGGERS = {"measures.measurejson"}


def _tables() -> list[type[models.Model]]:
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed
        and not model._meta.proxy
        and model._meta.label_lower not in BY_TRIGGERS
    ]


def _columns(model: type[models.Model]) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields]


def _rows(model: type[models.Model]) -> Rows:
    return list(model._base_manager.order_by("pk").values_list(*_columns(model)))


def _state() -> dict[type[models.Model], Rows]:
    """Every table's rows: what a load finds decides what it writes."""
    return {model: _rows(model) for model in _tables()}


@dataclass
class Snapshot:
    before: dict[type[models.Model], Rows]
    written: dict[type[models.Model], Rows]
    started: datetime.datetime
    ended: datetime.datetime

    def restore(self) -> None:
        # As if the load had just ended: its stamps all in the past, as a real load leaves them.
        shift = timezone.now() - self.ended
        with transaction.atomic():  # foreign keys are checked at its end, whatever the order
            for model, rows in self.written.items():
                columns = _columns(model)
                stamped = [
                    index
                    for index, field in enumerate(model._meta.concrete_fields)
                    if isinstance(field, models.DateTimeField)
                ]
                model._base_manager.bulk_create(
                    [
                        model(**dict(zip(columns, self._moved(row, stamped, shift), strict=True)))
                        for row in rows
                    ]
                )
            with connection.cursor() as cursor:
                for statement in connection.ops.sequence_reset_sql(no_style(), list(self.written)):
                    cursor.execute(statement)
        bump()

    def _moved(self, row: tuple, stamped: list[int], shift: datetime.timedelta) -> list:
        """The row with each time the load stamped (not a time from the data) moved by `shift`."""
        values = list(row)
        for index in stamped:
            value = values[index]
            if value is not None and self.started <= value <= self.ended:
                values[index] = value + shift
        return values


# Per database, data folder and day, the loads kept, each with the state it started from: tests
# start from a few states (an empty database, one with a user an earlier fixture made…).
_kept: dict[str, list[Snapshot]] = {}
KEPT_PER_KEY = 8


def load_reference_data(data_dir: os.PathLike[str] | str, load: Callable[[], None]) -> None:
    """`load()` the reference data, or copy back the rows an earlier identical load wrote."""
    # Progress is worked out for today: a load on another day may write other statuses.
    key = f"{connection.alias}:{os.fspath(data_dir)}:{timezone.localdate()}"
    before = _state()
    kept = _kept.setdefault(key, [])
    for snapshot in kept:
        if snapshot.before == before:
            snapshot.restore()
            return
    started = timezone.now()
    load()
    ended = timezone.now()
    after = _state()
    written = {model: rows for model, rows in after.items() if rows != before[model]}
    if len(kept) < KEPT_PER_KEY and all(not before[model] for model in written):
        kept.append(Snapshot(before, written, started, ended))


def load_with_commands(data_dir: os.PathLike[str] | str) -> None:
    with open(os.devnull, "w") as quiet:
        call_command("load_policies", data_dir=data_dir, stdout=quiet)
        call_command("refresh_progress", stdout=quiet)
