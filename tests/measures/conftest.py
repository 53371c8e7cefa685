"""Fixtures of the measures app's tests."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from measures.changelog import Pending, recording
from measures.models import ChangeKind, Source, Target


def trial_startup() -> Target:
    return Target.objects.select_related("measure__document").get(
        measure__document__slug="beijing-2025", key="trial-startup"
    )


@pytest.fixture
def editor(db):
    return get_user_model().objects.create_user("zhang.wei", password="x", is_staff=True)


@pytest.fixture
def changed(reference_data, editor) -> Target:
    """The reference data, then an editor lowering a goal (20 → 18 weeks, citing a source), and
    the progress rules finding the target overdue."""
    target = trial_startup()
    with recording(process="admin", actor_id=editor.pk):
        target.goal_value = Decimal("18")
        target.source = Source.objects.get(key="s11")
        target.save()
    with recording(process="refresh_progress", bulk=True) as log:
        status = [{"field": "status", "old": "on_track", "new": "overdue"}]
        log.record([Pending(target, ChangeKind.STATUS, status)])
    return target
