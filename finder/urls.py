from django.urls import path

from . import feeds, views

app_name = "finder"

urlpatterns = [
    path("", views.applicability, name="applicability"),
    path("feed/", feeds.ProfileFeed(), name="feed"),
]
