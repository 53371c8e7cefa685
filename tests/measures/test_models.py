"""Database constraints and the rules that live on single records."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from measures.models import Measure, MeasureLink, Target
from measures.numerals import chinese_numeral
from tests.factories import (
    DocumentFactory,
    MeasureFactory,
    MeasureLinkFactory,
    SectionFactory,
    TargetFactory,
)


def violates(create) -> bool:
    try:
        with transaction.atomic():
            create()
    except IntegrityError:
        return True
    return False


@pytest.mark.django_db
class TestConstraints:
    def test_a_measure_number_is_unique_in_its_document(self):
        first = MeasureFactory(number=1)
        assert violates(lambda: MeasureFactory(section=first.section, number=1))
        MeasureFactory(number=1)  # the same number in another document is fine

    def test_a_measure_number_starts_at_one(self):
        assert violates(lambda: MeasureFactory(number=0))

    def test_document_slugs_are_unique(self):
        DocumentFactory(slug="beijing-2025")
        assert violates(lambda: DocumentFactory(slug="beijing-2025"))

    def test_a_grade_must_be_known(self):
        assert violates(lambda: MeasureFactory(grade="rumour"))

    def test_an_edition_needs_a_series(self):
        assert violates(lambda: DocumentFactory(edition=2025))

    def test_a_target_unit_and_comparator_must_be_known(self):
        assert violates(lambda: TargetFactory(unit="fortnight"))
        assert violates(lambda: TargetFactory(comparator="about"))

    def test_a_rule_target_is_worded_and_has_no_date(self):
        assert violates(lambda: TargetFactory(kind="rule", deadline_text=""))
        assert violates(lambda: TargetFactory(kind="rule", deadline_text="3个月内"))
        TargetFactory(kind="rule", deadline=None, deadline_text="3个月内")

    def test_a_goal_cannot_be_negative(self):
        assert violates(lambda: TargetFactory(goal_value=-1))

    def test_a_link_has_the_sides_its_relation_needs(self):
        measure = MeasureFactory()
        assert violates(lambda: MeasureLinkFactory(older=measure, newer=measure))
        assert violates(lambda: MeasureLinkFactory(older=None, relation="continued"))
        assert violates(lambda: MeasureLinkFactory(older=measure, relation="new"))
        MeasureLinkFactory(older=None, newer=measure, relation="new")
        MeasureLinkFactory(older=measure, newer=None, relation="dropped")
        assert MeasureLink.objects.count() == 2


@pytest.mark.django_db
class TestMeasure:
    def test_public_id_label_and_citation(self):
        section = SectionFactory(
            document__slug="beijing-2025", document__number="京医保发〔2025〕5号", ordinal=2
        )
        measure = MeasureFactory(section=section, number=12)
        assert measure.public_id == "beijing-2025/12"
        with translation.override("zh-hans"):
            assert measure.label == "(十二)"
            assert section.label == "二、"
        with translation.override("en"):
            assert measure.label == "(12)"
            assert section.label == "Part 2"
        assert Measure.objects.by_public_id("beijing-2025/12") == measure
        title = section.document.title_zh
        # The citation quotes the document's own numbering, in either language.
        for language in ("zh-hans", "en"):
            with translation.override(language):
                assert measure.citation.startswith(f"《{title}》 京医保发〔2025〕5号 二、(十二)")
        assert measure.get_absolute_url() == "/measures/beijing-2025/12/"

    def test_the_goal_reads_as_the_document_states_it(self):
        target = Target.objects.get(pk=TargetFactory(goal_value=20).pk)
        with translation.override("en"):
            assert target.goal_display == "≤ 20 weeks"
        with translation.override("zh-hans"):
            assert target.goal_display == "≤20周"


@pytest.mark.parametrize(
    ("number", "numeral"),
    [
        (1, "一"),
        (10, "十"),
        (12, "十二"),
        (16, "十六"),
        (20, "二十"),
        (32, "三十二"),
        (100, "一百"),
        (105, "一百零五"),
        (110, "一百一十"),
    ],
)
def test_chinese_numerals(number, numeral):
    assert chinese_numeral(number) == numeral


def test_chinese_numerals_reject_zero():
    with pytest.raises(ValueError, match="outside"):
        chinese_numeral(0)
