"""The API under /api/v1/: each app's views, routed in one place so the paths stay as they were."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from comparisons.api import CompareView, MeasureLinkViewSet, SectionLinkViewSet
from finder.api import ApplicabilityView
from measures.api import views
from progress.api import MilestoneViewSet, ProgressView, TargetViewSet

from .health import HealthView

app_name = "api"

router = DefaultRouter(trailing_slash=True)
router.register("documents", views.DocumentViewSet, basename="document")
router.register("targets", TargetViewSet, basename="target")
router.register("milestones", MilestoneViewSet, basename="milestone")
router.register("links", MeasureLinkViewSet, basename="link")
router.register("section-links", SectionLinkViewSet, basename="section-link")
router.register("agencies", views.AgencyViewSet, basename="agency")
router.register("topics", views.TopicViewSet, basename="topic")
router.register("entity-types", views.EntityTypeViewSet, basename="entity-type")
router.register("stages", views.StageViewSet, basename="stage")

measure_list = views.MeasureViewSet.as_view({"get": "list"})
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
    *router.urls,
]
