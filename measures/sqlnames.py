"""Quoted table and column names of models, for the few statements written as SQL rather than
through the ORM (the measure list's facets, the progress roll-ups): Django's own names, quoted
for the database in use, so the SQL follows the models."""

from __future__ import annotations

from django.db import connection, models


def table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def column(model: type[models.Model], name: str) -> str:
    """The quoted column of the model's field `name` (a relation: its id column)."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or not field.column:
        raise TypeError(f"{model.__name__}.{name} has no column")
    return connection.ops.quote_name(field.column)


def qualified(model: type[models.Model], name: str) -> str:
    """`"table"."column"` of the model's field `name`."""
    return f"{table(model)}.{column(model, name)}"
