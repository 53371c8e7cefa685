"""Factories for records the reference data does not provide (observations, links, pings)."""

import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from measures import models as m
from measures.models import MeasureLink, SectionLink
from progress.refresh import refresh_progress


class JurisdictionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Jurisdiction
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"region-{n}")
    name_zh = factory.Sequence(lambda n: f"地区{n}")
    name_en = factory.Sequence(lambda n: f"Region {n}")
    level = m.JurisdictionLevel.PROVINCIAL


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Source

    key = factory.Sequence(lambda n: f"source-{n}")
    url = factory.Sequence(lambda n: f"https://example.org/source/{n}")
    title = factory.Sequence(lambda n: f"Source {n}")
    kind = m.SourceKind.SECONDARY


class DocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Document

    slug = factory.Sequence(lambda n: f"document-{n}")
    title_zh = factory.Sequence(lambda n: f"文件{n}")
    title_en = factory.Sequence(lambda n: f"Document {n}")
    jurisdiction = factory.SubFactory(JurisdictionFactory)
    grade = m.Grade.OFFICIAL


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Section

    document = factory.SubFactory(DocumentFactory)
    # The sequence runs through the whole test session, and a part's number is printed as a
    # Chinese numeral (1 … 999): wrap, or a long session's later sections cannot be shown.
    ordinal = factory.Sequence(lambda n: n % 999 + 1)
    title_zh = "部分"
    title_en = "Part"


class MeasureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Measure

    section = factory.SubFactory(SectionFactory)
    document = factory.SelfAttribute("section.document")
    scope = factory.SelfAttribute("document.jurisdiction")
    number = factory.Sequence(lambda n: n + 1)
    title_zh = factory.Sequence(lambda n: f"措施{n}")
    title_en = factory.Sequence(lambda n: f"Measure {n}")
    summary_zh = "摘要"
    summary_en = "Summary"
    grade = m.Grade.OFFICIAL


class TargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Target

    measure = factory.SubFactory(MeasureFactory)
    key = factory.Sequence(lambda n: f"target-{n}")
    metric = "trial_startup_time"
    metric_zh = "临床试验启动用时"
    metric_en = "Clinical-trial start-up time"
    unit = m.Unit.WEEK
    direction = m.Direction.LOWER
    baseline_value = Decimal("28")
    comparator = m.Comparator.LTE
    goal_value = Decimal("20")
    deadline = datetime.date(2025, 12, 31)
    grade = m.Grade.SECONDARY


class ObservationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Observation

    target = factory.SubFactory(TargetFactory)
    value = Decimal("24")
    observed_on = datetime.date(2025, 6, 30)
    source_url = "https://example.org/report"
    grade = m.Grade.SECONDARY


class MeasureLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MeasureLink

    older = factory.SubFactory(MeasureFactory)
    newer = factory.SubFactory(MeasureFactory)
    relation = MeasureLink.Relation.CONTINUED
    grade = m.Grade.INFERRED
    grade_note = "same subject"


class SectionLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SectionLink

    older = factory.SubFactory(SectionFactory)
    newer = factory.SubFactory(SectionFactory)
    relation = SectionLink.Relation.RENAMED
    grade = m.Grade.SECONDARY


class StaffUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"editor{n}")
    is_staff = True
    is_superuser = True
    password = factory.django.Password("correct horse battery staple")


class IndicatorSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.IndicatorSource

    name = factory.Sequence(lambda n: f"source-{n}")
    title = "Start-up times published by a statistics office"
    location = "http://127.0.0.1:1/none.csv"
    format = m.SourceFormat.CSV
    grade = m.Grade.SECONDARY


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Milestone

    measure = factory.SubFactory(MeasureFactory)
    key = factory.Sequence(lambda n: f"milestone-{n}")
    title_zh = "白名单制度建立"
    title_en = "White list set up"
    status = m.MilestoneStatus.DONE
    status_on = datetime.date(2025, 3, 20)
    evidence_url = "https://example.org/evidence"
    grade = m.Grade.SECONDARY


# Where the API lives, for the tests that call it.
API = "/api/v1"


def editor_client() -> APIClient:
    """An API client signed in by token as a member of the editors group."""
    user = StaffUserFactory(is_superuser=False)
    user.groups.add(Group.objects.get_or_create(name="editors")[0])
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def report_key_projects_met_in_2024() -> None:
    """An observation an editor could add: beijing-2024/6's 200 key-project products reached
    within 2024 (the data holds no such report, only a count from after the edition ended), and
    the target's progress refreshed."""
    target = m.Target.objects.get(measure__document__slug="beijing-2024", measure__number=6)
    m.Observation.objects.create(
        target=target,
        value=210,
        observed_on=datetime.date(2024, 12, 31),
        source=target.source,
        grade=m.Grade.INFERRED,
        grade_note="A test's report.",
    )
    refresh_progress(m.Target.objects.filter(pk=target.pk))
