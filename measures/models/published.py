"""Each measure's public JSON, kept beside it: the API's read model.

A row holds what `MeasureSerializer` says of a measure that depends on neither the day nor the
request (everything but `url`, `validity`, `superseded_by` and `updated_at`, which the API adds
when it serves the row), once per interface language. Database triggers (measures/published.py)
empty the bodies and move the generation of every measure a write touches, in the writer's own
transaction, whatever wrote it: the ORM, a bulk `QuerySet.update`, the progress refresh's SQL, a
`COPY`. The API builds an empty body again when it is next asked for, and keeps it only if the
generation it read before building has not moved since (a write committed meanwhile).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .measures import Measure


class MeasureJSON(models.Model):
    measure = models.OneToOneField(
        Measure,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="published_json",
        verbose_name=_("measure"),
    )
    # Moved by every write that changes what the body says (the triggers), never by a reader.
    generation = models.PositiveBigIntegerField(default=0, verbose_name=_("generation"))
    # The JSON object as the API renders it in each interface language (a label and a goal are
    # written in the reader's), without the day's and request's fields; null until built (again).
    body_zh = models.TextField(null=True, verbose_name=_("body (Chinese)"))  # noqa: DJ001 (null: not built)
    body_en = models.TextField(null=True, verbose_name=_("body (English)"))  # noqa: DJ001

    class Meta:
        verbose_name = _("measure's published JSON")
        verbose_name_plural = _("measures' published JSON")

    def __str__(self) -> str:
        return f"JSON of measure {self.measure_id}"
