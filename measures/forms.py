"""The applicability finder's form: a firm's profile, read from the query string."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .applicability import Profile
from .models import EntityType, Location, ProductStage, ProductType, Topic


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
    class1 = forms.BooleanField(label=_("It is a Class-1 innovative drug"), required=False)
    topics = forms.MultipleChoiceField(
        label=_("Topics of interest"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Measures on these topics rank higher."),
    )

    # What an unfilled form shows: the commonest visitor, a Beijing drug firm in trials.
    defaults = {
        "entity_type": "innovative_drug_firm",
        "location": Location.BEIJING,
        "stage": "clinical_trial",
    }

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("initial", self.defaults)
        super().__init__(*args, **kwargs)
        self.fields["entity_type"].choices = [
            (e.code, e.name) for e in EntityType.objects.order_by("pk")
        ]
        no_choice = [("", _("— none / not applicable —"))]
        self.fields["stage"].choices = no_choice + [
            (stage.code, stage.name) for stage in ProductStage.objects.order_by("ordinal")
        ]
        self.fields["product_type"].choices = no_choice + [
            (item.code, item.name) for item in ProductType.objects.all()
        ]
        self.fields["topics"].choices = [(topic.code, topic.name) for topic in Topic.objects.all()]

    def profile(self) -> Profile:
        data = self.cleaned_data
        return Profile(
            entity_type=data["entity_type"],
            location=data["location"],
            stage=data["stage"],
            product_type=data["product_type"],
            class1=data["class1"],
            topics=tuple(data["topics"]),
        )
