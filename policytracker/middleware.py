"""Requests no page or endpoint can answer, refused at the door with a clear 400."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext

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
