"""POST /api/v1/applicability/: a firm's profile in; the measures that apply now, those that will
apply at a later stage of the product, and those that nearly apply out, a page at a time
(`?page=2&page_size=100`, as on the lists: the sections one after the other, `counts` saying
how many each holds in all).

The input serializer checks the profile against the API's vocabulary codes (and the day asked,
with `measures.validity.parse_as_of`); the finder (`finder.applicability`) does the work; the
output serializers only shape its dataclasses.
"""

from __future__ import annotations

import datetime

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from finder import applicability as finder
from measures.api.base import JSONErrors
from measures.api.pagination import PagePagination
from measures.api.serializers import NoteField
from measures.filters import AS_OF_SCHEMA
from measures.models import Location, Topic
from measures.paging import BadPage, page_of
from measures.validity import AsOfError, parse_as_of


class StrictBooleanField(serializers.BooleanField):
    """true or false (in a form, the words): not 0, 1, "yes" or "on", which a client of a
    schema that says boolean means as no boolean."""

    def to_internal_value(self, data: object) -> bool:
        if isinstance(data, bool):
            return data
        if data not in ("true", "false"):  # 1 == True, so no set of values would do
            self.fail("invalid", input=data)
        return data == "true"


class ProfileSerializer(serializers.Serializer):
    """A firm's profile. Only `entity_type` and `location` are required."""

    entity_type = serializers.ChoiceField(
        choices=finder.ENTITY_TYPES, help_text="What kind of organisation the firm is."
    )
    location = serializers.ChoiceField(
        choices=Location.values,
        help_text="Where the firm operates: beijing, china_other (elsewhere in China) or abroad.",
    )
    stage = serializers.ChoiceField(
        choices=finder.STAGES,
        allow_blank=True,
        default="",
        help_text="The product's stage; empty or missing when the firm has no product (then "
        "stage conditions are not checked).",
    )
    product_type = serializers.ChoiceField(
        choices=finder.PRODUCT_TYPES,
        allow_blank=True,
        default="",
        help_text="What the product is; empty or missing: not checked.",
    )
    class1 = StrictBooleanField(
        default=False,
        help_text="The product is a Class-1 innovative drug. Ignored (false in `profile`) for a "
        "device firm or a device or IVD product, for which Class 1 means nothing.",
    )
    topics = serializers.ListField(
        child=serializers.SlugField(max_length=60),
        default=list,
        max_length=50,
        help_text="Topic codes of interest (see /api/v1/topics/): only measures on at least one "
        "of them, those on more ranking higher; empty or missing: all topics.",
    )

    def validate_topics(self, value: list[str]) -> list[str]:
        known = set(Topic.objects.filter(code__in=value).values_list("code", flat=True))
        unknown = sorted(set(value) - known)
        if unknown:
            raise serializers.ValidationError(f"Unknown topic code(s): {', '.join(unknown)}.")
        return value

    def profile(self) -> finder.Profile:
        data = self.validated_data
        return finder.Profile(
            entity_type=data["entity_type"],
            location=data["location"],
            stage=data["stage"],
            product_type=data["product_type"],
            class1=data["class1"],
            topics=tuple(data["topics"]),
        )


@extend_schema_field(AS_OF_SCHEMA)
class AsOfText(serializers.CharField):
    """A day as YYYY-MM-DD, or empty for today (validated by the serializer)."""


class FinderRequestSerializer(ProfileSerializer):
    """A firm's profile and, optionally, the day to judge it on and whether to include measures
    no longer in force."""

    as_of = AsOfText(
        required=False,
        allow_blank=True,
        default="",
        help_text="Judge the catalogue as it stood on this day (YYYY-MM-DD, not after today): "
        "the measures in force then. Empty or missing: today.",
    )
    in_force = serializers.ChoiceField(
        choices=["true", "all"],
        default="true",
        help_text="true (default): only measures in force on the day judged; all: also those "
        "superseded by a later edition or expired by then, marked as such (`validity`, "
        "`superseded_by`, `replaced_by`) and ranked after those in force.",
    )

    def validate_as_of(self, value: str) -> datetime.date | None:
        if not value.strip():
            return None
        try:
            return parse_as_of(value, timezone.localdate())
        except AsOfError as error:
            raise serializers.ValidationError(str(error)) from None


def _text(help_text: str, **kwargs) -> serializers.CharField:
    return serializers.CharField(help_text=help_text, read_only=True, **kwargs)


class CheckSerializer(serializers.Serializer):
    condition = _text("entity_type, stage, product_type, class1 or location.")
    outcome = _text(
        "passed, failed, later (a stage condition met only once the product reaches a later "
        "stage: not met yet) or not_applicable."
    )
    explanation_zh = _text("Why, in Chinese.")
    explanation_en = _text("Why, in English.")


class ApproachSerializer(serializers.Serializer):
    slug = _text("Agency id (see /api/v1/agencies/).")
    name_zh = _text("Agency name in Chinese.")
    name_en = _text("Agency name in English.")


class TargetNoteSerializer(serializers.Serializer):
    metric = _text("Metric code.")
    metric_zh = _text("What is measured, in Chinese.")
    metric_en = _text("What is measured, in English.")
    goal = _text("The goal, such as `≤ 1 months`.", source="goal_display")
    deadline = serializers.DateField(
        read_only=True, allow_null=True, help_text="Date by which the goal is due."
    )
    deadline_text = _text("The deadline or rule as the source words it.")


class StageSerializer(serializers.Serializer):
    code = _text("Stage code (see /api/v1/stages/).")
    name_zh = _text("Stage name in Chinese.")
    name_en = _text("Stage name in English.")


class ReplacementSerializer(serializers.Serializer):
    measure = _text("Public id of the measure that carries this one on.", source="newer.public_id")
    relation = _text("continued, strengthened, relaxed, merged or split.")
    status = _text("Link status: curated, confirmed or suggested.")
    url = serializers.SerializerMethodField(help_text="That measure's page.")

    def get_url(self, link) -> str:
        return self.context["request"].build_absolute_uri(link.newer.get_absolute_url())


class MatchSerializer(serializers.Serializer):
    measure = _text("Public id of the measure, `<document>/<number>`.", source="measure.public_id")
    document = _text("Document slug.", source="measure.document.slug")
    title_zh = _text("Measure title in Chinese.", source="measure.title_zh")
    title_en = _text("Measure title in English.", source="measure.title_en")
    url = serializers.SerializerMethodField(help_text="The measure's page.")
    score = serializers.IntegerField(
        read_only=True,
        help_text="Rank score; higher first within a section (in `later`, after the nearest "
        "stage; measures in force before those that are not).",
    )
    steps_ahead = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="0: for the product's stage now; 1 or more (in `later` and `nearly` only): "
        "how many steps ahead the stage it waits for is; null: no stage check.",
    )
    waits_for = StageSerializer(
        read_only=True,
        allow_null=True,
        help_text="The stage the measure waits for, when it applies only once the product "
        "reaches it (every entry of `later`); null otherwise.",
    )
    validity = _text(
        "The measure's validity on the day judged: in_force, or (only with in_force=all) "
        "superseded, expired or repealed."
    )
    superseded_by = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text="Slug of the edition that superseded the measure's document by the day "
        "judged; null when it is in force.",
    )
    ended_on = serializers.DateField(
        read_only=True,
        allow_null=True,
        help_text="First day the measure was no longer in force; null when it is in force.",
    )
    replaced_by = ReplacementSerializer(
        many=True,
        read_only=True,
        help_text="For a superseded measure: the measures of the next edition that carry it "
        "on (comparison links); empty when it is in force, or was dropped or not linked.",
    )
    checks = CheckSerializer(many=True, read_only=True, help_text="Each condition checked.")
    next_step_zh = _text("What to do next, in Chinese.", source="measure.eligibility.next_step_zh")
    next_step_en = _text("What to do next, in English.", source="measure.eligibility.next_step_en")
    approach = ApproachSerializer(
        source="measure.eligibility.approach",
        read_only=True,
        allow_null=True,
        help_text="The agency to approach.",
    )
    targets = TargetNoteSerializer(
        many=True, read_only=True, help_text="The measure's targets and deadlines."
    )
    rule_grade = _text(
        "Grade of the eligibility rule (inferred: our reading of the measure).",
        source="measure.eligibility.grade",
    )
    rule_grade_note = NoteField(
        "grade_note", "en", of="measure.eligibility", help_text="Basis of that grade (English)."
    )
    rule_grade_note_zh = NoteField(
        "grade_note", "zh", of="measure.eligibility", help_text="Basis of that grade, in Chinese."
    )
    rule_grade_note_en = NoteField(
        "grade_note", "en", of="measure.eligibility", help_text="Basis of that grade, in English."
    )

    def get_url(self, match: finder.Match) -> str:
        return self.context["request"].build_absolute_uri(match.measure.get_absolute_url())


class FindingSerializer(serializers.Serializer):
    profile = ProfileSerializer(read_only=True, help_text="The profile as understood.")
    as_of = serializers.DateField(
        source="day", read_only=True, help_text="The day judged: as_of if given, else today."
    )
    in_force = serializers.SerializerMethodField(
        help_text="true: only measures in force that day; all: also those no longer in force."
    )
    applies = MatchSerializer(
        many=True,
        read_only=True,
        help_text="Measures whose every condition holds now, ranked (in force first).",
    )
    later = MatchSerializer(
        many=True,
        read_only=True,
        help_text="Measures whose every condition holds except the stage, which the product "
        "has not reached yet: they apply once it does (`waits_for`; the stage check's outcome "
        "is `later`). Ranked after `applies`: in force first, the nearest stage first, then by "
        "score.",
    )
    nearly = MatchSerializer(
        many=True,
        read_only=True,
        help_text="Measures with exactly one failing condition (see `checks`), ranked.",
    )

    @extend_schema_field(serializers.ChoiceField(choices=["true", "all"]))
    def get_in_force(self, finding: finder.Finding) -> str:
        return "all" if finding.include_ended else "true"


class SectionCountsSerializer(serializers.Serializer):
    applies = serializers.IntegerField(
        source="applies_count", read_only=True, help_text="Measures that apply now, in all."
    )
    later = serializers.IntegerField(
        source="later_count", read_only=True, help_text="Measures that apply later, in all."
    )
    nearly = serializers.IntegerField(
        source="nearly_count", read_only=True, help_text="Measures that nearly apply, in all."
    )


class FindingPageSerializer(FindingSerializer):
    """One page of a finding: the sections' measures of this page, with how many there are in
    all and the addresses of the pages before and after (POST the same profile to them)."""

    count = serializers.SerializerMethodField(
        help_text="How many measures the three sections hold, across all pages."
    )
    counts = SectionCountsSerializer(
        source="*", read_only=True, help_text="How many measures each section holds in all."
    )
    next = serializers.SerializerMethodField(
        help_text="The next page's address (POST the same profile to it); null on the last page."
    )
    previous = serializers.SerializerMethodField(
        help_text="The previous page's address; null on the first page."
    )

    def get_count(self, finding: finder.Finding) -> int:
        return sum(finding.count(section) for section, _ in finding.sections)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_next(self, finding: finder.Finding) -> str | None:
        page, url = self.context["page"], self.context["request"].build_absolute_uri()
        return (
            replace_query_param(url, "page", page.next_page_number()) if page.has_next() else None
        )

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_previous(self, finding: finder.Finding) -> str | None:
        page, url = self.context["page"], self.context["request"].build_absolute_uri()
        if not page.has_previous():
            return None
        number = page.previous_page_number()
        return (
            replace_query_param(url, "page", number)
            if number > 1
            else remove_query_param(url, "page")
        )


class ApplicabilityView(JSONErrors, APIView):
    """Which measures apply to a firm now, with the conditions checked, the next step, the agency
    to approach and the targets; those that will apply at a later stage of its product; and those
    that nearly apply. Open to everyone: it reads only."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]

    pagination_class = PagePagination

    @extend_schema(
        request=FinderRequestSerializer,
        responses=FindingPageSerializer,
        parameters=[
            OpenApiParameter(
                "page",
                {"type": "integer", "minimum": 1},
                description="The page of the answer, from 1.",
                required=False,
            ),
            OpenApiParameter(
                "page_size",
                {"type": "integer", "minimum": 1, "maximum": 1000},
                description="Measures per page: 50 unless asked; more than 500 is cut to 500.",
                required=False,
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        pages = self.pagination_class()
        pages.check_parameters(request)
        if "paginate" in request.query_params or "cursor" in request.query_params:
            raise ValidationError({"paginate": "The finder's answer has numbered pages only."})
        entry = FinderRequestSerializer(data=request.data)
        entry.is_valid(raise_exception=True)
        try:
            judge = finder.Finder(
                entry.profile(),
                as_of=entry.validated_data["as_of"],
                include_ended=entry.validated_data["in_force"] == "all",
            )
        except finder.UnknownCode as error:
            # A contract code the loaded vocabularies lack (data not loaded, say).
            raise ValidationError({error.field: [str(error)]}) from None
        paginator = judge.paginator(pages.get_page_size(request) or pages.page_size)
        try:
            page = page_of(paginator, request.query_params.get("page", 1))
        except BadPage as error:
            return Response(error.errors, status=error.status)
        finding = judge.page(page.object_list)
        context = {"request": request, "page": page}
        return Response(FindingPageSerializer(finding, context=context).data)
