"""The benchmark's jobs run, on small sizes, so their code cannot rot (no timing asserted)."""

import pytest

from bench.jobs import align_1000, import_large_document, official_text
from measures.models import Measure


@pytest.mark.parametrize("measures", [30, 120])
def test_align_computes_suggestions_for_every_measure(measures):
    result = align_1000(measures)
    assert result["measures"] == measures
    assert result["suggested"]
    assert result["matched"] >= measures * 0.9
    # Most measures keep their title in the next edition: their best match is the right one.
    assert result["correct"] >= measures * 0.8
    assert result["seconds"] >= 0


@pytest.mark.django_db
@pytest.mark.parametrize("measures", [25, 170])
def test_the_importer_reads_and_writes_every_measure_of_the_large_document(
    measures, reference_data
):
    before = Measure.objects.count()
    result = import_large_document(measures)
    assert result["errors"] == 0
    assert result["measures"] == result["written"] == measures
    assert Measure.objects.count() == before + measures
    # Run again, it imports a new document in place of its own last one.
    assert import_large_document(measures)["written"] == measures
    assert Measure.objects.count() == before + measures
    assert result["parts"] == -(-measures // 80)
    assert result["bytes"] == len(official_text(measures).encode())


def test_the_large_document_is_in_the_official_format():
    text = official_text(200)
    assert "一、" in text
    assert "三、" in text
    assert "(八十)" in text
    assert "(八十一)" not in text
    assert official_text(200) == text  # deterministic
