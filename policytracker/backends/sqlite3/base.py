"""Django's SQLite backend, with bulk writes batched by the connection's own limit on variables
per statement (32,766 since SQLite 3.32, Debian's build 250,000), not by the 999 of older SQLite
that Django 5.2 assumes: a bulk_create of a few dozen wide rows is then one INSERT, as on
PostgreSQL, and the number of statements a writer issues does not grow with its rows. Django
6.0 reads the limit the same way (ticket #36143); drop this backend with that upgrade."""

from __future__ import annotations

import sqlite3

from django.db.backends.sqlite3 import base, features
from django.utils.functional import cached_property


class DatabaseFeatures(features.DatabaseFeatures):
    # A class attribute in Django's features; read from the connection here, once.
    @cached_property
    def max_query_params(self) -> int:  # type: ignore[override]
        self.connection.ensure_connection()
        return self.connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
