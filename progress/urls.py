from django.urls import path

from . import views

app_name = "progress"

urlpatterns = [
    path("", views.progress, name="progress"),
    path("deadlines.ics", views.deadlines_ics, name="deadlines_ics"),
]
