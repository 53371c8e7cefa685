"""The admin speaks the editor's language: in Chinese, every model, field and choice of ours is
named in Chinese on the list and the form (Django's own "ID" aside), and the site is "政策追踪
管理", not "Django 管理"."""

import re
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.db import models
from django.urls import reverse
from django.utils import translation

from tests.policytracker.test_admin import admin_url, editor_client  # noqa: F401  a fixture

OURS = {"measures", "progress", "importer", "comparisons", "jobs"}
MODELS = [model for model in admin.site._registry if model._meta.app_label in OURS]
HAN = re.compile(r"[\u4e00-\u9fff]")
# Names that read the same in both languages.
SAME_IN_BOTH = {"ID", "TB", "CSV", "JSON", "%", "≤", "<", "≥", ">", "="}


def untranslated(names) -> list[str]:
    return [name for name in map(str, names) if name not in SAME_IN_BOTH and not HAN.search(name)]


class _Labels(HTMLParser):
    """The texts of a page's <label>s and column headers: the names the admin gives fields (a
    row's header is the object's name, not a field's)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[list[str] | None] = []  # None: a row's header, not read
        self.names: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "label" or (tag == "th" and ("scope", "col") in attrs):
            self.open.append([])
        elif tag == "th":
            self.open.append(None)

    def handle_endtag(self, tag) -> None:
        if tag in {"label", "th"} and self.open:
            texts = self.open.pop()
            name = " ".join("".join(texts or []).split()).rstrip(":：")
            if name:
                self.names.append(name)

    def handle_data(self, data) -> None:
        for texts in self.open:
            if texts is not None:
                texts.append(data)


def names_on(html: str) -> list[str]:
    """The field names in the page's content (the navigation lists other apps' models too)."""
    parser = _Labels()
    parser.feed(html.split('id="content"', 1)[1])
    return parser.names


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_every_model_field_and_choice_of_ours_has_a_chinese_name(model):
    with translation.override("zh-hans"):
        meta = model._meta
        fields = [field for field in meta.get_fields() if not field.auto_created or field.concrete]
        choices = [
            label
            for field in fields
            if isinstance(field, models.Field) and field.choices
            for _, label in field.flatchoices
        ]
        assert untranslated([meta.verbose_name, meta.verbose_name_plural]) == []
        assert untranslated(field.verbose_name for field in fields) == []
        assert untranslated(choices) == []


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_the_list_and_the_form_name_every_field_in_chinese(editor_client, model):  # noqa: F811
    zh = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
    listing = editor_client.get(admin_url(model, "changelist"), **zh).content.decode()
    assert untranslated(names_on(listing)) == []
    obj = model._default_manager.first()
    form = editor_client.get(admin_url(model, "change", obj.pk), **zh).content.decode()
    assert untranslated(names_on(form)) == []
    # The titles name the model in Chinese ("选择 措施 来修改", not "选择 measure 来修改").
    with translation.override("en"):
        english = str(model._meta.verbose_name)
    for page in (listing, form):
        assert english not in page.split("</title>")[0].split("<title>")[1]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "header"),
    [("zh-hans", "政策追踪 管理"), ("en", "Policy Tracker administration")],
)
def test_the_admin_names_the_site_in_each_language(editor_client, language, header):  # noqa: F811
    page = editor_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE=language)
    html = page.content.decode()
    assert header in html
    assert "Django" not in html.split("<body")[1].split("</header>")[0]
