"""The API under /api/v1/: each app's views, routed in one place so the paths stay as they were."""

from django.urls import path
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.routers import APIRootView, DefaultRouter

from comparisons.api import CompareView, MeasureLinkViewSet, SectionLinkViewSet
from finder.api import ApplicabilityView
from measures.api import views
from progress.api import MilestoneViewSet, ProgressView, TargetViewSet
from webhooks.api import EndpointViewSet

from .health import HealthView

app_name = "api"

# The endpoints that are plain views, not viewsets, by their URL names: the router's root
# would not know them.
VIEWS = {
    "measures": "measure-list",
    "vocabularies": "vocabularies",
    "progress": "progress",
    "data-quality": "data-quality",
    "applicability": "applicability",
    "compare": "compare",
    "changes": "change-list",
    "health": "health",
}


class APIRoot(APIRootView):
    """Every endpoint of the API, with its schema and its documentation."""

    renderer_classes = [JSONRenderer, BrowsableAPIRenderer]  # a directory, not a list to export

    def get(self, request: Request, *args, **kwargs) -> Response:
        response = super().get(request, *args, **kwargs)
        response.data["schema"] = reverse("schema", request=request)
        response.data["docs"] = reverse("api-docs", request=request)
        return response


class Router(DefaultRouter):
    APIRootView = APIRoot

    def get_api_root_view(self, api_urls=None):
        viewsets = {prefix: f"{basename}-list" for prefix, _, basename in self.registry}
        return self.APIRootView.as_view(
            api_root_dict={"measures": VIEWS["measures"], **viewsets, **VIEWS}
        )


router = Router(trailing_slash=True)
router.register("documents", views.DocumentViewSet, basename="document")
router.register("targets", TargetViewSet, basename="target")
router.register("milestones", MilestoneViewSet, basename="milestone")
router.register("links", MeasureLinkViewSet, basename="link")
router.register("section-links", SectionLinkViewSet, basename="section-link")
router.register("agencies", views.AgencyViewSet, basename="agency")
router.register("topics", views.TopicViewSet, basename="topic")
router.register("entity-types", views.EntityTypeViewSet, basename="entity-type")
router.register("stages", views.StageViewSet, basename="stage")
router.register("webhooks", EndpointViewSet, basename="webhook")

measure_list = views.MeasureViewSet.as_view({"get": "list"})
change_list = views.ChangeList.as_view({"get": "list"})
measure_detail = views.MeasureViewSet.as_view({"get": "retrieve", "patch": "partial_update"})

urlpatterns = [
    path("measures/", measure_list, name="measure-list"),
    # A measure's public id has a slash: /measures/beijing-2025/12/
    path("measures/<slug:document>/<int:number>/", measure_detail, name="measure-detail"),
    path("vocabularies/", views.VocabulariesView.as_view(), name="vocabularies"),
    path("health/", HealthView.as_view(), name="health"),
    path("progress/", ProgressView.as_view(), name="progress"),
    path("data-quality/", views.DataQualityView.as_view(), name="data-quality"),
    path("applicability/", ApplicabilityView.as_view(), name="applicability"),
    path("compare/", CompareView.as_view(), name="compare"),
    path("changes/", change_list, name="change-list"),
    *router.urls,
]
