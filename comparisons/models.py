"""Comparisons computed once and kept: the result for a pair of documents, until what it was
computed from changes. The links between editions it reads are catalogue facts
(`measures.models.MeasureLink` and its kin)."""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class CachedComparison(models.Model):
    """The computed comparison of two documents (`engine.Comparison.as_dict()`), kept until
    either document, its measures or targets, or a link between them changes: `fingerprint`
    summarises what the result was computed from (see `comparisons/cache.py`)."""

    older = models.ForeignKey(
        "measures.Document", on_delete=models.CASCADE, related_name="+", verbose_name=_("A")
    )
    newer = models.ForeignKey(
        "measures.Document", on_delete=models.CASCADE, related_name="+", verbose_name=_("B")
    )
    fingerprint = models.CharField(max_length=64, verbose_name=_("fingerprint"))
    result = models.JSONField(encoder=DjangoJSONEncoder, verbose_name=_("result"))
    computed_at = models.DateTimeField(auto_now=True, verbose_name=_("computed at"))

    class Meta:
        verbose_name = _("cached comparison")
        verbose_name_plural = _("cached comparisons")
        ordering = ["older", "newer"]
        constraints = [
            models.UniqueConstraint(fields=["older", "newer"], name="cachedcomparison_pair_unique")
        ]

    def __str__(self) -> str:
        return f"{self.older} → {self.newer}"
