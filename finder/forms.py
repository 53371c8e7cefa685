"""The applicability finder's form: a firm's profile, read from the query string."""

from __future__ import annotations

import datetime
from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from measures.filters import AsOfField
from measures.models import EntityType, Location, ProductStage, ProductType, Topic

from .applicability import Profile

# The topics box that means no filter by topic (no topic of the vocabulary has this code).
ALL_TOPICS = "all"


class IncludeEndedCheckbox(forms.CheckboxInput):
    """A checkbox that sends `in_force=all`, and hands the field the value as sent."""

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(
            {"value": "all", **(attrs or {})}, check_test=lambda value: value in ("all", True)
        )

    def format_value(self, value: object) -> None:
        return None  # the value sent is always `all` (in attrs), whatever came in

    # The value as sent, not a bool: the stub's CheckboxInput promises a bool.
    def value_from_datadict(self, data, files, name: str) -> object:  # type: ignore[override]
        return data.get(name)


class IncludeEndedField(forms.BooleanField):
    """The "include superseded measures" checkbox: `in_force=all` when ticked, as on the
    measures list and in the API; `true` or nothing: in force only."""

    widget = IncludeEndedCheckbox

    def to_python(self, value: object) -> bool:
        if value in (None, "", "true", False):
            return False
        if value in ("all", True):
            return True
        raise forms.ValidationError(
            _("Choose true (in force only) or all (also superseded)."), code="invalid"
        )


class ProfileForm(forms.Form):
    """Choices come from the vocabularies (four small queries), labelled in the interface
    language; the codes are those of the API."""

    entity_type = forms.ChoiceField(label=_("We are"))
    location = forms.ChoiceField(label=_("We operate"), choices=Location.choices)
    stage = forms.ChoiceField(
        label=_("Our product's stage"),
        required=False,
        help_text=_("Leave empty if you have no product of your own (hospital, insurer, …)."),
    )
    product_type = forms.ChoiceField(label=_("Product type"), required=False)
    class1 = forms.BooleanField(
        label=_("It is a Class-1 innovative drug"),
        required=False,
        help_text=_("Not asked of devices: ignored for a device firm or product."),
    )
    topics = forms.MultipleChoiceField(
        label=_("Topics of interest"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only measures on at least one of the topics ticked; all topics when none is."),
    )
    in_force = IncludeEndedField(label=_("Include superseded measures"), required=False)
    as_of = AsOfField(
        label=_("As of"),
        required=False,
        help_text=_("YYYY-MM-DD: the measures in force that day. Empty: today."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    # What an unfilled form shows: the commonest visitor, a Beijing drug firm in trials.
    defaults = {
        "entity_type": "innovative_drug_firm",
        "location": Location.BEIJING,
        "stage": "clinical_trial",
        "topics": [ALL_TOPICS],
    }

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("initial", self.defaults)
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["entity_type"]).choices = [
            (e.code, e.name) for e in EntityType.objects.order_by("pk")
        ]
        no_choice = [("", _("— none / not applicable —"))]
        cast(forms.ChoiceField, self.fields["stage"]).choices = no_choice + [
            (stage.code, stage.name) for stage in ProductStage.objects.order_by("ordinal")
        ]
        cast(forms.ChoiceField, self.fields["product_type"]).choices = no_choice + [
            (item.code, item.name) for item in ProductType.objects.all()
        ]
        cast(forms.ChoiceField, self.fields["topics"]).choices = [
            (ALL_TOPICS, _("All topics")),
            *((topic.code, topic.name) for topic in Topic.objects.all()),
        ]

    def profile(self) -> Profile:
        data = self.cleaned_data
        return Profile(
            entity_type=data["entity_type"],
            location=data["location"],
            stage=data["stage"],
            product_type=data["product_type"],
            class1=data["class1"],
            # Topics ticked choose; "all topics" (the default) only when none is.
            topics=tuple(code for code in data["topics"] if code != ALL_TOPICS),
        )

    @property
    def as_of_day(self) -> datetime.date | None:
        return self.cleaned_data.get("as_of")

    @property
    def include_ended(self) -> bool:
        return self.cleaned_data.get("in_force", False)
