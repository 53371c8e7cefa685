"""Site-wide error pages: JSON under /api/, the site's own page elsewhere; and the favicon.

None of them needs the database: they are what is shown when it is down. The HTML pages are
rendered without the request's context processors (which may read the session or the user)."""

from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils.translation import gettext
from django.views.defaults import page_not_found

from policytracker.database import is_unavailable

logger = logging.getLogger("policytracker.database")

# Seconds a client is asked to wait before trying again when the database is unavailable:
# about a restart of PostgreSQL.
RETRY_AFTER_SECONDS = 30


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)


def database_unavailable(request: HttpRequest, error: BaseException) -> HttpResponse:
    """503 with Retry-After: the request may succeed once the database answers again."""
    logger.warning(
        "Database unavailable: %s %s: %s: %s",
        request.method,
        request.path,
        error.__class__.__name__,
        str(error).strip().splitlines()[0] if str(error).strip() else "",
    )
    if is_api(request):
        response: HttpResponse = JsonResponse(
            {"detail": gettext("The database is unavailable. Please try again shortly.")},
            status=503,
        )
    else:
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: called while Django handles an uncaught exception, from a view or from a
    middleware. A database outage is a 503 whichever layer met it first."""
    error = sys.exception()
    if error is not None and is_unavailable(error):
        return database_unavailable(request, error)
    if is_api(request):
        return JsonResponse({"detail": gettext("Server error.")}, status=500)
    return HttpResponse(render_to_string("500.html"), status=500)


def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask for whatever a page links to: the static SVG icon
    (looked up per request: its name carries a hash of its content in production)."""
    return redirect(static("img/favicon.svg"))


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' answer to a login from a locked-out address and user name: our own page,
    translated, with the cool-off as Retry-After."""
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    response = render(
        request, "locked_out.html", {"minutes": settings.AXES_COOLOFF_MINUTES}, status=429
    )
    response["Retry-After"] = str(seconds)
    return response
