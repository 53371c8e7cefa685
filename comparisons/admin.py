from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from caching.dataversion import bump
from measures.changelog import recording, values_of
from measures.models import LinkStatus, MeasureLink, SectionLink, TargetLink

from .cache import refresh_cached_pairs


def _review(request: HttpRequest, queryset: QuerySet[MeasureLink], status: str) -> int:
    """Set the status of the selected suggestions (curated links stay as the files say), one
    UPDATE for all, each recorded in the change log as the editor's."""
    suggestions = queryset.filter(status=LinkStatus.SUGGESTED)
    with recording(process="admin", actor_id=request.user.pk, bulk=True) as log:
        links = list(suggestions.select_related("older", "newer").select_for_update(of=("self",)))
        changed = MeasureLink.objects.filter(pk__in=[link.pk for link in links]).update(
            status=status
        )
        for link in links:
            old = values_of(link)
            link.status = status
            log.changed(link, old)
    documents = {side.document_id for link in links for side in (link.older, link.newer) if side}
    bump()
    refresh_cached_pairs(documents)
    return changed


@admin.register(MeasureLink)
class MeasureLinkAdmin(admin.ModelAdmin):
    list_display = ["__str__", "relation", "status", "score", "grade"]
    list_filter = ["relation", "status", "grade", "newer__document", "older__document"]
    search_fields = ["older__title_zh", "newer__title_zh", "note_zh", "note_en"]
    list_select_related = ["older__document", "newer__document"]
    raw_id_fields = ["older", "newer"]
    autocomplete_fields = ["source"]
    actions = ["confirm_suggestions", "reject_suggestions"]

    @admin.action(description=_("Confirm the selected suggestions"))
    def confirm_suggestions(self, request: HttpRequest, queryset: QuerySet[MeasureLink]) -> None:
        changed = _review(request, queryset, LinkStatus.CONFIRMED)
        message = ngettext("%(n)d suggestion confirmed.", "%(n)d suggestions confirmed.", changed)
        self.message_user(request, message % {"n": changed}, messages.SUCCESS)

    @admin.action(description=_("Reject the selected suggestions"))
    def reject_suggestions(self, request: HttpRequest, queryset: QuerySet[MeasureLink]) -> None:
        changed = _review(request, queryset, LinkStatus.REJECTED)
        message = ngettext("%(n)d suggestion rejected.", "%(n)d suggestions rejected.", changed)
        self.message_user(request, message % {"n": changed}, messages.SUCCESS)


@admin.register(SectionLink)
class SectionLinkAdmin(admin.ModelAdmin):
    list_display = ["__str__", "relation", "status", "grade"]
    list_filter = ["relation", "status", "grade", "newer__document"]
    search_fields = ["older__title_zh", "newer__title_zh", "note_zh", "note_en"]
    list_select_related = ["older__document", "newer__document"]
    raw_id_fields = ["older", "newer"]
    autocomplete_fields = ["source"]


@admin.register(TargetLink)
class TargetLinkAdmin(admin.ModelAdmin):
    list_display = ["__str__", "relation", "status", "grade"]
    list_filter = ["relation", "status", "grade"]
    search_fields = ["older__metric", "newer__metric", "note_zh", "note_en"]
    list_select_related = ["older__measure__document", "newer__measure__document"]
    raw_id_fields = ["older", "newer"]
    autocomplete_fields = ["source"]
