from django.urls import path

from . import views

app_name = "comparisons"

urlpatterns = [
    path("", views.picker, name="picker"),
    path("<slug:a>/<slug:b>/", views.compare, name="compare"),
]
