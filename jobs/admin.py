from django.contrib import admin

from .models import WorkerPing


@admin.register(WorkerPing)
class WorkerPingAdmin(admin.ModelAdmin):
    list_display = ["token", "hostname", "created_at"]
    search_fields = ["token", "hostname"]
