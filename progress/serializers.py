"""What the progress API answers: a target's daily snapshots and the roll-ups."""

from rest_framework import serializers

from measures.api.serializers import described, text

from .models import ProgressSnapshot


class SnapshotSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProgressSnapshot
        fields = ["taken_on", "status", "share", "latest_value"]
        read_only_fields = fields
        extra_kwargs = described(
            "taken_on", "status", "share", latest_value="The latest observed value that day."
        )


class RollupSerializer(serializers.Serializer):
    key = text(
        "Document slug, part (document/ordinal), measure id (document/number), agency slug "
        "or topic code."
    )
    label = text("Its Chinese name.")
    label_en = text("Its English name.")
    total = serializers.IntegerField(help_text="Number of targets or milestones.")
    share = serializers.FloatField(
        allow_null=True,
        help_text="Average share of the way over those with a share (milestones: done 1, "
        "in progress 0.5, not started 0).",
    )
    weighted_share = serializers.FloatField(
        allow_null=True, help_text="Share of the way over all of them, counting no data as 0."
    )
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="Per status.")


class RollupsSerializer(serializers.Serializer):
    by_document = RollupSerializer(many=True, help_text="Per document.")
    by_part = RollupSerializer(many=True, help_text="Per part of a document.")
    by_measure = RollupSerializer(many=True, help_text="Per measure.")
    by_agency = RollupSerializer(many=True, help_text="Per responsible agency.")
    by_topic = RollupSerializer(many=True, help_text="Per topic.")


class ProgressRollupSerializer(RollupsSerializer):
    milestones = RollupsSerializer(help_text="The milestones of qualitative measures, rolled up.")
