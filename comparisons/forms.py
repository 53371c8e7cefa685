from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from measures.models import Document


class CompareForm(forms.Form):
    a = forms.ChoiceField(label=_("Compare"))
    b = forms.ChoiceField(label=_("with"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [(d.slug, d.title) for d in Document.objects.in_reading_order()]
        for name in ("a", "b"):
            cast(forms.ChoiceField, self.fields[name]).choices = choices

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("a") and data.get("a") == data.get("b"):
            self.add_error("b", _("Choose two different documents."))
        return data
