"""A change in the log said in plain words, in the reader's language: "goal ≤ 28 weeks → ≤ 20
weeks", "now overdue", "superseded by beijing-2025/3", "summary rewritten".

Used by every place that shows a change: /changes/, the measure page's history, the feeds, the
digests and the API's `summary_zh`/`summary_en`.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.utils import translation
from django.utils.translation import gettext as _

from . import typography
from .models import (
    Change,
    ChangeKind,
    Document,
    Measure,
    MeasureLink,
    Milestone,
    ObjectKind,
    Observation,
    Target,
    TargetLink,
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
SEPARATOR = {"zh-hans": "；", "en": "; "}
ARROW = " → "


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


def _field_change(change: Change, entry: dict[str, Any], unit: str | None) -> str:
    name = entry["field"]
    label = _label(change, name)
    if name in LONG or name.endswith("_id"):
        return _("%(field)s changed") % {"field": label}
    old = _value(change, name, entry.get("old"), unit)
    new = _value(change, name, entry.get("new"), unit)
    return f"{label} {old}{ARROW}{new}"


def describe(change: Change, unit: str | None = None) -> str:
    """What happened to the object, in the active language. `unit` is the target's, for
    amounts (a change's own target, when loaded, is used otherwise)."""
    if unit is None and change.target_id is not None and "target" in change._state.fields_cache:
        unit = change.target.unit if change.target is not None else None
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
        new = str(labels.get(entry.get("new"), entry.get("new")))
        old = entry.get("old")
        if not old:
            return _("now %(status)s") % {"status": new}
        return _("now %(new)s (was %(old)s)") % {"old": labels.get(old, old), "new": new}
    language = "en" if typography.is_english() else "zh-hans"
    parts = [_field_change(change, entry, unit) for entry in change.fields]
    return SEPARATOR[language].join(parts) or _("changed")


def describe_in(change: Change, language: str, unit: str | None = None) -> str:
    with translation.override(language):
        return describe(change, unit)


def object_name(change: Change) -> str:
    """The kind of object, in the active language: "measure", "target" …"""
    return str(ObjectKind(change.object_kind).label)


def page_of(change: Change) -> str | None:
    """The page of the object changed, while it exists: its measure's, else its document's.
    Expects `measure__document` and `document` selected."""
    if change.measure is not None:
        return change.measure.get_absolute_url()
    if change.document is not None:
        return change.document.get_absolute_url()
    return None
