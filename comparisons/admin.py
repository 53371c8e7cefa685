from django.contrib import admin

from .models import MeasureLink, SectionLink


@admin.register(MeasureLink)
class MeasureLinkAdmin(admin.ModelAdmin):
    list_display = ["__str__", "relation", "status", "score", "grade"]
    list_filter = ["relation", "status", "grade", "newer__document", "older__document"]
    search_fields = ["older__title_zh", "newer__title_zh", "note_zh", "note_en"]
    list_select_related = ["older__document", "newer__document"]
    raw_id_fields = ["older", "newer"]
    autocomplete_fields = ["source"]


@admin.register(SectionLink)
class SectionLinkAdmin(admin.ModelAdmin):
    list_display = ["__str__", "relation", "status", "grade"]
    list_filter = ["relation", "status", "grade", "newer__document"]
    search_fields = ["older__title_zh", "newer__title_zh", "note_zh", "note_en"]
    list_select_related = ["older__document", "newer__document"]
    raw_id_fields = ["older", "newer"]
    autocomplete_fields = ["source"]
