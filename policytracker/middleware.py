"""Requests no page or endpoint can answer, refused at the door with a clear 400; a database
that cannot answer, a 503 rather than a 500."""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext

from policytracker.database import is_unavailable
from policytracker.views import database_unavailable, not_found

NUL = "\x00"


class RefuseNulCharacters:
    """A NUL character in the path or in a query parameter is refused with a 400.

    PostgreSQL stores no NUL in text, so such a value can match nothing we hold; passed on, it
    reached the database as an error and the client got a 500 (a filter, a slug, a compare
    parameter). One check here covers every page and endpoint, before any other work."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if NUL in request.path or any(
            NUL in name or any(NUL in value for value in values)
            for name, values in request.GET.lists()
        ):
            message = gettext("The address holds a NUL character (%00), which no value can hold.")
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=400)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class AnswerDatabaseOutages:
    """A view that meets the database down, hung or too slow answers 503 (see
    `policytracker.views.database_unavailable`), not a 500 with a traceback in the logs.

    This covers the views, DRF's included (DRF's handler re-raises what is not an API error)
    and the rendering of their templates. What the other middleware meet (a session read or
    saved, a user looked up) is turned into a response by Django's handler500, which answers
    the same 503 (`policytracker.views.server_error`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_unavailable(exception):
            return None
        return database_unavailable(request, exception)


class AnswerNotFoundWithOurPage:
    """A view that finds nothing (an unknown measure, document or agency: Http404) answers our
    404 page, with DEBUG on as well as off.

    Django calls handler404 only with DEBUG off; with it on, `make run` showed its technical
    page listing the URL patterns to whoever mistyped an id. An address that matches no route
    at all is still Django's to answer: handler404, or with DEBUG the technical page, which is
    what a developer writing a route needs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, Http404):
            return None
        return not_found(request, exception)
