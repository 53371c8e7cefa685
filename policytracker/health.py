"""GET /api/v1/health/: whether the database, the broker and the shared cache can be reached."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from django.db import connection
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from caching import sharedcache
from jobs import outbox
from measures.api.base import ReadView


class HealthView(ReadView):
    """Whether the database, the task broker and the shared cache can be reached (503 when one
    cannot)."""

    authentication_classes: list = []
    throttle_classes: list = []

    @extend_schema(
        responses={
            (200, "application/json"): inline_serializer(
                "Health",
                {
                    "database": serializers.CharField(help_text="ok, or the error."),
                    "broker": serializers.CharField(
                        help_text="ok, inline (no broker), or the error."
                    ),
                    "cache": serializers.CharField(
                        help_text="ok, none (no Redis: process memory), or the error."
                    ),
                    "queued_tasks": serializers.IntegerField(
                        allow_null=True,
                        help_text="Tasks queued by writes that the broker has not taken yet "
                        "(published when it is back); null when the database cannot say.",
                    ),
                },
            ),
            (503, "application/json"): OpenApiTypes.OBJECT,
        }
    )
    def get(self, request: Request) -> Response:
        checks = {"database": _check_database, "broker": _check_broker, "cache": sharedcache.status}
        # At once, so that a hung database and a hung broker cost the longer of their timeouts,
        # not their sum. None of the checks uses the request's database connection.
        with ThreadPoolExecutor(max_workers=len(checks)) as pool:
            running = {name: pool.submit(check) for name, check in checks.items()}
        report: dict[str, str | int | None] = {
            name: answer.result() for name, answer in running.items()
        }
        healthy = all(value in {"ok", "inline", "none"} for value in report.values())
        # A backlog is reported, not a fault: it drains by itself once the broker is back. It is
        # not asked of a database that just failed, which would cost its timeout a second time.
        report["queued_tasks"] = _queued_tasks() if report["database"] == "ok" else None
        return Response(report, status=200 if healthy else 503)


def _check_database() -> str:
    """On a connection of its own, opened and closed here: its answer takes at most the
    connect timeout (DATABASE_CONNECT_TIMEOUT) even where a kept connection (CONN_MAX_AGE)
    would wait on a hung server for ever."""
    try:
        probe = connection.get_new_connection(connection.get_connection_params())
        try:
            probe.cursor().execute("SELECT 1")
        finally:
            probe.close()
    except Exception as error:  # any failure is the answer, not a crash
        return f"error: {error.__class__.__name__}"
    return "ok"


def _queued_tasks() -> int | None:
    try:
        return outbox.pending()
    except Exception:  # the database's fault, which _check_database reports
        return None


def _check_broker() -> str:
    from django.conf import settings

    if not settings.CELERY_BROKER_URL:
        return "inline"
    try:
        with outbox.broker_connection() as conn:  # a hung broker must not hang health
            conn.ensure_connection(max_retries=0)
    except Exception as error:  # any failure is the answer, not a crash
        return f"error: {error.__class__.__name__}"
    return "ok"
