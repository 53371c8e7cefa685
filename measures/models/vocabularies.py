"""The controlled vocabularies measures are tagged with, and the series documents belong to."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .agencies import Jurisdiction
from .base import BilingualName


class Topic(BilingualName):
    code = models.SlugField(max_length=60, unique=True, verbose_name=_("code"))

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["code"]


class EntityType(BilingualName):
    """Who a measure helps: innovative-drug firm, hospital, commercial insurer, …"""

    code = models.SlugField(max_length=60, unique=True, verbose_name=_("code"))

    class Meta:
        verbose_name = _("entity type")
        verbose_name_plural = _("entity types")
        ordering = ["code"]


class ProductStage(BilingualName):
    """Where a product stands: clinical trial, application filed, approved, listed, …"""

    code = models.SlugField(max_length=60, unique=True, verbose_name=_("code"))
    ordinal = models.PositiveSmallIntegerField(
        help_text=_("position along the product's life"), verbose_name=_("ordinal")
    )

    class Meta:
        verbose_name = _("product stage")
        verbose_name_plural = _("product stages")
        ordering = ["ordinal"]


class ProductType(BilingualName):
    """What a firm makes: chemical drug, biologic, traditional Chinese medicine, device, IVD."""

    code = models.SlugField(max_length=60, unique=True, verbose_name=_("code"))

    class Meta:
        verbose_name = _("product type")
        verbose_name_plural = _("product types")
        ordering = ["code"]


class Location(models.TextChoices):
    """Where a firm operates, as the applicability finder asks it (codes are API contract)."""

    BEIJING = "beijing", _("Beijing")
    CHINA_OTHER = "china_other", _("elsewhere in China")
    ABROAD = "abroad", _("abroad")


class Series(BilingualName):
    """Documents issued again as new editions, such as Beijing's yearly measures."""

    slug = models.SlugField(max_length=80, unique=True, verbose_name=_("slug"))
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        on_delete=models.PROTECT,
        related_name="series",
        verbose_name=_("jurisdiction"),
    )

    class Meta:
        verbose_name = _("series")
        verbose_name_plural = _("series")
        ordering = ["slug"]
