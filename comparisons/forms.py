from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from measures.models import Document


class CompareForm(forms.Form):
    """Two documents to compare: chosen from lists while the catalogue is small enough to list
    (the reference data's few documents); named by their slugs beyond that, where two lists of
    every document (31,000 at a million measures) would make a page of megabytes."""

    # The most documents offered as a list.
    largest_list = 300
    # True when documents are named by their ids (slugs), not chosen from lists.
    by_id = False

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        labels = {"a": _("Compare"), "b": _("with")}
        # Whether there are more than the list holds, without sorting them all.
        too_many = Document.objects.order_by()[self.largest_list :].exists()
        if not too_many:
            listed = Document.objects.in_reading_order().only("slug", "title_zh", "title_en")
            choices = [(d.slug, d.title) for d in listed]
            for name, label in labels.items():
                self.fields[name] = forms.ChoiceField(label=label, choices=choices)
            return
        hint = _("A document's id, as in its address, e.g. beijing-2025.")
        for name, label in labels.items():
            self.fields[name] = forms.SlugField(label=label, max_length=100, help_text=hint)
        self.by_id = True

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        named = {name: data[name] for name in ("a", "b") if data.get(name)}
        if isinstance(self.fields["a"], forms.SlugField) and named:
            known = set(
                Document.objects.filter(slug__in=named.values()).values_list("slug", flat=True)
            )
            for name, slug in named.items():
                if slug not in known:
                    self.add_error(name, _("No document has this id."))
        if data.get("a") and data.get("a") == data.get("b"):
            self.add_error("b", _("Choose two different documents."))
        return data
