from typing import cast

from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from . import admin_import  # noqa: F401  registers the import runs' admin
from . import models as m
from .outbox import queue_after_commit
from .schedules import schedule_source
from .tasks import ingest_observations, refresh_after_commit


@admin.register(m.Jurisdiction)
class JurisdictionAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name_zh", "name_en"]


@admin.register(m.Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["slug", "name_zh", "name_en", "short_name_zh", "jurisdiction", "kind"]
    list_filter = ["jurisdiction", "kind"]
    search_fields = ["slug", "name_zh", "name_en", "short_name_zh", "short_name_en", "aliases"]


@admin.register(m.Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["key", "title", "publisher", "published_on", "kind"]
    list_filter = ["kind"]
    search_fields = ["key", "title", "publisher", "url"]


@admin.register(m.Topic, m.EntityType, m.ProductType)
class VocabularyAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en"]
    search_fields = ["code", "name_zh", "name_en"]


@admin.register(m.ProductStage)
class ProductStageAdmin(admin.ModelAdmin):
    list_display = ["ordinal", "code", "name_zh", "name_en"]
    search_fields = ["code", "name_zh", "name_en"]


@admin.register(m.Series)
class SeriesAdmin(admin.ModelAdmin):
    list_display = ["slug", "name_zh", "name_en", "jurisdiction"]
    list_filter = ["jurisdiction"]
    search_fields = ["slug", "name_zh", "name_en"]


class IssuerInline(admin.TabularInline):
    model = m.DocumentIssuer
    extra = 0
    autocomplete_fields = ["agency"]


class SectionInline(admin.TabularInline):
    model = m.Section
    extra = 0
    fields = ["ordinal", "title_zh", "title_en"]


class MeasureInline(admin.TabularInline):
    model = m.Measure
    extra = 0
    fields = ["number", "section", "title_zh", "title_en", "grade"]
    show_change_link = True

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Offer only this document's parts, not every part of every document.
        if db_field.name == "section" and request.resolver_match.kwargs.get("object_id"):
            kwargs["queryset"] = m.Section.objects.filter(
                document_id=request.resolver_match.kwargs["object_id"]
            ).select_related("document")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(m.Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["slug", "title_zh", "number", "jurisdiction", "signed_on", "validity", "grade"]
    list_filter = ["jurisdiction", "end_reason", "grade", "series"]
    search_fields = ["slug", "title_zh", "title_en", "number"]
    date_hierarchy = "signed_on"
    inlines = [IssuerInline, SectionInline, MeasureInline]
    autocomplete_fields = ["source"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[m.Document]:
        # The default manager of Document's admin reads through DocumentQuerySet.
        return cast(m.DocumentQuerySet, super().get_queryset(request)).with_successor()

    @admin.display(description=_("validity today"))
    def validity(self, document: m.Document) -> str | Promise:
        return document.validity_on(timezone.localdate()).label


@admin.register(m.Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["document", "ordinal", "title_zh", "title_en"]
    list_filter = ["document"]
    search_fields = ["title_zh", "title_en"]
    list_select_related = ["document"]


class MeasureAgencyInline(admin.TabularInline):
    model = m.MeasureAgency
    extra = 0
    autocomplete_fields = ["agency", "source"]


class TargetInline(admin.StackedInline):
    model = m.Target
    extra = 0
    autocomplete_fields = ["source"]
    show_change_link = True


class EligibilityInline(admin.StackedInline):
    """Who can claim the measure and what to do (the finder's rule); the data files win on
    the next load, as for every curated fact."""

    model = m.Eligibility
    extra = 0
    filter_horizontal = ["product_types"]
    autocomplete_fields = ["approach"]


class MilestoneInline(admin.TabularInline):
    model = m.Milestone
    extra = 0
    fields = ["key", "title_zh", "title_en", "status", "status_on", "evidence_url", "grade"]


@admin.register(m.Measure)
class MeasureAdmin(admin.ModelAdmin):
    list_display = ["public_id", "title_zh", "title_en", "section", "grade", "updated_at"]
    list_filter = ["document", "grade", "placement_grade", "topics", "entity_types", "stages"]
    search_fields = ["title_zh", "title_en", "summary_zh", "summary_en", "full_text"]
    list_select_related = ["document", "section"]
    autocomplete_fields = ["source"]
    filter_horizontal = ["topics", "entity_types", "stages"]
    inlines = [MeasureAgencyInline, EligibilityInline, TargetInline, MilestoneInline]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "section":
            kwargs["queryset"] = m.Section.objects.select_related("document")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="id", ordering="number")
    def public_id(self, measure: m.Measure) -> str:
        return measure.public_id


class ObservationInline(admin.TabularInline):
    model = m.Observation
    extra = 0


@admin.register(m.Target)
class TargetAdmin(admin.ModelAdmin):
    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        refresh_after_commit(form.instance.pk)  # its observations may have changed

    list_display = ["measure", "key", "metric_zh", "goal_display", "deadline", "deadline_text"]
    list_filter = ["unit", "kind", "direction", "grade", "measure__document"]
    search_fields = ["key", "metric", "metric_zh", "metric_en", "deadline_text"]
    list_select_related = ["measure__document"]
    raw_id_fields = ["measure"]
    autocomplete_fields = ["source"]
    inlines = [ObservationInline]


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
    search_fields = ["target__metric_zh", "target__metric_en", "note"]
    list_select_related = ["target__measure__document", "source"]
    raw_id_fields = ["target"]
    autocomplete_fields = ["source"]
    date_hierarchy = "observed_on"


@admin.register(m.WorkerPing)
class WorkerPingAdmin(admin.ModelAdmin):
    list_display = ["token", "hostname", "created_at"]
    search_fields = ["token", "hostname"]


@admin.register(LogEntry)
class LogEntryAdmin(admin.ModelAdmin):
    """Who changed what and when, in the admin or through the API: to read, never to edit."""

    list_display = ["action_time", "user", "content_type", "object_repr", "action_flag"]
    list_filter = ["action_flag", "content_type"]
    search_fields = ["object_repr", "change_message", "user__username"]
    date_hierarchy = "action_time"
    list_select_related = ["user", "content_type"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(m.ProgressSnapshot)
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


@admin.register(m.IngestRun)
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
    readonly_fields = [field.name for field in m.IngestRun._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(m.Milestone)
class MilestoneAdmin(admin.ModelAdmin):
    list_display = ["measure", "key", "title_zh", "status", "status_on", "origin", "grade"]
    list_filter = ["status", "origin", "grade", "measure__document"]
    search_fields = ["key", "title_zh", "title_en", "note"]
    list_select_related = ["measure__document"]
    raw_id_fields = ["measure"]
    autocomplete_fields = ["source"]
    date_hierarchy = "status_on"
