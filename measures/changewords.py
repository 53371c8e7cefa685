"""A change in the log said in plain words, in the reader's language: "goal ≤ 28 weeks → ≤ 20
weeks", "now overdue", "superseded by beijing-2025/3", "summary rewritten".

Used by every place that shows a change: /changes/, the measure page's history, the feeds, the
digests and the API's `summary_zh`/`summary_en`.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.utils import translation
from django.utils.translation import gettext as _

from caching import dataversion

from . import typography
from .models import (
    Agency,
    AgencyRole,
    Change,
    ChangeKind,
    Document,
    EntityType,
    Measure,
    MeasureLink,
    Milestone,
    ObjectKind,
    Observation,
    ProductStage,
    Target,
    TargetLink,
    Topic,
)

MODELS: dict[str, Any] = {
    ObjectKind.DOCUMENT: Document,
    ObjectKind.MEASURE: Measure,
    ObjectKind.TARGET: Target,
    ObjectKind.OBSERVATION: Observation,
    ObjectKind.MILESTONE: Milestone,
}
# A link's fields are the same on its three models; the measure link names them all.
LINK_MODELS = (MeasureLink, TargetLink)

# Fields whose values are amounts in the target's unit.
AMOUNTS = {"goal_value", "baseline_value", "value"}
# Long texts: saying that they changed is enough; the page shows the new text.
LONG = {
    "summary_zh",
    "summary_en",
    "full_text",
    "note_zh",
    "note_en",
    "grade_note_zh",
    "grade_note_en",
    "placement_note_zh",
    "placement_note_en",
}
# Texts kept in both languages: a reader is shown the values of their own language's half (the
# other half would put a foreign sentence on the page); of the other, that it changed.
HALVES = {"_zh": "zh-hans", "_en": "en"}
SEPARATOR = {"zh-hans": "；", "en": "; "}
ARROW = " → "

# The sets a measure holds, recorded as sorted lists of codes (agencies as `slug:role`): said as
# what joined (+) and what left (−), by name.
SETS: dict[str, Any] = {
    "topics": Topic,
    "entity_types": EntityType,
    "stages": ProductStage,
    "agencies": Agency,
}
LIST_SEPARATOR = {"zh-hans": "、", "en": ", "}


class Names:
    """Each vocabulary's names by code, read with one query per vocabulary and kept in the
    process until the data version moves (while the shared cache is down, for a minute): every
    change on a page, in a feed or in a digest is said without a query of its own."""

    def __init__(self) -> None:
        self.kept: dict[Any, tuple[Any, dict[str, tuple[str, str]]]] = {}
        self.lock = threading.Lock()

    def of(self, model: Any) -> dict[str, tuple[str, str]]:
        version = dataversion.current()
        stamp = version if version is not None else ("minute", int(time.monotonic() // 60))
        with self.lock:
            kept = self.kept.get(model)
        if kept is not None and kept[0] == stamp:
            return kept[1]
        if model is Agency:
            rows = Agency.objects.values_list(
                "slug", "short_name_zh", "name_zh", "short_name_en", "name_en"
            )
            names = {slug: (szh or zh, sen or en) for slug, szh, zh, sen, en in rows}
        else:
            names = {
                code: (zh, en)
                for code, zh, en in model.objects.values_list("code", "name_zh", "name_en")
            }
        with self.lock:
            self.kept[model] = (stamp, names)
        return names


names = Names()


def _set_member(name: str, code: str) -> str:
    """One code of a set by name in the active language (the code itself once it is gone)."""
    english = _language() == "en"
    if name == "agencies":
        slug, _sep, role = code.partition(":")
        pair = names.of(Agency).get(slug)
        agency = (pair[1] if english else pair[0]) if pair else ""
        agency = agency or slug
        if not role:
            return agency
        role_label = str(dict(AgencyRole.choices).get(role, role))
        return f"{agency} ({role_label})" if english else f"{agency}（{role_label}）"
    pair = names.of(SETS[name]).get(code)
    # A name missing in the reader's language is not taken from the other: the code instead.
    return ((pair[1] if english else pair[0]) if pair else "") or code


def _set_change(entry: dict[str, Any]) -> str:
    """ "topics +Market access, −Pricing": what joined the set, then what left it."""
    name = entry["field"]
    old, new = set(entry.get("old") or []), set(entry.get("new") or [])
    parts = [f"+{_set_member(name, code)}" for code in sorted(new - old)]
    parts += [f"−{_set_member(name, code)}" for code in sorted(old - new)]
    field = Measure._meta.get_field(name)
    label = str(getattr(field, "verbose_name", name))
    return f"{label} {LIST_SEPARATOR[_language()].join(parts)}"


def _field(change: Change, name: str) -> Any:
    models = (MODELS[change.object_kind],) if change.object_kind in MODELS else LINK_MODELS
    for model in models:
        for field in model._meta.concrete_fields:
            if name in (field.name, field.attname):
                return field
    raise FieldDoesNotExist(name)


def _label(change: Change, name: str) -> str:
    try:
        return str(_field(change, name).verbose_name)
    except FieldDoesNotExist:
        return name


def _value(change: Change, name: str, value: Any, unit: str | None) -> str:
    if value is None or value == "":
        return "—"
    if name in AMOUNTS and unit:
        try:
            return typography.quantity(Decimal(str(value)), unit)
        except InvalidOperation:
            return str(value)
    try:
        field = _field(change, name)
    except FieldDoesNotExist:
        return str(value)
    if field.choices:
        return str(dict(field.choices).get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def _language() -> str:
    return "en" if typography.is_english() else "zh-hans"


def _other_language(name: str) -> bool:
    return any(name.endswith(end) and language != _language() for end, language in HALVES.items())


def _field_change(change: Change, entry: dict[str, Any], unit: str | None) -> str:
    name = entry["field"]
    if name in SETS and change.object_kind == ObjectKind.MEASURE:
        return _set_change(entry)
    label = _label(change, name)
    if name in LONG or name.endswith("_id") or _other_language(name):
        return _("%(field)s changed") % {"field": label}
    old = _value(change, name, entry.get("old"), unit)
    new = _value(change, name, entry.get("new"), unit)
    return f"{label} {old}{ARROW}{new}"


def describe(change: Change, unit: str | None = None) -> str:
    """What happened to the object, in the active language. `unit` is the target's, for
    amounts (a change's own target, when loaded, is used otherwise)."""
    if unit is None and change.target_id is not None and "target" in change._state.fields_cache:
        unit = change.target.unit if change.target is not None else None
    if unit is None and change.object_kind == ObjectKind.TARGET:
        # A removed target's (or one whose unit changed) unit is in the change itself.
        entry = change.field("unit") or {}
        unit = entry.get("new") or entry.get("old")
    if change.kind == ChangeKind.ADDED:
        return _("added")
    if change.kind == ChangeKind.REMOVED:
        return _("removed")
    if change.kind == ChangeKind.SUPERSEDED:
        by = change.field("superseded_by")
        if by and by.get("new"):
            return _("superseded by %(measure)s") % {"measure": by["new"]}
        return _("superseded by a newer edition")
    if change.kind == ChangeKind.STATUS:
        entry = change.field("status") or {}
        field = Target._meta.get_field("status")
        labels = dict(field.choices or [])
        old, new = entry.get("old"), entry.get("new")
        if not new and not old:
            return _("status changed")
        if not new:
            return _("no longer judged (was %(old)s)") % {"old": labels.get(old, old)}
        if not old:
            return _("now %(status)s") % {"status": labels.get(new, new)}
        return _("now %(new)s (was %(old)s)") % {
            "old": labels.get(old, old),
            "new": labels.get(new, new),
        }
    parts = [_field_change(change, entry, unit) for entry in change.fields]
    return SEPARATOR[_language()].join(parts) or _("changed")


def describe_in(change: Change, language: str, unit: str | None = None) -> str:
    with translation.override(language):
        return describe(change, unit)


def object_name(change: Change) -> str:
    """The kind of object, in the active language: "measure", "target" …"""
    return str(ObjectKind(change.object_kind).label)


# Who wrote a change, by its process (`import run 12` → `import`). An editor's name is not
# shown publicly: the admin, the API and the site's forms are all "an editor".
EDITORS = {"admin", "api", "web"}


def author(change: Change) -> str:
    """Who or what made the change, in the active language, never an editor's name."""
    process = change.process.split(" ", 1)[0]
    if process in EDITORS:
        return _("an editor")
    words = {
        "load_policies": _("the reference data"),
        "refresh_progress": _("the progress rules"),
        "import": _("an official text's import"),
        "ingest": _("an indicator source"),
    }
    return words.get(process, _("maintenance"))


def subject(change: Change) -> str:
    """The object changed as readers call it, in the active language: the measure's title
    (with the target's metric for a target or its observations), else the document's short
    name, else, once it is gone, the label it had. Expects what `page_of` expects, and
    `target`."""
    if change.measure is not None:
        title = change.measure.title or change.measure.public_id
        target = change._state.fields_cache.get("target") if change.target_id else None
        if target is not None and change.object_kind in (ObjectKind.TARGET, ObjectKind.OBSERVATION):
            return f"{title} · {target.metric_label}"
        return title
    if change.document is not None:
        return change.document.short_name
    return change.object_label


def page_of(change: Change) -> str | None:
    """The page of the object changed, while it exists: its measure's (at the target, for a
    target's changes when the target is selected), else its document's. Expects
    `measure__document` and `document` selected."""
    if change.measure is not None:
        url = change.measure.get_absolute_url()
        target = change._state.fields_cache.get("target") if change.target_id else None
        return f"{url}#target-{target.key}" if target is not None else url
    if change.document is not None:
        return change.document.get_absolute_url()
    return None
