from django.urls import path

from . import views

app_name = "measures"

urlpatterns = [
    path("", views.home, name="home"),
    path("documents/", views.document_list, name="document_list"),
    path("documents/<slug:slug>/", views.document_detail, name="document"),
    path("agencies/", views.agency_list, name="agency_list"),
    path("agencies/<slug:slug>/", views.agency_detail, name="agency"),
    path("measures/", views.measure_list, name="measure_list"),
    path("measures/<slug:document>/<int:number>/", views.measure_detail, name="measure"),
    path("data-quality/", views.data_quality_page, name="data_quality"),
    path("changes/", views.changes, name="changes"),
]
