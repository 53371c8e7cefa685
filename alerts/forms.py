from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import criteria
from .models import Frequency, Language, Subscription, SubscriptionKind


class SubscribeForm(forms.Form):
    """Subscribe by e-mail to what a page shows; `kind` and `criteria` come from the page."""

    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    frequency = forms.ChoiceField(
        label=_("How often"), choices=Frequency.choices, initial=Frequency.DAILY
    )
    language = forms.ChoiceField(label=_("Language of the e-mails"), choices=Language.choices)
    kind = forms.ChoiceField(choices=SubscriptionKind.choices, widget=forms.HiddenInput)
    criteria = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "kind" in data and "criteria" in data:
            try:
                data["criteria"] = criteria.parse(data["kind"], data["criteria"])
            except ValidationError as error:
                self.add_error(None, error)
        return data


class ChangeForm(forms.Form):
    """One of an address's subscriptions, from its manage page: how often, in which language."""

    subscription = forms.ModelChoiceField(
        queryset=Subscription.objects.none(), widget=forms.HiddenInput
    )
    frequency = forms.ChoiceField(label=_("How often"), choices=Frequency.choices)
    language = forms.ChoiceField(label=_("Language of the e-mails"), choices=Language.choices)

    def __init__(self, *args: Any, subscriptions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["subscription"]).queryset = subscriptions


class UnsubscribeOneForm(forms.Form):
    subscription = forms.ModelChoiceField(
        queryset=Subscription.objects.none(), widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, subscriptions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["subscription"]).queryset = subscriptions
