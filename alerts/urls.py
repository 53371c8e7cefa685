from django.urls import path

from . import views

app_name = "alerts"

urlpatterns = [
    path("subscribe/", views.subscribe, name="subscribe"),
    path("confirm/<str:signed>/", views.confirm, name="confirm"),
    path("manage/<str:signed>/", views.manage, name="manage"),
    path("unsubscribe/<str:signed>/", views.unsubscribe, name="unsubscribe"),
]
