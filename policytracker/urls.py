from django.contrib import admin
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from policytracker.moved import MOVED_ADMIN, moved_admin_page
from policytracker.views import favicon

# The admin names the site in the editor's language ("政策追踪 管理"), not "Django 管理".
admin.site.site_header = _("Policy Tracker administration")
admin.site.site_title = _("Policy Tracker administration")

urlpatterns = [
    # Admin pages of models that moved app (policytracker/moved.py); what follows is kept whole.
    *(
        re_path(rf"^admin/(?P<app>{app})/(?P<model>{model})/(?P<rest>[\s\S]*)$", moved_admin_page)
        for app, model in MOVED_ADMIN
    ),
    # Browsers ask for /favicon.ico whatever the page links to; the icon is the static SVG.
    path("favicon.ico", favicon),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("policytracker.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's setup script as a file: no inline script (see csp.py).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("compare/", include("comparisons.urls")),
    path("progress/", include("progress.urls")),
    path("applicability/", include("finder.urls")),
    path("alerts/", include("alerts.urls")),
    path("", include("measures.urls")),
]

handler404 = "policytracker.views.not_found"
handler500 = "policytracker.views.server_error"
