from django.urls import path

from . import feeds, views

app_name = "measures"

urlpatterns = [
    path("", views.home, name="home"),
    path("documents/", views.document_list, name="document_list"),
    path("documents/<slug:slug>/", views.document_detail, name="document"),
    path("documents/<slug:slug>/feed/", feeds.DocumentFeed(), name="document_feed"),
    path("changes/feed/", feeds.AllChangesFeed(), name="changes_feed"),
    path("agencies/", views.agency_list, name="agency_list"),
    path("agencies/<slug:slug>/", views.agency_detail, name="agency"),
    path("measures/", views.measure_list, name="measure_list"),
    path("measures/<slug:document>/<int:number>/", views.measure_detail, name="measure"),
    path("measures/<slug:document>/<int:number>/feed/", feeds.MeasureFeed(), name="measure_feed"),
    path("data-quality/", views.data_quality_page, name="data_quality"),
    path("changes/", views.changes, name="changes"),
]
