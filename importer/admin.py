"""Admin: import a document from a file — upload, read the dry-run report, confirm to write."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from measures import models as catalogue

from . import models as m
from .decoding import Decoded, ImportInputError
from .report import format_preview
from .service import apply, plan, preview, save_preview


class ImportForm(forms.Form):
    file = forms.FileField(label=_("file"), help_text=_("plain text or a saved web page"))
    document = forms.ModelChoiceField(
        catalogue.Document.objects.all(),
        required=False,
        to_field_name="slug",
        label=_("document to reconcile"),
        help_text=_("leave empty to match by document number or title, or to add a new one"),
    )
    jurisdiction = forms.ModelChoiceField(
        catalogue.Jurisdiction.objects.all(),
        required=False,
        to_field_name="code",
        label=_("jurisdiction of a new document"),
    )
    source_url = forms.URLField(
        required=False, label=_("official URL"), help_text=_("where the file was downloaded")
    )

    def clean(self) -> dict:
        data = super().clean()
        upload = data.get("file")
        if upload is None or self.errors:
            return data
        try:
            self.preview = preview(
                upload.read(),
                file_name=upload.name,
                document=data["document"].slug if data.get("document") else "",
                jurisdiction=data["jurisdiction"].code if data.get("jurisdiction") else "",
                source_url=data.get("source_url") or "",
            )
        except ImportInputError as error:
            raise forms.ValidationError({"file": str(error)}) from None
        if self.preview.errors:
            raise forms.ValidationError([str(problem) for problem in self.preview.errors])
        return data


@admin.register(m.ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ["created_at", "file_name", "status", "document", "created_by"]
    list_filter = ["status"]
    search_fields = ["file_name", "sha256"]
    list_select_related = ["document", "created_by"]
    change_form_template = "admin/importer/importrun/change_form.html"
    exclude = ["text", "report"]

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        return [f.name for f in m.ImportRun._meta.fields if f.name not in ("id", "text", "report")]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # a run is a record; its one action is "apply"

    def get_urls(self):
        apply_url = path(
            "<int:pk>/apply/",
            self.admin_site.admin_view(self.apply_view),
            name="importer_importrun_apply",
        )
        return [apply_url, *super().get_urls()]

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            run = save_preview(form.preview, user=request.user)
            run.report["summary"] = format_preview(form.preview)
            run.save(update_fields=["report"])
            return HttpResponseRedirect(reverse("admin:importer_importrun_change", args=[run.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import a document"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/importer/importrun/upload.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # get_object() reads the id as the admin does: one that is not a number is no run
        # (a 404), where a lookup by it raised ValueError (a 500).
        run = self.get_object(request, unquote(object_id))
        if run is None:
            raise Http404
        extra_context = {
            **(extra_context or {}),
            "summary": run.report.get("summary", ""),
            "run": run,
            "can_apply": run.status == m.ImportStatus.PREVIEWED
            and self.has_add_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def apply_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        run = get_object_or_404(m.ImportRun, pk=pk)
        if request.method != "POST" or not self.has_add_permission(request):
            raise PermissionDenied
        change_url = reverse("admin:importer_importrun_change", args=[run.pk])
        if run.status != m.ImportStatus.PREVIEWED:
            messages.error(request, _("This import has already been applied."))
            return HttpResponseRedirect(change_url)
        # Plan again: the data may have changed since the preview.
        result = plan(
            Decoded(run.text, run.encoding, run.is_html),
            file_name=run.file_name,
            sha256=run.sha256,
            size=run.size,
            document=run.requested_document,
            jurisdiction=run.jurisdiction.code if run.jurisdiction else "",
            source_url=run.source_url,
        )
        if result.errors:
            for problem in result.errors:
                messages.error(request, str(problem))
            return HttpResponseRedirect(change_url)
        summary = format_preview(result)
        run = apply(result, user=request.user, run=run)
        run.report["summary"] = summary
        run.save(update_fields=["report"])
        messages.success(
            request,
            _("Imported into %(document)s.") % {"document": run.document.slug},
        )
        return HttpResponseRedirect(change_url)
