"""What the API returns (output serializers) and accepts (input serializers, for editors' writes).

Ids are the public ones: document slugs, `<document>/<number>` for measures, codes for the
vocabularies; targets, observations and links, which have no natural id, use their database id.
"""

from __future__ import annotations

import datetime
import re
from typing import Any, Protocol

from django.db import models
from django.utils import timezone, translation
from django.utils.functional import Promise
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import APIException

from measures import changewords, citations
from measures import models as m
from measures.asof import lend_successor, show_as_of
from measures.models import LinkStatus, MeasureLink, SectionLink

# One description per field name, shared by every serializer that shows the field.
FIELD_DESCRIPTIONS = {
    "aliases": "Other names the texts use.",
    "baseline_date": "Date of the starting value.",
    "baseline_value": "Starting value, where the sources give one.",
    "comparator": "lte, lt, gte, gt or eq, against the goal.",
    "at": "When the change was recorded.",
    "created_at": "When the row was recorded.",
    "deadline": "Date by which the goal is due.",
    "deadline_text": "The deadline or rule as the source words it.",
    "deadline_text_en": "The deadline or rule in English.",
    "direction": "lower or higher: which way is better.",
    "edition": "Edition within the series.",
    "effective_from": "Date it takes effect.",
    "full_text": "Official text, only when imported from a supplied file.",
    "goal_value": "The value to reach.",
    "grade": "official, secondary, inferred or unknown.",
    "grade_note": "Basis of the grade.",
    "id": "Database id of the target.",
    "is_stale": "The latest value is older than the reporting interval.",
    "key": "Stable key of the source.",
    "kind": "official, repost (of an official text) or secondary.",
    "latest_observed_on": "Date of the latest observation.",
    "latest_value": "The latest observed value.",
    "metric": "Metric code, shared across documents for comparison.",
    "metric_en": "What is measured, in English.",
    "metric_zh": "What is measured, in Chinese.",
    "fields": (
        "Each changed field: [{field, old, new}], values as JSON (decimals and dates as text); for "
        "a removed object its last values."
    ),
    "name_en": "Full name in English.",
    "name_zh": "Full name in Chinese.",
    "note": "What was reported.",
    "note_en": "Note in English.",
    "note_zh": "Note in Chinese.",
    "number": "Document number (文号).",
    "object_id": "Database id of the object changed.",
    "target": "Database id of the target, for a change to a target or its observations.",
    "object_label": "The object's public id when the change was recorded (kept once it is gone).",
    "process": "What wrote it: load_policies, import run N, ingest run N, refresh_progress, admin…",
    "observed_on": (
        "The date the value stands for: the end of the period it measures, not the report's date."
    ),
    "ordinal": "Part number (1 = 一).",
    "origin": "reference (from the data files) or editor.",
    "placement_grade": "How sure we are this is measure (N) of its part.",
    "placement_note": "Basis of the placement grade.",
    "progress_computed_at": "When progress was last computed.",
    "progress_share": "Share of the way from baseline to goal, 0 to 1.",
    "published_on": "When it was published, where known.",
    "publisher": "Who published it.",
    "relation": (
        "continued, strengthened, relaxed, merged, split, new, dropped, implements, goes_beyond, "
        "anticipates or corresponds."
    ),
    "reporting_interval_days": "How often a value is expected, in days.",
    "score": "Similarity score of a suggested link.",
    "share": "Share of the way from baseline to goal, 0 to 1.",
    "short_name_en": "Short English name.",
    "short_name_zh": "Short Chinese name (市医保局).",
    "signed_on": "Date signed (成文).",
    "slug": "Stable id, used in the `agency` filter.",
    "source_span": "The short phrase the target was read from.",
    "source_url": "Where an editor found the value.",
    "status": (
        "achieved (met, and by the deadline once it has passed), achieved_late (met only after "
        "the deadline), on_track, behind, missed (the value reported for the deadline falls "
        "short), overdue (the deadline passed without a report) or no_data."
    ),
    "summary_en": "Summary in English, in our words.",
    "summary_zh": "Summary in Chinese, in our words.",
    "taken_on": "The day the progress was computed.",
    "title": "Title of the page, in our words where it is long.",
    "title_en": "Title in English.",
    "title_zh": "Title in Chinese.",
    "unit": "week, working_day, day, month, percent, count, cny_100m, …",
    "updated_at": "When the record last changed.",
    "url": "Where the fact can be checked.",
    "value": "The observed value, in the target's unit.",
}


# What an editor says of the grade of a fact they enter (never `unknown`).
EDITOR_GRADE = {
    "grade": "official, secondary or inferred.",
    "grade_note": "Basis of the grade; required for inferred.",
}
# A milestone's fields, read or written.
MILESTONE_DESCRIPTIONS = {
    "status": "not_started, in_progress or done.",
    "status_on": "The date the evidence reports the status.",
    "note": "What the evidence says.",
}


def described(*names: str, **overrides: str) -> dict[str, dict[str, Any]]:
    """`extra_kwargs` giving each field its description (or a more specific one)."""
    texts = {name: FIELD_DESCRIPTIONS[name] for name in names} | overrides
    return {name: {"help_text": text} for name, text in texts.items()}


class OptionalURLField(serializers.URLField):
    """A link that may be missing: `null` rather than an empty string, which is no URL."""

    def __init__(self, **kwargs) -> None:
        super().__init__(allow_null=True, read_only=True, **kwargs)

    # DRF puts whatever this returns in the answer; the stub's CharField promises a str.
    def to_representation(self, value: str) -> str | None:  # type: ignore[override]
        return value or None


def text(help_text: str, **kwargs) -> serializers.CharField:
    return serializers.CharField(help_text=help_text, read_only=True, **kwargs)


class Conflict(APIException):
    """The request is well formed but conflicts with the records as they stand (a rule of the
    record's kind, or a record that already exists): 409, the body naming each field."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def editor_grades() -> list[tuple[str, str | Promise]]:
    """The grades an editor may give (also the schema's EditorGradeEnum, by these choices)."""
    return [(value, label) for value, label in m.Grade.choices if value != m.Grade.UNKNOWN]


class EditorGradeField(serializers.ChoiceField):
    """How far an editor's fact can be trusted: `unknown` is for facts nobody checked, so an
    editor, who read a source, cannot give it."""

    def __init__(self, **kwargs) -> None:
        choices = editor_grades()
        kwargs.setdefault("error_messages", {})["invalid_choice"] = (
            "official, secondary or inferred (unknown is for facts nobody checked)."
        )
        super().__init__(choices=choices, **kwargs)


def plain_decimal_pattern(whole_digits: int, decimal_places: int, signed: bool) -> str:
    """The numbers a DecimalField takes, as a regular expression: plain notation (no exponent,
    no spaces, not `.` alone, which Python's Decimal would read or refuse late), leading
    zeros as Decimal drops them, no more digits than the field holds."""
    sign = "-?" if signed else ""
    fraction = rf"(?:\.[0-9]{{0,{decimal_places}}})?"
    return rf"^{sign}0*(?:[0-9]{{1,{whole_digits}}}{fraction}|\.[0-9]{{1,{decimal_places}}})$"


class PlainDecimalField(serializers.DecimalField):
    """A decimal as the schema says (plain_decimal_pattern); `min_value=0` drops the sign."""

    def __init__(self, *args, **kwargs) -> None:
        # What editors send stays text in plain notation, as the schema's pattern says (answers
        # are JSON numbers): a float would round a decimal the editor typed exactly.
        kwargs.setdefault("coerce_to_string", True)
        super().__init__(*args, **kwargs)

    @property
    def pattern(self) -> str:
        signed = self.min_value is None or self.min_value < 0
        if self.max_whole_digits is None or self.decimal_places is None:
            raise ValueError("a PlainDecimalField needs max_digits and decimal_places")
        return plain_decimal_pattern(self.max_whole_digits, self.decimal_places, signed)

    def to_internal_value(self, data):
        if isinstance(data, str) and not re.fullmatch(self.pattern, data):
            self.fail("invalid")
        return super().to_internal_value(data)


class PlainDecimalSchema(OpenApiSerializerFieldExtension):
    target_class = PlainDecimalField

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        return {**schema, "pattern": self.target.pattern}


class EditorInput(serializers.ModelSerializer):
    """What editors send: decimals in plain notation (PlainDecimalField)."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DecimalField: PlainDecimalField,
    }

    # Properties on the models (the English half of a bilingual note): declared, or the
    # serializer would take them as read-only.
    grade_note = serializers.CharField(
        required=False, allow_blank=True, help_text=EDITOR_GRADE["grade_note"]
    )
    note = serializers.CharField(required=False, allow_blank=True, help_text="A note, in English.")

    def validate(self, attrs: dict) -> dict:
        # A grade that needs a reason, sent with an empty one (a reason left out is the
        # record's own, which the update checks against the record: a 409 if it is empty).
        doubtful = attrs.get("grade") in (m.Grade.INFERRED, m.Grade.UNKNOWN)
        if doubtful and "grade_note" in attrs and not attrs["grade_note"]:
            raise serializers.ValidationError({"grade_note": "Say why the fact is graded so."})
        return attrs


class SourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = m.Source
        fields = ["key", "url", "title", "publisher", "published_on", "kind"]
        extra_kwargs = described("key", "url", "title", "publisher", "published_on", "kind")


@extend_schema_field(str)
class NoteField(serializers.Field):
    """A note in one language (the other one when missing), each source it cites written as
    a citation, `新京报（2024-04-17）`: the API never shows a source key either."""

    def __init__(self, stem: str, language: str, of: str = "", **kwargs: Any) -> None:
        # `of`: the dotted path from the serialized object to the record with the note.
        self.stem, self.language, self.path = (
            stem,
            language,
            [name for name in of.split(".") if name],
        )
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, record: Any) -> str:
        for name in self.path:
            record = getattr(record, name, None)
        other = "en" if self.language == "zh" else "zh"
        text = getattr(record, f"{self.stem}_{self.language}", "") or getattr(
            record, f"{self.stem}_{other}", ""
        )
        if not citations.cited_keys(text):
            return text or ""
        with translation.override(self.language):
            return citations.as_text(text, citations.all_sources(self.context.get("request")))


@extend_schema_field(SourceSerializer(many=True))
class CitedSourcesField(serializers.Field):
    """The sources a record's notes cite, in order of first mention."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, record: Any) -> list:
        keys = citations.cited_keys(" ".join(citations.notes_of(record)))
        if not keys:
            return []
        sources = citations.all_sources(self.context.get("request"))
        cited = [sources[key] for key in keys if key in sources]
        return list(SourceSerializer(cited, many=True, context=self.context).data)


class NoteFields(serializers.Serializer):
    """A record's own note (an observation's, a milestone's, a link's) in both languages."""

    note = NoteField("note", "en", help_text="The note in English, as it always was.")
    note_zh = NoteField("note", "zh", help_text="Note in Chinese.")
    note_en = NoteField("note", "en", help_text="Note in English.")


class ProvenanceFields(serializers.Serializer):
    """Grade and source of a fact."""

    grade = text("official, secondary, inferred or unknown: how far to trust the fact.")
    # `grade_note` is the English one, as it always was; the pair gives both languages.
    grade_note = NoteField(
        "grade_note",
        "en",
        help_text="Why the fact has this grade (required for inferred and "
        "unknown), in English; sources it cites are written as citations.",
    )
    grade_note_zh = NoteField(
        "grade_note", "zh", help_text="Why the fact has this grade, in Chinese."
    )
    grade_note_en = NoteField(
        "grade_note", "en", help_text="Why the fact has this grade, in English."
    )
    cited_sources = CitedSourcesField(help_text="The sources the notes cite, in order of mention.")
    # A declared field, which the serializer's metaclass takes off the class: it does not
    # replace Field.source, as the stub (which cannot see that) assumes.
    source = SourceSerializer(read_only=True, allow_null=True, help_text="Where the fact was read.")  # type: ignore[assignment]


class VocabularySerializer(serializers.Serializer):
    code = text("Stable code, used in filters.")
    name_zh = text("Name in Chinese.")
    name_en = text("Name in English.")


class AgencySerializer(serializers.ModelSerializer):
    jurisdiction: serializers.SlugRelatedField[m.Jurisdiction] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, help_text="Jurisdiction code."
    )
    measure_count = serializers.IntegerField(
        read_only=True, help_text="Measures the agency is responsible for."
    )

    class Meta:
        model = m.Agency
        fields = [
            "slug",
            "name_zh",
            "name_en",
            "short_name_zh",
            "short_name_en",
            "aliases",
            "kind",
            "jurisdiction",
            "measure_count",
        ]
        extra_kwargs = described(
            "slug",
            "name_zh",
            "name_en",
            "short_name_zh",
            "short_name_en",
            "aliases",
            kind="body, or system (a line of authorities at every level).",
        )


class AgencyRoleSerializer(ProvenanceFields):
    agency = serializers.CharField(source="agency.slug", read_only=True, help_text="Agency id.")
    name_zh = serializers.CharField(source="agency.name_zh", read_only=True, help_text="Name (zh).")
    name_en = serializers.CharField(source="agency.name_en", read_only=True, help_text="Name (en).")
    role = text("lead, joint or support.")


class TargetSerializer(ProvenanceFields, serializers.ModelSerializer):
    measure = serializers.CharField(
        source="measure.public_id", read_only=True, help_text="Public id of the measure."
    )
    goal_display = text("The goal as text: `≤ 20 weeks`.")

    class Meta:
        model = m.Target
        fields = [
            "id",
            "measure",
            "key",
            "kind",
            "metric",
            "metric_zh",
            "metric_en",
            "unit",
            "direction",
            "baseline_value",
            "baseline_date",
            "comparator",
            "goal_value",
            "goal_display",
            "deadline",
            "deadline_text",
            "deadline_text_en",
            "source_span",
            "reporting_interval_days",
            "status",
            "is_stale",
            "progress_share",
            "latest_value",
            "latest_observed_on",
            "progress_computed_at",
            "grade",
            "grade_note",
            "grade_note_zh",
            "grade_note_en",
            "cited_sources",
            "source",
        ]
        read_only_fields = fields
        extra_kwargs = described(
            "id",
            "metric",
            "metric_zh",
            "metric_en",
            "unit",
            "direction",
            "baseline_value",
            "baseline_date",
            "comparator",
            "goal_value",
            "deadline",
            "deadline_text",
            "deadline_text_en",
            "source_span",
            "status",
            "reporting_interval_days",
            "is_stale",
            "progress_share",
            "latest_value",
            "latest_observed_on",
            "progress_computed_at",
            key="Stable id of the target within its measure.",
            kind="level (a value to reach) or rule (a time limit per case).",
        )

    def to_representation(self, instance: m.Target) -> dict:
        show_as_of([instance])  # read as of a past day: that day's progress
        return super().to_representation(instance)


class ObservationSerializer(NoteFields, ProvenanceFields, serializers.ModelSerializer):
    target: serializers.PrimaryKeyRelatedField[m.Target] = serializers.PrimaryKeyRelatedField(
        read_only=True, help_text="Target id."
    )
    source_url = OptionalURLField(help_text="Where an editor found the value.")

    class Meta:
        model = m.Observation
        fields = [
            "id",
            "target",
            "observed_on",
            "value",
            "source_url",
            "note",
            "note_zh",
            "note_en",
            "origin",
            "grade",
            "grade_note",
            "grade_note_zh",
            "grade_note_en",
            "cited_sources",
            "source",
            "created_at",
        ]
        read_only_fields = fields
        extra_kwargs = described(
            "observed_on",
            "value",
            "source_url",
            "note",
            "origin",
            "created_at",
            id="Database id of the observation.",
        )


class ObservationInput(EditorInput):
    """An editor's new observation of a target."""

    grade = EditorGradeField(help_text=EDITOR_GRADE["grade"])

    class Meta:
        model = m.Observation
        fields = ["observed_on", "value", "source_url", "grade", "grade_note", "note"]
        extra_kwargs = {
            "observed_on": {
                "help_text": (
                    "The date the value stands for: the end of the period it measures "
                    "(2024-12-31 for the 2024 result), not the date it was reported. Not after "
                    "today (Asia/Shanghai), not before 1949-10-01."
                )
            },
            "value": {"help_text": "The observed value, in the target's unit."},
            "source_url": {
                "help_text": "Where the value was reported (required).",
                "required": True,
                "allow_blank": False,
            },
            "note": {"help_text": "What was reported."},
        } | described(**EDITOR_GRADE)

    def validate_observed_on(self, day: datetime.date) -> datetime.date:
        problem = m.Observation.date_problem(day, timezone.localdate())
        if problem:
            raise serializers.ValidationError(problem)
        return day

    def validate(self, attrs: dict) -> dict:
        if attrs.get("grade") == m.Grade.INFERRED and not attrs.get("grade_note"):
            raise serializers.ValidationError({"grade_note": "Say why the value is inferred."})
        target = self.context["target"]
        if m.Observation.objects.filter(target=target, observed_on=attrs["observed_on"]).exists():
            raise Conflict({"observed_on": "This target already has an observation on this date."})
        return attrs


class LinkedMeasureSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id", read_only=True, help_text="Public id.")

    class Meta:
        model = m.Measure
        fields = ["id", "title_zh", "title_en"]
        extra_kwargs = described("title_zh", "title_en")


class MeasureLinkSerializer(NoteFields, ProvenanceFields, serializers.ModelSerializer):
    older = LinkedMeasureSerializer(
        read_only=True,
        allow_null=True,
        help_text="The earlier edition's or higher level's measure (null for `new`).",
    )
    newer = LinkedMeasureSerializer(
        read_only=True,
        allow_null=True,
        help_text="The later edition's or lower level's measure (null for `dropped`).",
    )

    class Meta:
        model = MeasureLink
        fields = [
            "id",
            "older",
            "newer",
            "relation",
            "status",
            "score",
            "note_zh",
            "note_en",
            "grade",
            "grade_note",
            "grade_note_zh",
            "grade_note_en",
            "cited_sources",
            "source",
        ]
        read_only_fields = fields
        extra_kwargs = described(
            "relation",
            "score",
            "note_zh",
            "note_en",
            id="Database id of the link.",
            status=(
                "curated (from the data files), suggested, confirmed (by an editor) or rejected."
            ),
        )


class LinkReviewInput(serializers.Serializer):
    """An editor's decision on a suggested link."""

    status = serializers.ChoiceField(
        choices=[LinkStatus.CONFIRMED, LinkStatus.REJECTED],
        help_text="confirmed or rejected.",
    )
    relation = serializers.ChoiceField(
        choices=MeasureLink.Relation.choices, required=False, help_text="Correct the relation."
    )
    note_en = serializers.CharField(required=False, allow_blank=True, help_text="Why.")


class SectionSerializer(serializers.ModelSerializer):
    measures = serializers.SerializerMethodField(help_text="Public ids of its measures.")

    class Meta:
        model = m.Section
        fields = ["ordinal", "title_zh", "title_en", "measures"]
        extra_kwargs = described("ordinal", "title_zh", "title_en")

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_measures(self, section: m.Section) -> list[str]:
        slug = section.document.slug
        return [f"{slug}/{measure.number}" for measure in section.measures.all()]


class IssuerSerializer(serializers.Serializer):
    agency = serializers.CharField(source="agency.slug", read_only=True, help_text="Agency id.")
    position = serializers.IntegerField(read_only=True, help_text="Signing order; 1 is the lead.")


class DocumentSerializer(ProvenanceFields, serializers.ModelSerializer):
    jurisdiction: serializers.SlugRelatedField[m.Jurisdiction] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, help_text="Jurisdiction code."
    )
    series: serializers.SlugRelatedField[m.Series] = serializers.SlugRelatedField(
        slug_field="slug",
        read_only=True,
        allow_null=True,
        help_text="Series the document is an edition of.",
    )
    issuers = IssuerSerializer(
        source="issuer_rows", many=True, read_only=True, help_text="Issuing agencies in order."
    )
    measure_count = serializers.IntegerField(read_only=True, help_text="Number of measures.")
    source_url = OptionalURLField(help_text="The official page, where known.")
    status = serializers.SerializerMethodField(
        help_text=(
            "Validity today (or on `as_of`): not_yet_in_force, in_force, superseded (by the next "
            "edition of its series), expired or repealed."
        )
    )
    superseded_by = serializers.CharField(
        source="successor_slug",
        read_only=True,
        allow_null=True,
        help_text="The next edition of its series, if there is one (it supersedes this one "
        "from its own effective date).",
    )

    class Meta:
        model = m.Document
        fields = [
            "slug",
            "title_zh",
            "title_en",
            "number",
            "jurisdiction",
            "series",
            "edition",
            "signed_on",
            "published_on",
            "effective_from",
            "source_url",
            "ended_on",
            "end_reason",
            "status",
            "superseded_by",
            "summary_zh",
            "summary_en",
            "issuers",
            "measure_count",
            "grade",
            "grade_note",
            "grade_note_zh",
            "grade_note_en",
            "cited_sources",
            "source",
        ]
        extra_kwargs = described(
            "number",
            "edition",
            "signed_on",
            "effective_from",
            "summary_zh",
            "summary_en",
            slug="Stable id (national-2025, beijing-2024, …).",
            title_zh="Official title.",
            title_en="English title, in our words.",
            published_on="Date published.",
            source_url="The official page, where known.",
            ended_on="First day no longer in force, for a stated expiry or repeal.",
            end_reason="expired or repealed, when ended_on is stated; blank otherwise.",
        )

    @extend_schema_field(serializers.ChoiceField(choices=m.DocumentValidity.choices))
    def get_status(self, document: m.Document) -> str:
        return document.validity_on(self.context.get("day") or timezone.localdate()).value


class DocumentDetailSerializer(DocumentSerializer):
    parts = SectionSerializer(
        source="sections", many=True, read_only=True, help_text="Its parts and their measures."
    )

    class Meta(DocumentSerializer.Meta):
        fields = [*DocumentSerializer.Meta.fields, "parts"]


class MilestoneSerializer(NoteFields, ProvenanceFields, serializers.ModelSerializer):
    measure = serializers.CharField(
        source="measure.public_id", read_only=True, help_text="Public id of the measure."
    )
    evidence_url = OptionalURLField(help_text="Where the status can be checked.")

    class Meta:
        model = m.Milestone
        fields = [
            "id",
            "measure",
            "key",
            "title_zh",
            "title_en",
            "status",
            "status_on",
            "evidence_url",
            "note",
            "note_zh",
            "note_en",
            "origin",
            "grade",
            "grade_note",
            "grade_note_zh",
            "grade_note_en",
            "cited_sources",
            "source",
            "updated_at",
        ]
        read_only_fields = fields
        extra_kwargs = described(
            "title_zh",
            "title_en",
            "updated_at",
            id="Database id of the milestone.",
            key="Stable id of the milestone within its measure.",
            origin="reference (from the data files) or editor.",
            **MILESTONE_DESCRIPTIONS,
        )


class MilestoneUpdateInput(EditorInput):
    """An editor's update of a milestone: its status, date and evidence."""

    grade = EditorGradeField(help_text=EDITOR_GRADE["grade"])

    class Meta:
        model = m.Milestone
        fields = ["status", "status_on", "evidence_url", "note", "grade", "grade_note"]
        extra_kwargs = described(
            evidence_url="Where the status can be checked.",
            **MILESTONE_DESCRIPTIONS,
            **EDITOR_GRADE,
        )


class MilestoneInput(MilestoneUpdateInput):
    """An editor's new milestone of a measure."""

    measure = serializers.CharField(help_text="Public id of the measure: beijing-2024/9.")

    class Meta(MilestoneUpdateInput.Meta):
        fields = ["measure", "key", "title_zh", "title_en", *MilestoneUpdateInput.Meta.fields]
        extra_kwargs = {
            **MilestoneUpdateInput.Meta.extra_kwargs,
            "key": {"help_text": "Stable id within the measure (letters, digits, hyphens)."},
            "title_zh": {"help_text": "What the step is, in Chinese."},
            "title_en": {"help_text": "What the step is, in English."},
            "evidence_url": {
                "help_text": "Where the status can be checked (required).",
                "required": True,
                "allow_blank": False,
            },
        }
        # The (measure, key) pair is checked in validate(), once the measure is resolved.
        validators: list = []

    def validate_measure(self, public_id: str) -> m.Measure:
        try:
            return m.Measure.objects.by_public_id(public_id)
        except (m.Measure.DoesNotExist, ValueError):
            raise serializers.ValidationError(f"No measure “{public_id}”.") from None

    def validate(self, attrs: dict) -> dict:
        if attrs.get("grade") == m.Grade.INFERRED and not attrs.get("grade_note"):
            raise serializers.ValidationError({"grade_note": "Say why the status is inferred."})
        if m.Milestone.objects.filter(measure=attrs["measure"], key=attrs["key"]).exists():
            raise Conflict({"key": "The measure already has this milestone."})
        return attrs


@extend_schema_field({"type": "string"})
class CodeOfListed(serializers.SlugRelatedField):
    """A related record's code, from a list the view prefetched (not a model field, so the
    schema is told the type)."""


class ListedMeasure(Protocol):
    """What MeasureSerializer's methods read of a measure beyond its fields: the lists
    MeasureViewSet's queryset prefetches (`to_attr`)."""

    scope: m.Jurisdiction
    entity_type_list: list[m.EntityType]
    stage_list: list[m.ProductStage]
    older_links: list[MeasureLink]
    newer_links: list[MeasureLink]


# A measure as MeasureViewSet reads it: its related rows are the lists its queryset prefetches
# (`topic_list`, `target_list`, …).
class MeasureSerializer(ProvenanceFields, serializers.ModelSerializer):
    placement_note = NoteField(
        "placement_note", "en", help_text="Basis of the placement grade, in English."
    )
    placement_note_zh = NoteField(
        "placement_note", "zh", help_text="Basis of the placement grade, in Chinese."
    )
    placement_note_en = NoteField(
        "placement_note", "en", help_text="Basis of the placement grade, in English."
    )
    id = serializers.CharField(source="public_id", read_only=True, help_text="Public id.")
    document: serializers.SlugRelatedField[m.Document] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, help_text="Document slug."
    )
    # A declared field (see ProvenanceFields.source).
    label = text("The number as the document prints it: (十二).")  # type: ignore[assignment]
    part = serializers.SerializerMethodField(help_text="The part the measure belongs to.")
    topics = CodeOfListed(
        slug_field="code",
        source="topic_list",
        many=True,
        read_only=True,
        help_text="Topic codes.",
    )
    agencies = AgencyRoleSerializer(
        source="agency_list", many=True, read_only=True, help_text="Responsible agencies."
    )
    applies_to = serializers.SerializerMethodField(
        help_text="Who the measure applies to: entity types, product stages and scope."
    )
    targets = TargetSerializer(
        source="target_list", many=True, read_only=True, help_text="Targets and progress."
    )
    milestones = MilestoneSerializer(
        source="milestone_list",
        many=True,
        read_only=True,
        help_text="Steps of a qualitative measure, with evidence.",
    )
    links = serializers.SerializerMethodField(
        help_text="Related measures of other editions and levels, from either side."
    )
    citation = text("Document title, 文号, part and measure number, and source URL.")
    url = serializers.SerializerMethodField(help_text="The measure's page.")
    validity = serializers.SerializerMethodField(
        help_text="Its document's validity today (or on `as_of`): not_yet_in_force, in_force, "
        "superseded, expired or repealed."
    )
    superseded_by = serializers.CharField(
        source="successor_slug",
        read_only=True,
        allow_null=True,
        help_text="The next edition of its document's series, if there is one.",
    )

    class Meta:
        model = m.Measure
        fields = [
            "id",
            "document",
            "number",
            "label",
            "part",
            "title_zh",
            "title_en",
            "summary_zh",
            "summary_en",
            "full_text",
            "grade",
            "grade_note",
            "grade_note_zh",
            "grade_note_en",
            "cited_sources",
            "placement_grade",
            "placement_note",
            "placement_note_zh",
            "placement_note_en",
            "source",
            "topics",
            "agencies",
            "applies_to",
            "targets",
            "milestones",
            "links",
            "citation",
            "url",
            "validity",
            "superseded_by",
            "updated_at",
        ]
        read_only_fields = fields
        extra_kwargs = described(
            "summary_zh",
            "summary_en",
            "full_text",
            "placement_grade",
            "placement_note",
            "updated_at",
            number="Position in document order, from 1.",
            title_zh="Title in Chinese; empty when the content is unknown.",
            title_en="Title in English, in our words.",
        )

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                "ordinal": {"type": "integer"},
                "title_zh": {"type": "string"},
                "title_en": {"type": "string"},
            },
        }
    )
    def get_part(self, measure: m.Measure) -> dict:
        section = measure.section
        return {
            "ordinal": section.ordinal,
            "title_zh": section.title_zh,
            "title_en": section.title_en,
        }

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                "entity_types": {"type": "array", "items": {"type": "string"}},
                "stages": {"type": "array", "items": {"type": "string"}},
                "scope": {"type": "string"},
            },
        }
    )
    def get_applies_to(self, measure: ListedMeasure) -> dict:
        return {
            "entity_types": [entity.code for entity in measure.entity_type_list],
            "stages": [stage.code for stage in measure.stage_list],
            "scope": measure.scope.code,
        }

    @extend_schema_field(
        {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "measure": {"type": "string", "nullable": True},
                    "side": {"type": "string"},
                    "relation": {"type": "string"},
                    "status": {"type": "string"},
                    "grade": {"type": "string"},
                    "link": {"type": "integer"},
                },
            },
        }
    )
    def get_links(self, measure: ListedMeasure) -> list[dict]:
        links = []
        for link in measure.older_links:
            links.append(self._link(link, link.older, "older"))
        for link in measure.newer_links:
            links.append(self._link(link, link.newer, "newer"))
        return links

    @staticmethod
    def _link(link: MeasureLink, other: m.Measure | None, side: str) -> dict:
        return {
            "measure": other.public_id if other else None,
            "side": side,
            "relation": link.relation,
            "status": link.status,
            "grade": link.grade,
            "link": link.pk,
        }

    @extend_schema_field(serializers.ChoiceField(choices=m.DocumentValidity.choices))
    def get_validity(self, measure: m.Measure) -> str:
        lend_successor([measure])
        return measure.document.validity_on(self.context.get("day") or timezone.localdate()).value

    def get_url(self, measure: m.Measure) -> str:
        request = self.context.get("request")
        path = measure.get_absolute_url()
        return request.build_absolute_uri(path) if request else path


# What a measure's JSON says that depends on the day (`validity`), the request (`url`, absolute)
# or the document's series (`superseded_by`), and when the row was written: added when served,
# after the body kept in the published JSON (measures/models/published.py). The last fields of
# MeasureSerializer, in its order.
MEASURE_TAIL = ["url", "validity", "superseded_by", "updated_at"]


class MeasureBodySerializer(MeasureSerializer):
    """The measure's JSON without MEASURE_TAIL: what the published JSON keeps."""

    class Meta(MeasureSerializer.Meta):
        fields = [name for name in MeasureSerializer.Meta.fields if name not in MEASURE_TAIL]
        read_only_fields = fields


class MeasureTailSerializer(serializers.Serializer):
    """MEASURE_TAIL alone, for a row read with its document (and `with_successor`), as
    MeasureSerializer writes it. Declared apart from it: DRF copies a serializer's declared
    fields for every instance, and MeasureSerializer declares dozens (a tenth of a published
    record's time)."""

    url = serializers.SerializerMethodField()
    validity = serializers.SerializerMethodField()
    superseded_by = serializers.CharField(source="successor_slug", read_only=True, allow_null=True)
    updated_at = serializers.DateTimeField(read_only=True)

    get_url = MeasureSerializer.get_url
    get_validity = MeasureSerializer.get_validity


class SectionLinkSerializer(NoteFields, ProvenanceFields, serializers.ModelSerializer):
    older = serializers.SerializerMethodField(help_text="`<document>/<part>` of the older side.")
    newer = serializers.SerializerMethodField(help_text="`<document>/<part>` of the newer side.")

    class Meta:
        model = SectionLink
        fields = [
            "id",
            "older",
            "newer",
            "relation",
            "status",
            "note_zh",
            "note_en",
            "grade",
            "grade_note",
            "grade_note_zh",
            "grade_note_en",
            "cited_sources",
            "source",
        ]
        read_only_fields = fields
        extra_kwargs = described(
            "note_zh",
            "note_en",
            id="Database id of the link.",
            relation="same, renamed, merged, split, new or removed.",
            status="curated, suggested, confirmed or rejected.",
        )

    def get_older(self, link: SectionLink) -> str | None:
        return f"{link.older.document.slug}/{link.older.ordinal}" if link.older else None

    def get_newer(self, link: SectionLink) -> str | None:
        return f"{link.newer.document.slug}/{link.newer.ordinal}" if link.newer else None


def id_list(help_text: str) -> serializers.ListField:
    return serializers.ListField(child=serializers.CharField(), help_text=help_text)


class DocumentQualitySerializer(serializers.Serializer):
    """How complete and how certain one document's data is (see measures/quality.py)."""

    slug = text("Document slug.")
    title_zh = text("Title in Chinese.")
    title_en = text("Title in English.")
    measures = serializers.IntegerField(help_text="Number of measures.")
    by_grade = serializers.DictField(child=serializers.IntegerField(), help_text="Content grades.")
    by_placement_grade = serializers.DictField(
        child=serializers.IntegerField(), help_text="Placement grades."
    )
    unknown_content = id_list("Measures whose content could not be reconstructed.")
    without_agency = id_list("Measures with no responsible agency.")
    without_topic = id_list("Measures with no topic.")
    without_applicability = id_list("Measures with no entity type or stage.")
    targets = serializers.IntegerField(help_text="Number of targets.")
    targets_without_deadline = id_list("Targets (`<measure>#<key>`) without a deadline.")
    observations = serializers.IntegerField(help_text="Number of observations.")
    next_edition = serializers.CharField(allow_null=True, help_text="The next edition's slug.")
    not_accounted_for_in_next_edition = id_list(
        "Measures the next edition neither carries on nor marks dropped."
    )
    previous_edition = serializers.CharField(allow_null=True, help_text="The previous edition.")
    without_relation_to_previous_edition = id_list(
        "Measures with no stated relation to the previous edition."
    )
    without_local_counterpart = serializers.ListField(
        child=serializers.CharField(),
        allow_null=True,
        help_text="National documents: measures no local measure answers.",
    )


class MeasureUpdateInput(EditorInput):
    """An editor's correction of a measure's text or grade."""

    class Meta:
        model = m.Measure
        fields = ["title_zh", "title_en", "summary_zh", "summary_en", "grade", "grade_note"]
        extra_kwargs = described(
            "title_zh",
            "summary_zh",
            "summary_en",
            "grade",
            "grade_note",
            title_en="Title in English, in our words.",
        )
        # An editor corrects the text; only the data files may leave it blank (unknown).
        for name in ("title_zh", "title_en", "summary_zh", "summary_en"):
            extra_kwargs[name]["allow_blank"] = False


class TargetUpdateInput(EditorInput):
    """An editor's correction of a target's baseline, goal or deadline."""

    class Meta:
        model = m.Target
        fields = [
            "baseline_value",
            "baseline_date",
            "comparator",
            "goal_value",
            "deadline",
            "deadline_text",
            "deadline_text_en",
            "grade",
            "grade_note",
        ]
        extra_kwargs = described(
            "baseline_date",
            "deadline_text",
            "deadline_text_en",
            "grade",
            "grade_note",
            baseline_value="Starting value.",
            comparator="lte, lt, gte, gt or eq.",
            goal_value="The value to reach (not negative).",
            deadline="Date by which the goal is due (none for a rule).",
        )
        extra_kwargs["goal_value"]["min_value"] = 0


class ChangeSerializer(serializers.ModelSerializer):
    """One entry of the change log, as /api/v1/changes/ lists it and webhooks deliver it.
    Expects `document`, `jurisdiction`, `measure__document`, `target` and `source` selected."""

    object = serializers.CharField(
        source="object_kind", help_text="What changed: " + ", ".join(m.ObjectKind.values) + "."
    )
    change = serializers.CharField(
        source="kind", help_text="How: " + ", ".join(m.ChangeKind.values) + "."
    )
    summary_zh = serializers.SerializerMethodField(help_text="What changed, in plain Chinese.")
    summary_en = serializers.SerializerMethodField(help_text="What changed, in plain English.")
    document: serializers.SlugRelatedField[m.Document] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True, help_text="Document slug."
    )
    jurisdiction: serializers.SlugRelatedField[m.Jurisdiction] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="Jurisdiction code."
    )
    measure = serializers.SerializerMethodField(
        help_text="The measure's public id, while it exists."
    )
    cited_source: serializers.SlugRelatedField[m.Source] = serializers.SlugRelatedField(
        source="source",
        slug_field="key",
        allow_null=True,
        read_only=True,
        help_text="The source the new value cites.",
    )
    url = serializers.SerializerMethodField(
        help_text="The page of the object changed, while it exists."
    )

    class Meta:
        model = m.Change
        fields = [
            "id",
            "at",
            "object",
            "object_id",
            "object_label",
            "change",
            "fields",
            "summary_zh",
            "summary_en",
            "document",
            "jurisdiction",
            "measure",
            "target",
            "cited_source",
            "process",
            "url",
        ]
        extra_kwargs = described(
            "id", "at", "object_id", "object_label", "fields", "target", "process"
        )

    def get_summary_zh(self, change: m.Change) -> str:
        return changewords.describe_in(change, "zh-hans")

    def get_summary_en(self, change: m.Change) -> str:
        return changewords.describe_in(change, "en")

    def get_measure(self, change: m.Change) -> str | None:
        return change.measure.public_id if change.measure is not None else None

    def get_url(self, change: m.Change) -> str | None:
        request = self.context.get("request")
        page = changewords.page_of(change)
        if page is None:
            return None
        return request.build_absolute_uri(page) if request is not None else page
