"""Names quoted in the other language are marked with their `lang`, in notes and citations."""

import pytest
from django.template import Context, Template
from django.utils import translation

from measures.citations import as_html
from measures.models import Source
from measures.quoting import language_of, mark_quoted


@pytest.mark.parametrize(
    ("text", "marked"),
    [
        (
            "The official page of 京医保发〔2025〕5号 was not found.",
            'The official page of <span lang="zh-Hans">京医保发〔2025〕5号</span> was not found.',
        ),
        (
            "numbered (一)…(三十二), as reported by 北京青年报",
            'numbered (<span lang="zh-Hans">一</span>)…(<span lang="zh-Hans">三十二</span>), '
            'as reported by <span lang="zh-Hans">北京青年报</span>',
        ),
        ("R&D <b> in 2025", "R&amp;D &lt;b&gt; in 2025"),
    ],
)
def test_an_english_text_marks_its_chinese_runs_and_escapes_the_rest(text, marked):
    assert mark_quoted(text, "en") == marked


def test_a_chinese_text_marks_its_english_names_whole():
    assert mark_quoted("个别措施参考People's Daily Online的报道，1类新药。", "zh-Hans") == (
        '个别措施参考<span lang="en">People&#x27;s Daily Online</span>的报道，1类新药。'
    )


def test_a_text_in_one_script_is_only_escaped():
    assert mark_quoted("整条措施全文见新京报。", "zh-Hans") == "整条措施全文见新京报。"
    assert mark_quoted("Read in the measure.", "en") == "Read in the measure."


def test_a_name_is_written_in_the_language_of_its_script():
    assert language_of("新京报:北京发布") == "zh-Hans"
    assert language_of("China Daily report") == "en"
    assert language_of("") == "en"


def test_a_citation_is_marked_with_its_titles_language_where_it_differs():
    english = Source(key="a", title="China Daily report", publisher="China Daily", url="https://x/")
    chinese = Source(key="b", title="新京报:北京", publisher="ioqf.cn (镜像)", url="https://y/")
    sources = {"a": english, "b": chinese}
    with translation.override("zh-hans"):
        html = as_html("见{a}和{b}。", sources, "zh-Hans")
    assert '<a class="citation" href="https://x/" lang="en" title="China Daily report">' in html
    # Same language as the note: no mark; the English site name inside it is marked.
    assert '<a class="citation" href="https://y/" title="新京报:北京">' in html
    assert '<span lang="en">ioqf.cn</span> (镜像)' in html


def render_note(record: dict[str, str], language: str) -> str:
    template = Template('{% load measures_tags %}{% note record "note" %}')
    with translation.override(language):
        return template.render(Context({"record": record}))


def test_the_note_tag_marks_names_and_a_note_shown_in_the_other_language():
    both = {"note_zh": "据北京青年报报道。", "note_en": "Reported by 北京青年报."}
    assert render_note(both, "en") == 'Reported by <span lang="zh-Hans">北京青年报</span>.'
    assert render_note(both, "zh-hans") == "据北京青年报报道。"
    # No English note: the Chinese one is shown, said to be Chinese, on the English page.
    chinese_only = {"note_zh": "据北京青年报报道。", "note_en": ""}
    assert render_note(chinese_only, "en") == '<span lang="zh-Hans">据北京青年报报道。</span>'
