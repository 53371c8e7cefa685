from django.urls import path

from . import api

app_name = "api"

urlpatterns = [
    path("data-quality/", api.DataQualityView.as_view(), name="data-quality"),
]
