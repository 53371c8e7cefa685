"""Bulk writes are batched by what the database accepts in one statement: on SQLite the
connection's own limit on variables (policytracker/backends/sqlite3), not the 999 of old
SQLite that Django assumes, so a writer's statements do not multiply with its rows."""

import sqlite3

import pytest
from django.db import connection
from django.utils import timezone

from measures.models import Change, ChangeKind, ObjectKind


@pytest.mark.django_db
def test_a_bulk_insert_of_more_than_999_values_is_one_statement(django_assert_num_queries):
    now = timezone.now()
    rows = [
        Change(
            at=now,
            object_kind=ObjectKind.MEASURE,
            object_id=number,
            object_label=f"bulk/{number}",
            kind=ChangeKind.ADDED,
            process="test",
        )
        for number in range(1, 201)
    ]
    columns = len([f for f in Change._meta.concrete_fields if not f.primary_key])
    assert columns * len(rows) > 999
    with django_assert_num_queries(1):
        Change.objects.bulk_create(rows)
    assert Change.objects.filter(process="test").count() == 200


@pytest.mark.django_db
def test_sqlite_reads_its_limit_from_the_connection():
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        assert connection.features.max_query_params == limit > 999
    else:  # PostgreSQL takes 65,535 parameters; Django batches nothing there
        assert connection.features.max_query_params is None
