"""Periodic jobs, kept in django-celery-beat's tables where the admin shows and edits them.

Two kinds: the project's own jobs, declared in settings.CELERY_BEAT_SCHEDULE (the nightly
progress refresh), which are created when missing and otherwise left as an admin set them; and
one job per indicator source, derived from the source's `schedule` (a crontab line), so editing
the source in the admin reschedules it. A source with no schedule, or disabled, has no job.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from celery import current_app
from django.conf import settings
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask
from django_celery_beat.schedulers import ModelEntry

from measures.models import IndicatorSource

INGEST_TASK = "measures.ingest_observations"
INGEST_PREFIX = "ingest-observations:"


@dataclass(frozen=True)
class ScheduleSync:
    created: int
    updated: int
    removed: int


def sync_schedules() -> ScheduleSync:
    """Bring the periodic tasks in line with the settings and the indicator sources."""
    created = updated = 0
    with transaction.atomic():
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
            if not PeriodicTask.objects.filter(name=name).exists():
                ModelEntry.from_entry(name, app=current_app, **entry)
                created += 1
        sources = list(IndicatorSource.objects.all())
        for source in sources:
            outcome = schedule_source(source)
            created += outcome == "created"
            updated += outcome == "updated"
        wanted = {source.task_name for source in sources if _is_scheduled(source)}
        stale = PeriodicTask.objects.filter(name__startswith=INGEST_PREFIX).exclude(name__in=wanted)
        removed, _ = stale.delete()
    return ScheduleSync(created, updated, removed)


def schedule_source(source: IndicatorSource) -> str:
    """Create, update or remove the source's periodic task: created, updated, unchanged or
    removed."""
    if not _is_scheduled(source):
        removed, _ = PeriodicTask.objects.filter(name=source.task_name).delete()
        return "removed" if removed else "unchanged"
    minute, hour, day_of_month, month_of_year, day_of_week = source.schedule.split()
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute=minute,
        hour=hour,
        day_of_month=day_of_month,
        month_of_year=month_of_year,
        day_of_week=day_of_week,
        timezone=settings.TIME_ZONE,
    )
    values = {
        "task": INGEST_TASK,
        "crontab": crontab,
        "interval": None,
        "args": json.dumps([source.pk]),
        "enabled": True,
        "description": f"Ingest observations from {source.location}",
    }
    task = PeriodicTask.objects.filter(name=source.task_name).first()
    if task is None:
        PeriodicTask.objects.create(name=source.task_name, **values)
        return "created"
    if all(getattr(task, name) == value for name, value in values.items()):
        return "unchanged"
    for name, value in values.items():
        setattr(task, name, value)
    task.save()
    return "updated"


def _is_scheduled(source: IndicatorSource) -> bool:
    return bool(source.enabled and source.schedule.strip())
