from typing import cast

from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from . import models as m


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

    @admin.display(description=_("id"), ordering="number")
    def public_id(self, measure: m.Measure) -> str:
        return measure.public_id


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


@admin.register(m.Change)
class ChangeAdmin(admin.ModelAdmin):
    """The change log, with the editor and process behind each row: to read, never to edit
    (the public /changes/ page names no editor)."""

    list_display = ["at", "object_kind", "object_label", "kind", "process", "actor"]
    list_filter = ["object_kind", "kind"]
    search_fields = ["object_label", "process"]
    list_select_related = ["actor"]
    # Counting millions of rows for every page is slow; the log only grows.
    show_full_result_count = False
    raw_id_fields = ["document", "jurisdiction", "measure", "target", "source", "actor"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
