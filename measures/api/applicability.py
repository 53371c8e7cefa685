"""POST /api/v1/applicability/: a firm's profile in, the measures that apply (and nearly do) out.

The input serializer checks the profile against the API's vocabulary codes; the finder
(`measures.applicability`) does the work; the output serializers only shape its dataclasses.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from measures import applicability as finder
from measures.models import Location, Topic

from .views import JSONErrors


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
    class1 = serializers.BooleanField(
        default=False, help_text="The product is a Class-1 innovative drug."
    )
    topics = serializers.ListField(
        child=serializers.SlugField(max_length=60),
        default=list,
        max_length=50,
        help_text="Topic codes of interest (see /api/v1/topics/); they raise a measure's rank.",
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


def _text(help_text: str, **kwargs) -> serializers.CharField:
    return serializers.CharField(help_text=help_text, read_only=True, **kwargs)


class CheckSerializer(serializers.Serializer):
    condition = _text("entity_type, stage, product_type, class1 or location.")
    outcome = _text("passed, failed or not_applicable.")
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


class MatchSerializer(serializers.Serializer):
    measure = _text("Public id of the measure, `<document>/<number>`.", source="measure.public_id")
    document = _text("Document slug.", source="measure.document.slug")
    title_zh = _text("Measure title in Chinese.", source="measure.title_zh")
    title_en = _text("Measure title in English.", source="measure.title_en")
    url = serializers.SerializerMethodField(help_text="The measure's page.")
    score = serializers.IntegerField(read_only=True, help_text="Rank score; higher first.")
    steps_ahead = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="0: for the product's stage now; 1 or 2: for a stage ahead; null: no stage "
        "check.",
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
    rule_grade_note = _text("Basis of that grade.", source="measure.eligibility.grade_note")

    def get_url(self, match: finder.Match) -> str:
        return self.context["request"].build_absolute_uri(match.measure.get_absolute_url())


class FindingSerializer(serializers.Serializer):
    profile = ProfileSerializer(read_only=True, help_text="The profile as understood.")
    applies = MatchSerializer(
        many=True, read_only=True, help_text="Measures whose every condition holds, ranked."
    )
    nearly = MatchSerializer(
        many=True,
        read_only=True,
        help_text="Measures with exactly one failing condition (see `checks`), ranked.",
    )


class ApplicabilityView(JSONErrors, APIView):
    """Which measures apply to a firm, with the conditions checked, the next step, the agency to
    approach and the targets; and those that nearly apply. Open to everyone: it reads only."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]

    @extend_schema(request=ProfileSerializer, responses=FindingSerializer)
    def post(self, request: Request) -> Response:
        entry = ProfileSerializer(data=request.data)
        entry.is_valid(raise_exception=True)
        try:
            finding = finder.find_applicable(entry.profile())
        except finder.UnknownCode as error:
            # A contract code the loaded vocabularies lack (data not loaded, say).
            raise ValidationError({error.field: [str(error)]}) from None
        return Response(FindingSerializer(finding, context={"request": request}).data)
