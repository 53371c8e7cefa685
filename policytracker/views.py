"""Site-wide error pages: JSON under /api/, the site's own page elsewhere."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.defaults import page_not_found


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' answer to a login from a locked-out address and user name: our own page,
    translated, with the cool-off as Retry-After."""
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    response = render(
        request, "locked_out.html", {"minutes": settings.AXES_COOLOFF_MINUTES}, status=429
    )
    response["Retry-After"] = str(seconds)
    return response
