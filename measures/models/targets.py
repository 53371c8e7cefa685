"""Targets, the values observed for them, and how far each had come on any day.

The rules are stated in measures/progress_rules.py; `TargetQuerySet.with_computed_progress`
applies the same rules in SQL, so every page can say what was known on a given day."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, F, OuterRef, Q, Value, When
from django.db.models.expressions import Combinable
from django.db.models.functions import Cast, Coalesce, NullIf, Round, RowNumber
from django.db.models.lookups import GreaterThan, GreaterThanOrEqual, LessThan
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from caching.dataversion import BumpingQuerySet
from measures import typography
from measures.sqlnames import column
from measures.validity import EARLIEST_AS_OF

from .base import Comparator, Direction, Provenance, TargetKind, bilingual_text, pick_language
from .measures import SEARCHED_IN_TARGETS, TARGET_SEARCH_SET, Measure
from .rollups import RollupQuerySet


class Unit(models.TextChoices):
    WEEK = "week", _("weeks")
    WORKING_DAY = "working_day", _("working days")
    DAY = "day", _("days")
    MONTH = "month", _("months")
    PERCENT = "percent", _("%")
    COUNT = "count", _("count")
    CNY_100M = "cny_100m", _("¥100 million")
    CNY_10K = "cny_10k", _("¥10,000")
    TERABYTE = "tb", _("TB")


class TargetStatus(models.TextChoices):
    """A target's progress: see measures/progress_rules.py for the rules."""

    ACHIEVED = "achieved", _("achieved")
    ACHIEVED_LATE = "achieved_late", _("achieved late")
    ON_TRACK = "on_track", _("on track")
    BEHIND = "behind", _("behind")
    MISSED = "missed", _("missed")
    OVERDUE = "overdue", _("overdue")
    NO_DATA = "no_data", _("no data")


class DaysBetween(models.Func):
    """Whole days from the second date to the first: negative when the first comes earlier."""

    arity = 2
    output_field = models.IntegerField()
    # PostgreSQL subtracts dates into days.
    template = "(%(expressions)s)"
    arg_joiner = " - "

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLite keeps dates as ISO text; julianday() numbers them.
        return self.as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS integer)",
            arg_joiner=") - julianday(",
            **extra_context,
        )


# `progress.meets` as lookups: the comparator's name in the database → the lookup it means.
COMPARATOR_LOOKUPS = {"lte": "lte", "lt": "lt", "gte": "gte", "gt": "gt", "eq": "exact"}


def meets_goal(value: str, comparator: str, goal: Combinable) -> Q:
    """The condition that the field `value` meets `goal` by the comparator in field `comparator`."""
    return Q(
        *(
            Q(**{comparator: name, f"{value}__{lookup}": goal})
            for name, lookup in COMPARATOR_LOOKUPS.items()
        ),
        _connector=Q.OR,
    )


def ratio(numerator: models.Expression, denominator: models.Expression) -> models.Expression:
    """numerator / denominator as a float (SQLite would divide integers as integers); NULL when
    the denominator is 0."""
    return Cast(numerator, models.FloatField()) / NullIf(
        Cast(denominator, models.FloatField()), Value(0.0)
    )


def clipped(share: models.Expression) -> Case:
    """`share` held within 0 … 1; NULL stays NULL (GREATEST/LEAST would differ there by
    database)."""
    return Case(
        When(LessThan(share, 0.0), then=Value(0.0)),
        When(GreaterThan(share, 1.0), then=Value(1.0)),
        default=share,
        output_field=models.FloatField(),
    )


# The plugin's as_manager() for a queryset with two queryset bases returns a manager derived
# from the first base's only, so mypy sees it clash with the second's (a django-stubs limit).
class TargetQuerySet(BumpingQuerySet["Target"], RollupQuerySet["Target"]):  # type: ignore[override]
    statuses = TargetStatus

    def rollup_share(self) -> Combinable:
        return models.F("progress_share")

    def rollup_share_sql(self, table: str) -> tuple[str, list]:
        return f"{table}.{column(self.model, 'progress_share')}", []

    def with_computed_progress(self, today: datetime.date) -> TargetQuerySet:
        """Each target's progress as of `today`, computed by the database within this query:
        `computed_<field>` for each of PROGRESS_FIELDS (see COMPUTED_PROGRESS). Only the
        observations dated up to `today` are seen, so a past day gives the progress as it could
        be known then (see `as_of`).

        The rules are those of measures/progress_rules.py, which stays their readable statement (the
        tests hold both to the same answer for every kind of target). The latest observation is
        joined, one row a target; a rule's share of cases within the limit is a subquery, run
        for rule targets only, and so are the verdicts at the deadline, for targets whose
        deadline has passed only. Built for the refresh of every target: one pass over the
        observations, no statement per target."""
        # The latest observation of each target is the greatest (date, value), as in progress():
        # numbered in one pass over the targets' observations, and joined in (one row a target).
        newest_first = models.Window(
            RowNumber(),
            partition_by="target",
            order_by=[F("observed_on").desc(), F("value").desc()],
        )
        of_these = Observation.objects.filter(observed_on__lte=today)
        if self.query.has_filters():  # some targets only: number their observations only
            of_these = of_these.filter(target__in=self.order_by().values("pk"))
        latest = of_these.annotate(rank=newest_first).filter(rank=1).order_by().values("pk")
        # The target's observations known on `today`, each with the target's goal at hand.
        observations = (
            Observation.objects.filter(target=OuterRef("pk"), observed_on__lte=today)
            .order_by()
            .alias(
                comparator=models.ExpressionWrapper(OuterRef("comparator"), models.CharField()),
                goal=OuterRef("goal_value"),
            )
        )
        meets_it = meets_goal("value", "comparator", F("goal"))
        # A rule's cases (its observations): the fraction within the limit.
        case_share = (
            observations.values("target")
            .annotate(
                share=models.Avg(
                    Case(
                        When(meets_it, then=Value(1.0)),
                        default=Value(0.0),
                        output_field=models.FloatField(),
                    )
                )
            )
            .values("share")
        )
        # Past the deadline: whether the last value on or before it meets the goal (1), falls
        # short (0), or there is none (NULL); and whether a later value meets it.
        at_deadline = (
            observations.filter(observed_on__lte=OuterRef("deadline"))
            .annotate(
                verdict=Case(
                    When(meets_it, then=Value(1)),
                    default=Value(0),
                    output_field=models.IntegerField(),
                )
            )
            .order_by("-observed_on", "-value")
            .values("verdict")[:1]
        )
        met_late = observations.filter(meets_it, observed_on__gt=OuterRef("deadline"))
        latest_on = F("latest__observed_on")
        start = F("progress_start")
        rule = Q(kind=TargetKind.RULE)
        met = meets_goal("latest__value", "comparator", F("goal_value"))
        past = Q(deadline__lt=today) & ~rule
        on_time = past & Q(deadline_verdict=1)
        late = past & Q(met_late=True)  # and not on time: decided after it
        status = {value: Value(value) for value in TargetStatus.values}
        return self.alias(
            latest=models.FilteredRelation(
                "observations", condition=Q(observations__pk__in=models.Subquery(latest))
            ),
            # The baseline date, else the day the document took effect (validity.takes_effect).
            progress_start=Coalesce(
                "baseline_date",
                "measure__document__effective_from",
                "measure__document__published_on",
                "measure__document__signed_on",
            ),
            case_share=models.Subquery(case_share, output_field=models.FloatField()),
            deadline_verdict=models.Subquery(at_deadline, output_field=models.IntegerField()),
            met_late=models.Exists(met_late),
            level_share=clipped(
                ratio(
                    F("latest__value") - F("baseline_value"), F("goal_value") - F("baseline_value")
                )
            ),
            # Where the straight path from the start to the goal stands at the latest date.
            expected_share=Case(
                When(
                    deadline__gt=start,
                    then=clipped(
                        ratio(DaysBetween(latest_on, start), DaysBetween("deadline", start))
                    ),
                ),
                output_field=models.FloatField(),
            ),
        ).annotate(
            # Decided in the order progress() decides.
            computed_status=Case(
                When(rule & Q(latest__isnull=True), then=status["no_data"]),
                When(rule & Q(case_share=1.0), then=status["achieved"]),
                When(rule, then=status["behind"]),
                When(on_time, then=status["achieved"]),
                When(late, then=status["achieved_late"]),
                When(past & Q(deadline_verdict=0), then=status["missed"]),
                When(past, then=status["overdue"]),
                When(latest__isnull=True, then=status["no_data"]),
                When(met, then=status["achieved"]),
                When(
                    GreaterThanOrEqual(F("level_share"), F("expected_share")),
                    then=status["on_track"],
                ),
                default=status["behind"],
                output_field=models.CharField(),
            ),
            computed_progress_share=Cast(
                Round(
                    Case(
                        When(rule, then=F("case_share")),
                        When(met | on_time | late, then=Value(1.0)),
                        default=F("level_share"),
                        output_field=models.FloatField(),
                    ),
                    4,
                ),
                models.FloatField(),
            ),
            computed_latest_value=F("latest__value"),
            computed_latest_observed_on=latest_on,
            computed_is_stale=Case(
                When(
                    Q(reporting_interval_days__gt=0)
                    & GreaterThan(
                        DaysBetween(Value(today, models.DateField()), latest_on),
                        F("reporting_interval_days"),
                    ),
                    then=Value(True),
                ),
                default=Value(False),
            ),
        )

    def as_of(self, day: datetime.date) -> TargetQuerySet:
        """These targets with their progress as it could be known on `day`: judged by the rules
        of measures/progress_rules.py as of `day`, from the observations dated up to `day` only (a
        value for a later date could not be known then). For pages showing a past date
        (`?as_of=`).

        The stored fields (`status`, `progress_share`, …) stay today's; read the day's from the
        annotations instead — `computed_status`, `computed_progress_share`,
        `computed_latest_value`, `computed_latest_observed_on`, `computed_is_stale` (the names in
        COMPUTED_PROGRESS) — and filter or count on them (`.filter(computed_status="overdue")`,
        `.values("computed_status").annotate(Count("pk"))`). Computed in the same query, no
        statement per target; as of today it gives what `refresh_progress` stores."""
        return self.with_computed_progress(day)

    # Bulk writes that can change what a measure's search finds refresh its search_text.

    def bulk_create(
        self, objs: Iterable[Target], *args: Any, refresh_measures: bool = True, **kwargs: Any
    ) -> list[Target]:
        """`refresh_measures=False` when the measures' search text holds these targets already
        (Measure.objects.bulk_create_with_targets)."""
        created = super().bulk_create(objs, *args, **kwargs)
        if refresh_measures:
            Measure.objects.filter(
                pk__in={target.measure_id for target in created}
            ).refresh_search_text()
        return created

    def bulk_update(self, objs: Iterable[Target], fields: Iterable[str], *args, **kwargs) -> int:
        objs, fields = list(objs), list(fields)
        updated = super().bulk_update(objs, fields, *args, **kwargs)
        if TARGET_SEARCH_SET.intersection(fields):
            measures = {target.measure_id for target in objs}
            Measure.objects.filter(pk__in=measures).refresh_search_text()
        return updated

    def update(self, **values: Any) -> int:
        if not TARGET_SEARCH_SET.intersection(values):
            return super().update(**values)
        pks = list(self.values_list("pk", flat=True))
        measures = set(self.values_list("measure_id", flat=True))
        updated = super().update(**values)
        moved = Target.objects.filter(pk__in=pks).values_list("measure_id", flat=True)
        Measure.objects.filter(pk__in=measures.union(moved)).refresh_search_text()
        return updated

    def delete(self) -> tuple[int, dict[str, int]]:
        measures = set(self.values_list("measure_id", flat=True))
        deleted = super().delete()
        Measure.objects.filter(pk__in=measures).refresh_search_text()
        return deleted


PROGRESS_FIELDS = ["status", "progress_share", "latest_value", "latest_observed_on", "is_stale"]
# Each field → the annotation of `with_computed_progress` holding its new value.
COMPUTED_PROGRESS = {field: f"computed_{field}" for field in PROGRESS_FIELDS}


class Target(Provenance):
    """A quantitative or dated commitment inside a measure.

    A `level` target is a value to reach (≤ 20 weeks, ≥ 90 %, 15 approvals) by a deadline. A `rule`
    target is a time limit that applies to every case, counted from an event (a meeting within 3
    months of each list update); its deadline is the rule's wording in `deadline_text`.
    """

    Kind = TargetKind
    Status = TargetStatus

    Direction = Direction

    Comparator = Comparator

    # Indexes cost every write, and the first refresh of a corpus rewrites most rows in each of
    # them (status is indexed, so those updates are not HOT): no index of the measure's or the
    # key's own, which target_key_unique (measure, key) serves, and none for LIKE on the key or
    # the metric (Django adds one to each indexed slug on PostgreSQL).
    measure = models.ForeignKey(
        Measure,
        on_delete=models.CASCADE,
        related_name="targets",
        db_index=False,
        verbose_name=_("measure"),
    )
    key = models.SlugField(
        max_length=80,
        db_index=False,
        help_text=_("stable id within the measure"),
        verbose_name=_("key"),
    )
    kind = models.CharField(
        max_length=10, choices=Kind.choices, default=Kind.LEVEL, verbose_name=_("kind")
    )
    # The same metric code across documents lets comparisons line up 28 weeks against 20.
    metric = models.SlugField(max_length=80, db_index=False, verbose_name=_("metric"))
    metric_zh = models.CharField(max_length=200, verbose_name=_("metric (Chinese)"))
    metric_en = models.CharField(max_length=200, verbose_name=_("metric (English)"))
    unit = models.CharField(max_length=20, choices=Unit.choices, verbose_name=_("unit"))
    direction = models.CharField(
        max_length=10, choices=Direction.choices, verbose_name=_("direction")
    )
    baseline_value = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, verbose_name=_("baseline value")
    )
    baseline_date = models.DateField(null=True, blank=True, verbose_name=_("baseline date"))
    comparator = models.CharField(
        max_length=5, choices=Comparator.choices, verbose_name=_("comparator")
    )
    goal_value = models.DecimalField(max_digits=14, decimal_places=2, verbose_name=_("goal value"))
    deadline = models.DateField(null=True, blank=True, verbose_name=_("deadline"))
    deadline_text = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("the deadline or rule as the source words it"),
        verbose_name=_("deadline text"),
    )
    deadline_text_en = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("the deadline or rule in English"),
        verbose_name=_("deadline text (English)"),
    )
    source_span = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("the short phrase the target was read from"),
        verbose_name=_("source span"),
    )
    # Progress, computed from the observations by `refresh_progress`, never typed in.
    status = models.CharField(
        max_length=20,
        choices=TargetStatus.choices,
        default=TargetStatus.NO_DATA,
        editable=False,
        verbose_name=_("status"),
    )
    reporting_interval_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("how often a value is expected to be reported"),
        verbose_name=_("reporting interval days"),
    )
    progress_share = models.FloatField(
        null=True, blank=True, editable=False, verbose_name=_("progress share")
    )
    is_stale = models.BooleanField(
        default=False,
        editable=False,
        help_text=_("the latest value is older than expected"),
        verbose_name=_("stale"),
    )
    latest_value = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        editable=False,
        verbose_name=_("latest value"),
    )
    latest_observed_on = models.DateField(
        null=True, blank=True, editable=False, verbose_name=_("latest observed on")
    )
    progress_computed_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("progress computed at")
    )

    # Not a column: the inline SVG chart a page's view draws for its template.
    chart: str
    # Not a column: its latest status and goal changes, for the measure page (measure_history).
    history: list[Any]

    objects = TargetQuerySet.as_manager()

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["measure", "key"]
        # The coming deadlines (the calendar feed, the home page) without reading every target.
        indexes = [
            models.Index(fields=["deadline"], name="target_deadline"),
            # The API's ?metric= (exact), without the LIKE index a db_index slug would add.
            models.Index(fields=["metric"], name="target_metric"),
        ]
        constraints = [
            *Provenance.Meta.constraints,
            models.UniqueConstraint(fields=["measure", "key"], name="target_key_unique"),
            models.CheckConstraint(condition=Q(unit__in=Unit.values), name="target_unit_valid"),
            models.CheckConstraint(
                condition=Q(kind__in=TargetKind.values), name="target_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(direction__in=Direction.values), name="target_direction_valid"
            ),
            models.CheckConstraint(
                condition=Q(comparator__in=Comparator.values), name="target_comparator_valid"
            ),
            models.CheckConstraint(condition=Q(goal_value__gte=0), name="target_goal_nonnegative"),
            models.CheckConstraint(
                condition=Q(status__in=TargetStatus.values), name="target_status_valid"
            ),
            # A rule has no calendar deadline; it is counted from an event the text names.
            models.CheckConstraint(
                condition=~Q(kind="rule") | (Q(deadline__isnull=True) & ~Q(deadline_text="")),
                name="target_rule_has_wording",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.measure.public_id}: {self.metric_en} {self.goal_display}"

    def save(self, *args, **kwargs) -> None:
        previous = (
            Target.objects.filter(pk=self.pk).values_list("measure_id", flat=True).first()
            if self.pk
            else None
        )
        super().save(*args, **kwargs)
        measures = {pk for pk in (self.measure_id, previous) if pk is not None}
        Measure.objects.filter(pk__in=measures).refresh_search_text()

    def delete(self, *args, **kwargs) -> tuple[int, dict[str, int]]:
        deleted = super().delete(*args, **kwargs)
        Measure.objects.filter(pk=self.measure_id).refresh_search_text()
        return deleted

    def search_words(self) -> list[str]:
        """What its measure's search text holds of it."""
        return [getattr(self, name) for name in SEARCHED_IN_TARGETS]

    @property
    def public_id(self) -> str:
        """The measure's id and the target's key, `beijing-2024/1:startup-weeks`: how indicator
        sources name the target."""
        return f"{self.measure.public_id}:{self.key}"

    @property
    def metric_label(self) -> str:
        return pick_language(self.metric_zh, self.metric_en)

    @property
    def deadline_label(self) -> str:
        """The deadline's wording in the reader's language (Chinese where no English is given)."""
        return pick_language(self.deadline_text, self.deadline_text_en)

    @property
    def goal_display(self) -> str:
        """The goal in the reader's language: `≤ 20 weeks`, `≥ 90 %`; `≤20周`, `≥90%`."""
        return typography.goal(self.comparator, Decimal(self.goal_value), self.unit)


class ObservationOrigin(models.TextChoices):
    REFERENCE = "reference", _("reference data (referencedata/data/)")
    EDITOR = "editor", _("entered by an editor")
    # Written by `ingest_observations` from an IndicatorSource; never touched by the loader.
    INGESTED = "ingested", _("ingested from an indicator source")


class Observation(Provenance):
    """A measured value of a target's metric at a date, with where it was reported.

    `observed_on` is the date the value stands for — the end of the period it measures — not
    the date of the report: progress judges a target at its deadline by the values dated on or
    before it, and as of a day by the values dated up to that day.

    Observations from the reference data are kept in step with the files by `load_policies`;
    those entered by editors (`origin=editor`) or ingested from an indicator source
    (`origin=ingested`) are never changed by it.
    """

    Origin = ObservationOrigin

    # PROTECT: reloading reference data must never silently drop recorded progress.
    target = models.ForeignKey(
        Target, on_delete=models.PROTECT, related_name="observations", verbose_name=_("target")
    )
    value = models.DecimalField(max_digits=14, decimal_places=2, verbose_name=_("value"))
    observed_on = models.DateField(
        help_text=_(
            "the date the value stands for: the end of the period it measures (2024-12-31 for "
            "the 2024 result), not the date it was reported"
        ),
        verbose_name=_("observed on"),
    )
    # Editors give a link; the reference data names a `source`.
    source_url = models.URLField(max_length=500, blank=True, verbose_name=_("source URL"))
    note_zh = models.TextField(_("note (Chinese)"), blank=True)
    note_en = models.TextField(_("note (English)"), blank=True)
    note = bilingual_text("note")
    origin = models.CharField(
        max_length=20,
        choices=ObservationOrigin.choices,
        default=ObservationOrigin.EDITOR,
        verbose_name=_("origin"),
    )
    # Ingested values only: where, when and from which exact file they were read.
    indicator_source = models.ForeignKey(
        "IndicatorSource",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="observations",
        verbose_name=_("indicator source"),
    )
    retrieved_at = models.DateTimeField(_("retrieved at"), null=True, blank=True)
    content_hash = models.CharField(
        _("content hash"), max_length=64, blank=True, help_text=_("SHA-256 of the file read")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("observation")
        verbose_name_plural = _("observations")
        ordering = ["target", "-observed_on"]
        get_latest_by = "observed_on"
        constraints = [
            *Provenance.Meta.constraints,
            models.UniqueConstraint(
                fields=["target", "observed_on"], name="observation_one_per_day"
            ),
            models.CheckConstraint(
                condition=Q(origin__in=ObservationOrigin.values), name="observation_origin_valid"
            ),
            # An ingested value always says where it came from; no other value claims a source.
            models.CheckConstraint(
                condition=(
                    Q(origin=ObservationOrigin.INGESTED)
                    & Q(indicator_source__isnull=False)
                    & Q(retrieved_at__isnull=False)
                    & ~Q(content_hash="")
                )
                | (~Q(origin=ObservationOrigin.INGESTED) & Q(indicator_source__isnull=True)),
                name="observation_ingested_has_provenance",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target} = {self.value} on {self.observed_on}"

    @staticmethod
    def date_problem(day: datetime.date, today: datetime.date) -> str | None:
        """Why no value can stand for `day`, or None: a value dated after today has not been
        measured yet, and none predates the earliest day the catalogue shows (EARLIEST_AS_OF,
        the bound of `as_of` too)."""
        if day > today:
            return _("The date cannot be after today (%s).") % today.isoformat()
        if day < EARLIEST_AS_OF:
            return _("The date cannot be before %s.") % EARLIEST_AS_OF.isoformat()
        return None

    def clean(self) -> None:
        super().clean()
        if self.observed_on is not None:
            problem = self.date_problem(self.observed_on, timezone.localdate())
            if problem:
                raise ValidationError({"observed_on": problem})

    @property
    def link(self) -> str:
        return self.source.url if self.source else self.source_url
