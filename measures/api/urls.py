from django.urls import path
from rest_framework.routers import DefaultRouter

from comparisons.api import CompareView

from . import views
from .applicability import ApplicabilityView

app_name = "api"

router = DefaultRouter(trailing_slash=True)
router.register("documents", views.DocumentViewSet, basename="document")
router.register("targets", views.TargetViewSet, basename="target")
router.register("milestones", views.MilestoneViewSet, basename="milestone")
router.register("links", views.MeasureLinkViewSet, basename="link")
router.register("section-links", views.SectionLinkViewSet, basename="section-link")
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
    path("health/", views.HealthView.as_view(), name="health"),
    path("progress/", views.ProgressView.as_view(), name="progress"),
    path("data-quality/", views.DataQualityView.as_view(), name="data-quality"),
    path("applicability/", ApplicabilityView.as_view(), name="applicability"),
    path("compare/", CompareView.as_view(), name="compare"),
    *router.urls,
]
