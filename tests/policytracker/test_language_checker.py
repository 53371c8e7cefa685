"""The checker of the one-language test finds what it should, and only that."""

from tests.language import wrong_language


def page(language: str, body: str) -> str:
    head = "<head><title>t</title></head>"
    return f'<!doctype html><html lang="{language}">{head}<body>{body}</body></html>'


def found(language: str, body: str) -> list[str]:
    return [slip.found for slip in wrong_language(page(language, body))]


def test_it_finds_an_english_sentence_on_a_chinese_page():
    assert found("zh-hans", "<p>措施 Measures are numbered continuously 一</p>") == [
        "Measures are numbered continuously"
    ]


def test_it_finds_chinese_on_an_english_page_even_one_character():
    assert found("en", "<p>Part 2</p><h2>二、Faster review</h2>") == ["二"]
    assert found("en", "<p>deadline: 获批上市后1个月内</p>") == ["获批上市后", "个月内"]


def test_names_and_abbreviations_pass_on_a_chinese_page():
    assert found("zh-hans", "<p>政策追踪 Policy Tracker · API · 50 TB · beijing-2025/12</p>") == []


def test_an_element_marked_with_the_other_language_is_left_out_with_its_content():
    assert (
        found("en", '<p>Source: <cite lang="zh-Hans">读要网<b>对比</b></cite> (secondary)</p>')
        == []
    )
    assert (
        found("zh-hans", '<p>来源：<a lang="en">Fineline: Beijing measures for medicine</a></p>')
        == []
    )
    # Marking it with the page's own language exempts nothing.
    assert found("en", '<p lang="en">二、</p>') == ["二"]


def test_what_a_reader_sees_in_attributes_counts_and_scripts_do_not():
    assert found("en", '<input placeholder="例如 双通道">') == ["例如", "双通道"]
    assert found("en", "<script>const label = '中文';</script><style>/* 中文 */</style>") == []
    assert found("zh-hans", '<a title="Read the official text of it">链接</a>') == [
        "Read the official text of it"
    ]


def test_text_split_by_inline_markup_is_read_as_one_sentence():
    assert found("zh-hans", "<p>replaced <a>by</a> <em>the new</em> one</p>") == [
        "replaced by the new one"
    ]
