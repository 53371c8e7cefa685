"""An import costs a fixed number of queries, however many measures the notice has: reading and
planning it (the preview), then writing it and its change log (apply). It pauses Python's
cyclic garbage collector meanwhile, and always turns it back on."""

import gc

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from importer.decoding import ImportInputError
from importer.service import apply, preview
from measures.models import Change, Measure, MeasureAgency, Target
from measures.numerals import chinese_numeral

TITLE = "北京市支持创新药临床应用若干措施"


def notice(measures: int) -> str:
    """A notice in the official format, parts of ten measures; each measure concerns kinds of
    organisation, names an agency in passing, has a target and a 责任单位 clause."""
    lines = [
        f"北京市医疗保障局 北京市卫生健康委员会关于印发《{TITLE}》的通知",
        "",
        f"京医保发〔2026〕{measures}号",
        "",
        "各区医疗保障局、卫生健康委:",
        "",
        f"现将《{TITLE}》印发给你们,请认真贯彻落实。",
        "",
        "北京市医疗保障局",
        "北京市卫生健康委员会",
        "2026年3月18日",
        "",
        TITLE,
        "",
    ]
    for number in range(1, measures + 1):
        if number % 10 == 1:
            part = chinese_numeral(number // 10 + 1)
            lines += [f"{part}、推进第{number // 10 + 1}批任务", ""]
        lines += [
            f"({chinese_numeral(number)})扩大第{number}项试点。推动医疗机构和零售药店参与,"
            f"会同市药监局推进,到2027年底覆盖率达到{number}%以上。"
            "(责任单位:市医保局、市卫生健康委)",
            "",
        ]
    return "\n".join(lines) + "\n"


def queries_of_import(measures: int) -> list[str]:
    """The SQL of importing a notice of `measures` measures, undone afterwards."""
    data = notice(measures).encode()
    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries:
            result = preview(data, file_name=f"notice-{measures}.txt")
            run = apply(result)
        written = Measure.objects.filter(document=run.document)
        # Every kind of row a measure brings is there, for each measure.
        assert written.count() == measures
        assert Target.objects.filter(measure__in=written).count() == measures
        assert MeasureAgency.objects.filter(measure__in=written).count() == 3 * measures
        assert Measure.entity_types.through.objects.filter(measure__in=written).count() == (
            2 * measures
        )
        assert Change.objects.filter(document=run.document).count() == 1 + 2 * measures
        transaction.set_rollback(True)
    return [query["sql"] for query in queries.captured_queries]


@pytest.mark.django_db
def test_an_import_issues_as_many_queries_for_40_measures_as_for_20(reference_data):
    twenty = queries_of_import(20)
    forty = queries_of_import(40)
    assert len(forty) == len(twenty), "\n".join(query[:120] for query in forty)


@pytest.mark.django_db
def test_the_garbage_collector_is_back_on_after_an_import_written_or_refused(reference_data):
    result = preview(notice(3).encode(), file_name="notice-3.txt")
    assert gc.isenabled()
    apply(result)
    assert gc.isenabled()
    refused = preview(notice(3).encode(), file_name="notice-3.txt", document="no-such-document")
    assert refused.errors
    with pytest.raises(ImportInputError):
        apply(refused)
    assert gc.isenabled()
