"""The copied reference data (tests/referencesnapshot.py) is what a real load writes: the suite's
tests may start from either."""

from __future__ import annotations

import json

import pytest
from django.db import connection, models, transaction

from referencedata import DATA_DIR
from tests import referencesnapshot
from tests.referencesnapshot import _state, load_reference_data, load_with_commands


def _comparable(model: type[models.Model], rows: list[tuple]) -> list[str]:
    """The rows without their ids, references (the change log's `object_id` is one) and the
    times the load stamped, which differ from one load to the next on PostgreSQL, whose sequences
    a rollback does not rewind; sorted, as the ids order them no longer."""
    kept = [
        index
        for index, field in enumerate(model._meta.concrete_fields)
        if not (
            field.primary_key
            or field.is_relation
            or field.name == "object_id"
            or isinstance(field, models.DateTimeField)
        )
    ]
    return sorted(json.dumps([row[i] for i in kept], default=str) for row in rows)


def _rolled_back(work) -> dict:
    """What `work` leaves in every table, then the database as it was."""
    with transaction.atomic():
        work()
        connection.check_constraints()  # every reference points at a row
        state = {model: _comparable(model, rows) for model, rows in _state().items() if rows}
        answers = _answers()
        transaction.set_rollback(True)
    return {"tables": state, "answers": answers}


def _answers() -> list:
    from rest_framework.test import APIClient

    client = APIClient()
    pages = []
    for url in [
        "/api/v1/measures/?page_size=100",
        "/api/v1/measures/beijing-2025/1/",
        "/api/v1/documents/",
        "/api/v1/targets/?page_size=100",
    ]:
        response = client.get(url, HTTP_CACHE_CONTROL="no-cache")
        assert response.status_code == 200, url
        pages.append(_unstamped(response.json()))
    return pages


def _unstamped(value):
    """An answer without the times the load stamped (`updated_at`, `progress_computed_at`…) and
    the row ids it shows (a target's `id`, a link's), which differ between loads on PostgreSQL."""
    if isinstance(value, dict):
        return {
            k: _unstamped(v)
            for k, v in value.items()
            if not k.endswith("_at") and not (k in ("id", "link") and isinstance(v, int))
        }
    if isinstance(value, list):
        return [_unstamped(item) for item in value]
    return value


@pytest.fixture(autouse=True)
def _none_kept(monkeypatch) -> None:
    """These tests start with no load kept, whatever this process's earlier tests kept."""
    monkeypatch.setattr(referencesnapshot, "_kept", {})


@pytest.mark.django_db
def test_a_copied_load_leaves_what_a_real_load_leaves() -> None:
    def load() -> None:
        load_with_commands(DATA_DIR)

    real = _rolled_back(load)
    # The first load in this process keeps its rows (unless an earlier test's already did).
    _rolled_back(lambda: load_reference_data(DATA_DIR, load))
    assert any(s.written for kept in referencesnapshot._kept.values() for s in kept)

    copied = _rolled_back(lambda: load_reference_data(DATA_DIR, load))

    assert list(copied["tables"]) == list(real["tables"])
    for model, rows in real["tables"].items():
        assert copied["tables"][model] == rows, model._meta.label
    assert copied["answers"] == real["answers"]


@pytest.mark.django_db
def test_a_test_that_starts_elsewhere_gets_a_real_load(django_user_model) -> None:
    """A row made before the load may change what the load writes: no copy then."""
    loads: list[int] = []

    def load() -> None:
        loads.append(1)
        load_with_commands(DATA_DIR)

    _rolled_back(lambda: load_reference_data(DATA_DIR, load))  # kept, or an earlier test's
    copies_from = len(loads)
    _rolled_back(lambda: load_reference_data(DATA_DIR, load))
    assert len(loads) == copies_from  # copied back

    django_user_model.objects.create(username="first")
    load_reference_data(DATA_DIR, load)
    assert len(loads) == copies_from + 1  # loaded for real
