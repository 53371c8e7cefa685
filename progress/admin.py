"""The admin of targets, observations, milestones and indicator sources: saving a target or an
observation queues its refresh, saving a source reschedules it. The catalogue's models are
registered here because what their admin does on save is progress's business."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from jobs.outbox import queue_after_commit
from measures import models as m

from .models import IngestRun, ProgressSnapshot
from .schedules import schedule_source
from .tasks import ingest_observations, refresh_after_commit


class ObservationInline(admin.TabularInline):
    model = m.Observation
    extra = 0


@admin.register(m.Target)
class TargetAdmin(admin.ModelAdmin):
    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        refresh_after_commit(form.instance.pk)  # its observations may have changed

    list_display = ["measure", "key", "metric_zh", "goal", "deadline", "deadline_text"]
    list_filter = ["unit", "kind", "direction", "grade", "measure__document"]
    search_fields = ["key", "metric", "metric_zh", "metric_en", "deadline_text"]
    list_select_related = ["measure__document"]
    raw_id_fields = ["measure"]
    autocomplete_fields = ["source"]
    inlines = [ObservationInline]

    @admin.display(description=_("goal"))
    def goal(self, target: m.Target) -> str:
        return target.goal_display


@admin.register(m.Observation)
class ObservationAdmin(admin.ModelAdmin):
    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        refresh_after_commit(obj.target_id)

    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)
        refresh_after_commit(obj.target_id)

    list_display = ["target", "value", "observed_on", "grade", "origin", "link"]
    list_filter = ["grade", "origin", "target__measure__document"]
    search_fields = ["target__metric_zh", "target__metric_en", "note_zh", "note_en"]
    list_select_related = ["target__measure__document", "source"]
    raw_id_fields = ["target"]
    autocomplete_fields = ["source"]
    date_hierarchy = "observed_on"

    @admin.display(description=_("link"))
    def link(self, observation: m.Observation) -> str:
        return observation.link


@admin.register(ProgressSnapshot)
class ProgressSnapshotAdmin(admin.ModelAdmin):
    """Computed by refresh_progress: to read, not to edit."""

    list_display = ["target", "taken_on", "status", "share", "latest_value"]
    list_filter = ["status", "taken_on"]
    list_select_related = ["target__measure__document"]
    raw_id_fields = ["target"]
    date_hierarchy = "taken_on"


@admin.register(m.IndicatorSource)
class IndicatorSourceAdmin(admin.ModelAdmin):
    """Where observations are read from; saving reschedules the source's periodic task."""

    list_display = ["name", "title", "format", "location", "schedule", "on_error", "enabled"]
    list_filter = ["format", "on_error", "enabled"]
    search_fields = ["name", "title", "location"]
    autocomplete_fields = ["source"]
    actions = ["ingest_now"]

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        schedule_source(obj)

    def delete_model(self, request, obj) -> None:
        obj.enabled = False
        schedule_source(obj)  # removes its periodic task
        super().delete_model(request, obj)

    @admin.action(description=_("Ingest the selected sources now"))
    def ingest_now(self, request, queryset) -> None:
        for source in queryset:
            queue_after_commit(ingest_observations, source.pk)
        self.message_user(request, _("Queued; each run appears under Ingest runs when it is done."))


@admin.register(IngestRun)
class IngestRunAdmin(admin.ModelAdmin):
    """What each reading of a source brought: to read, never to edit."""

    list_display = [
        "source",
        "started_at",
        "status",
        "rows_read",
        "rows_added",
        "rows_skipped",
        "rows_rejected",
    ]
    list_filter = ["status", "source"]
    list_select_related = ["source"]
    date_hierarchy = "started_at"
    readonly_fields = [field.name for field in IngestRun._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(m.Milestone)
class MilestoneAdmin(admin.ModelAdmin):
    list_display = ["measure", "key", "title_zh", "status", "status_on", "origin", "grade"]
    list_filter = ["status", "origin", "grade", "measure__document"]
    search_fields = ["key", "title_zh", "title_en", "note_zh", "note_en"]
    list_select_related = ["measure__document"]
    raw_id_fields = ["measure"]
    autocomplete_fields = ["source"]
    date_hierarchy = "status_on"
