"""What every fact shares: its source and grade (`Provenance`), bilingual names, and the
choices the catalogue uses throughout."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from measures.validity import Validity


def pick_language(zh: str, en: str) -> str:
    """The English text when the interface is in English and we have one; Chinese otherwise
    (English when there is no Chinese)."""
    if en and (get_language() or "").startswith("en"):
        return en
    return zh or en


def bilingual_text(name: str) -> property:
    """`record.<name>`: the `<name>_zh`/`<name>_en` pair in the reader's language (the other one
    when missing). Assigning sets the English half, which editors and the importer write; the
    Chinese half comes from the data files. A property, so models accept it as a keyword."""

    def read(record: models.Model) -> str:
        return pick_language(getattr(record, f"{name}_zh"), getattr(record, f"{name}_en"))

    def write(record: models.Model, text: str) -> None:
        setattr(record, f"{name}_en", text)

    return property(read, write, doc=f"{name}, in the reader's language")


class BilingualName(models.Model):
    """A record with a Chinese and an English name; `name` follows the interface language."""

    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return pick_language(self.name_zh, self.name_en)


class Grade(models.TextChoices):
    OFFICIAL = "official", _("official")
    SECONDARY = "secondary", _("secondary")
    INFERRED = "inferred", _("inferred")
    # The fact exists (a measure's number and part follow from the counts) but what it says
    # could not be reconstructed from any source; nothing is invented in its place.
    UNKNOWN = "unknown", _("unknown")


class SourceKind(models.TextChoices):
    OFFICIAL = "official", _("official publication")
    REPOST = "repost", _("repost of an official text")
    SECONDARY = "secondary", _("secondary report")


class JurisdictionLevel(models.TextChoices):
    NATIONAL = "national", _("national")
    PROVINCIAL = "provincial", _("provincial")
    MUNICIPAL = "municipal", _("municipal")


class AgencyKind(models.TextChoices):
    BODY = "body", _("body")
    SYSTEM = "system", _("authorities at every level")


class DocumentEnd(models.TextChoices):
    """How a document stopped being in force, when it did otherwise than by a new edition."""

    EXPIRED = Validity.EXPIRED.value, _("expired")
    REPEALED = Validity.REPEALED.value, _("repealed")


class DocumentValidity(models.TextChoices):
    """`validity.Validity` with its labels: what a document (and its measures) is on a day."""

    NOT_YET_IN_FORCE = Validity.NOT_YET_IN_FORCE.value, _("not yet in force")
    IN_FORCE = Validity.IN_FORCE.value, _("in force")
    SUPERSEDED = Validity.SUPERSEDED.value, _("superseded")
    EXPIRED = Validity.EXPIRED.value, _("expired")
    REPEALED = Validity.REPEALED.value, _("repealed")


class AgencyRole(models.TextChoices):
    LEAD = "lead", _("lead")
    JOINT = "joint", _("joint")
    SUPPORT = "support", _("support")


class TargetKind(models.TextChoices):
    LEVEL = "level", _("level to reach")
    RULE = "rule", _("time limit for every case")


class Direction(models.TextChoices):
    LOWER = "lower", _("lower is better")
    HIGHER = "higher", _("higher is better")


class Comparator(models.TextChoices):
    LTE = "lte", "≤"
    LT = "lt", "<"
    GTE = "gte", "≥"
    GT = "gt", ">"
    EQ = "eq", "="


class Source(models.Model):
    """A page a fact was read from: the official text, or a named secondary report."""

    Kind = SourceKind

    key = models.SlugField(max_length=80, unique=True, verbose_name=_("key"))
    url = models.URLField(max_length=500, verbose_name=_("URL"))
    title = models.CharField(max_length=300, verbose_name=_("title"))
    publisher = models.CharField(max_length=200, blank=True, verbose_name=_("publisher"))
    published_on = models.DateField(null=True, blank=True, verbose_name=_("published on"))
    kind = models.CharField(max_length=20, choices=Kind.choices, verbose_name=_("kind"))
    # Notes may cite other sources as `{key}` (see measures/citations.py).
    note_zh = models.TextField(_("note (Chinese)"), blank=True)
    note_en = models.TextField(_("note (English)"), blank=True)
    note = bilingual_text("note")

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ["key"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=SourceKind.values), name="source_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Provenance(models.Model):
    """Where a fact came from and how far to trust it."""

    source = models.ForeignKey(
        Source,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("source"),
    )
    grade = models.CharField(_("grade"), max_length=20, choices=Grade.choices)
    # Why the fact has its grade, in both languages; may cite sources as `{key}`.
    grade_note_zh = models.TextField(_("basis of the grade (Chinese)"), blank=True)
    grade_note_en = models.TextField(_("basis of the grade (English)"), blank=True)

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=Q(grade__in=Grade.values), name="%(app_label)s_%(class)s_grade_valid"
            ),
        ]

    grade_note = bilingual_text("grade_note")
