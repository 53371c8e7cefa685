import functools
import re
from dataclasses import dataclass

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext

from measures import changewords, citations
from measures.citations import cited_keys
from measures.models import DocumentValidity, Grade, pick_language
from measures.quoting import CHINESE_CODE, ENGLISH_CODE, language_of
from measures.synonyms import every_form
from measures.validity import Validity

register = template.Library()


@register.filter
def measure_url(public_id: str) -> str:
    """`beijing-2025/12` → its page; `beijing-2025/12#startup` → that target on the page."""
    measure_id, _, target_key = public_id.partition("#")
    slug, _, number = measure_id.rpartition("/")
    url = reverse("measures:measure", args=[slug, int(number)])
    return f"{url}#target-{target_key}" if target_key else url


@functools.lru_cache(maxsize=64)
def _pattern(query: str) -> re.Pattern[str] | None:
    """Every form of every term of `query` (synonyms included), longest first. Kept: a results
    page asks for it for each row's title and snippet fields."""
    forms = every_form(query or "")
    if not forms:
        return None
    return re.compile(
        "|".join(re.escape(form) for form in sorted(forms, key=len, reverse=True)), re.IGNORECASE
    )


@register.filter
def written_in(name: str) -> str:
    """The language a name or title is written in, for its `lang` attribute: a source's title
    stays as published (a Chinese report on an English page is quoted, not translated)."""
    return language_of(name)


@register.filter
def grade_label(code: str) -> str:
    """A grade's name in the reader's language: `official` → 官方 on a Chinese page."""
    return str(Grade(code).label) if code in Grade.values else code


@register.filter
def highlight(text: str, query: str) -> str:
    """Escape `text` and mark every search term in it, or a synonym searched for it
    (case-insensitive). Terms are found in the text as written, then each piece is escaped:
    searching the escaped text marked the inside of entities (`q=amp` in "R&D" gave
    `R&<mark>amp</mark>;D`)."""
    pattern = _pattern(query)
    if pattern is None:
        return conditional_escape(text)
    pieces, last = [], 0
    for match in pattern.finditer(text):
        pieces += [escape(text[last : match.start()]), f"<mark>{escape(match.group(0))}</mark>"]
        last = match.end()
    pieces.append(escape(text[last:]))
    return mark_safe("".join(pieces))  # noqa: S308  every piece of text is escaped


@register.filter
def excerpt(text: str, query: str, width: int = 40) -> str:
    """A short window of `text` around the first search term (or synonym) found in it ("" if
    none)."""
    pattern = _pattern(query)
    match = pattern.search(text) if pattern is not None else None
    if match is None:
        return ""
    start = max(match.start() - width, 0)
    end = min(match.start() + width * 2, len(text))
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


@dataclass(frozen=True)
class Snippet:
    """A search result's excerpt, highlighted, and the language it is written in; `foreign`
    when that is not the page's, so the template marks it with its own `lang`."""

    html: str  # escaped, terms marked: safe to show
    language: str
    foreign: bool


@register.filter
def search_snippet(measure, query: str) -> Snippet | None:
    """The excerpt of the first of the measure's `snippet_sources` that holds a search term:
    the summary in the reader's language when it matches, else the field that did (an English
    query on the Chinese interface shows the English text it found). For the rows of
    `MeasureQuerySet.for_listing`."""
    page = (get_language() or "").split("-")[0]
    for language, text in measure.snippet_sources(measure.target_list):
        window = excerpt(text or "", query)
        if window:
            foreign = language.lower().split("-")[0] != page
            return Snippet(highlight(window, query), language, foreign)
    return None


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (None removes one)."""
    query = context["request"].GET.copy()
    for name, value in changes.items():
        query.pop(name, None)
        if value is not None:
            query[name] = value
    return query.urlencode()


@register.simple_tag(takes_context=True)
def page_query(context, param: str, number: int) -> str:
    """The current query string pointing at page `number` of the list paged by `param`."""
    return query_with(context, **{param: number})


@register.filter
def keep_as_of(url: str, as_of: str) -> str:
    """A link within a page showing a past day keeps that day: `/measures/x/` →
    `/measures/x/?as_of=2024-12-31` (before any #fragment). Unchanged without a day."""
    if not as_of:
        return url
    url, hash_, fragment = str(url).partition("#")
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}as_of={as_of}{hash_}{fragment}"


@register.simple_tag(takes_context=True)
def validity(context, document, detailed: bool = False) -> str:
    """The document's (and so its measures') validity on the day the page shows: in force,
    superseded by the next edition (linked), expired, repealed or not yet in force. `detailed`
    adds the day it changed. Reads the next edition from a `with_successor` annotation when the
    list has one, else asks for it. Rendered once per document and template: a list's rows
    mostly share a few documents."""
    shown = context.render_context.setdefault("measures_tags.validity", {})
    key = (document.pk, detailed)
    if key not in shown:
        template = context.template.engine.get_template("measures/_validity.html")
        shown[key] = template.render(context.new(_validity(context, document, detailed)))
    return shown[key]


def _validity(context, document, detailed: bool) -> dict:
    day = context.get("as_of_day") or timezone.localdate()
    span = document.period
    state = span.on(day)
    successor = None
    if state == Validity.SUPERSEDED:
        successor = getattr(document, "successor_slug", None) or (
            document.successor.slug if document.successor else None
        )
    return {
        "state": state.value,
        "label": DocumentValidity(state).label,
        "successor": successor,
        "successor_link": successor_link(document, context.get("as_of", "")) if successor else "",
        "ends": span.ends,
        "starts": span.starts,
        "detailed": detailed,
    }


# Query parameters are read here, in Python: in a template, `request.GET.lists` or
# `request.GET.urlencode` is the value of `?lists=` or `?urlencode=` when the address has one
# (a dictionary lookup comes before the method), which broke the page.


@register.filter
def hidden_query(request, dropped: str = "") -> str:
    """The request's query parameters as hidden inputs, except those named in `dropped`
    (space-separated): a form that changes one setting keeps the others."""
    names = set(dropped.split())
    return format_html_join(
        "",
        '<input type="hidden" name="{}" value="{}">',
        (
            (name, value)
            for name, values in request.GET.lists()
            if name not in names
            for value in values
        ),
    )


@register.filter
def query_string(request) -> str:
    """The request's query string, as it came (for a link to the same selection elsewhere)."""
    return request.GET.urlencode()


@register.filter
def without_as_of(request) -> str:
    """The request's query string without `as_of` (nor a page number, which may not exist
    today): where "back to today" leads."""
    query = request.GET.copy()
    query.pop("as_of", None)
    query.pop("page", None)
    return query.urlencode()


@register.simple_tag(takes_context=True)
def validity_state(context, document) -> str:
    """The document's validity code on the day the page shows, for a row's class."""
    return document.period.on(context.get("as_of_day") or timezone.localdate()).value


@register.filter
def successor_link(document, as_of: str = "") -> str:
    """A link to the next edition of `document`, by the name readers know it by (never its
    slug), keeping the page's day, as HTML to place in a sentence."""
    slug = getattr(document, "successor_slug", None) or (
        document.successor.slug if document.successor else None
    )
    if not slug:
        return ""
    url = keep_as_of(reverse("measures:document", args=[slug]), as_of)
    return format_html('<a href="{}">{}</a>', url, document.successor_name)


@register.filter
def measure_link(measure, as_of: str = "") -> str:
    """A link to `measure` by its public id, keeping the page's day."""
    url = keep_as_of(measure.get_absolute_url(), as_of)
    return format_html('<a href="{}">{}</a>', url, measure.public_id)


@register.simple_tag(takes_context=True)
def note(context, record, field: str = "grade_note", plain: bool = False) -> str:
    """A note of `record` (a model or a dict) in the reader's language, the other one when
    missing, with each source it cites (`{s9}`) as a citation: a link to the source named by its
    publisher and date (`plain=True`: text only, for an attribute). Never shows a source key."""

    def half(language: str) -> str:
        name = f"{field}_{language}"
        value = record.get(name) if isinstance(record, dict) else getattr(record, name, "")
        return value or ""

    chinese, english = half("zh"), half("en")
    text = pick_language(chinese, english)
    if not text:
        return ""
    sources = citations.all_sources(context.get("request")) if cited_keys(text) else {}
    if plain:
        return citations.as_text(text, sources)
    language = CHINESE_CODE if text == chinese else ENGLISH_CODE
    html = citations.as_html(text, sources, language)
    # The other language's note, shown when the reader's is missing, says which it is.
    if language_of_page() != language:
        return format_html('<span lang="{}">{}</span>', language, html)
    return html


def language_of_page() -> str:
    return ENGLISH_CODE if (get_language() or "").startswith("en") else CHINESE_CODE


# A change in the log, as every page shows it (measures/changewords.py says it in words).


@register.filter
def change_words(change) -> str:
    """What changed, in plain words in the reader's language."""
    return changewords.describe(change)


@register.filter
def change_author(change) -> str:
    """Who made the change: the process, or "an editor" (never a name)."""
    return changewords.author(change)


@register.filter
def change_page(change) -> str:
    """The page of the object changed, "" once it is gone."""
    return changewords.page_of(change) or ""


@register.filter
def change_subject(change) -> str:
    """The object changed, by what readers call it: the measure's title (and the target's
    metric), the document's short name, else the label it had when it was changed."""
    return changewords.subject(change)


@register.filter
def change_object(change) -> str:
    """The kind of object changed: measure, target …"""
    return changewords.object_name(change)


@register.filter
def cited(source) -> str:
    """A source as the site cites it: its publisher and date, linked, titled with its title."""
    if source is None:
        return ""
    return citations.citation_html(source, language_of_page())


# One row of the measure list. Built in Python, as Django's admin builds its change list: 50
# rows through the template engine (about 40 variable lookups, six tags and an included
# template a row) took a third of the page's time at the real size of the data.
MEASURE_ROW = """
        <tr class="validity-row-{state}">
          <td class="id"><a href="{url}">{public_id}</a> {validity}</td>
          <td class="part" data-label="{part_label}" title="{part_title}">{part}</td>
          <td class="title" data-label="{title_label}"><a href="{url}">{title}</a>
            {snippet}</td>
          <td data-label="{topics_label}">{topics}</td>
          <td data-label="{agencies_label}">{agencies}</td>
          <td data-label="{targets_label}">{targets}</td>
          <td data-label="{grade_label}"><span class="grade grade-{grade}">{grade_name}</span></td>
        </tr>
      """


@register.simple_tag(takes_context=True)
def measure_rows(context, measures) -> str:
    """The rows of the measure list (`MeasureQuerySet.for_listing`, `with_successor`): each
    measure's id and validity on the day shown, part, title (search terms marked, and a
    snippet), topics, agencies, targets and grade."""
    query, as_of = context.get("query", ""), context.get("as_of", "")
    day = context.get("as_of_day") or timezone.localdate()
    labels = {
        "part_label": gettext("Part"),
        "title_label": gettext("Title"),
        "topics_label": gettext("Topics"),
        "agencies_label": gettext("Agencies"),
        "targets_label": gettext("Targets"),
        "grade_label": gettext("Grade"),
    }
    rows = []
    for measure in measures:
        document = measure.document
        if measure.title:
            title = highlight(measure.title, query)
        else:
            title = format_html(
                '<span class="unknown-title">{}</span>', gettext("content not reconstructed")
            )
        rows.append(
            format_html(
                MEASURE_ROW,
                state=document.period.on(day).value,
                url=keep_as_of(measure.get_absolute_url(), as_of),
                public_id=measure.public_id,
                validity=validity(context, document),
                part_title=measure.section.title,
                part=measure.section.label,
                title=title,
                snippet=_row_snippet(measure, query),
                topics=format_html_join(
                    "", '<span class="tag">{}</span> ', ((t.name,) for t in measure.topic_list)
                ),
                agencies=format_html_join(
                    ", ", "{}", ((role.agency.short_name,) for role in measure.role_list)
                ),
                targets=format_html_join(
                    "",
                    '<div class="target-compact">{} <span class="status status-{}">{}</span></div>',
                    (
                        (target.goal_display, target.status, target.get_status_display())
                        for target in measure.target_list
                    ),
                ),
                grade=measure.grade,
                grade_name=measure.get_grade_display(),
                **labels,
            )
        )
    return mark_safe("".join(rows))  # noqa: S308  every row is built by format_html


def _row_snippet(measure, query: str) -> str:
    snippet = search_snippet(measure, query) if query else None
    if snippet is None:
        return ""
    if snippet.foreign:
        return format_html(
            '<div class="snippet" lang="{}">{}</div>', snippet.language, snippet.html
        )
    return format_html('<div class="snippet">{}</div>', snippet.html)


# One row of /changes/, built in Python like the measure list's rows: through the template
# engine, 50 rows (an included template and four translations a row) were most of the page.
CHANGE_ROW = """
        <tr class="change change-{kind}">
          <td class="when"><time datetime="{at_iso}">{at}</time></td>
          <td data-label="{what_label}">{subject}
</td>
          <td data-label="{change_label}">{words}</td>
          <td data-label="{by_label}">{author}</td>
          <td data-label="{source_label}">{source}</td>
        </tr>
      """


@register.simple_tag
def change_rows(changes) -> str:
    """The rows of the change log's table: when, what changed (linked to its page), how, by
    whom and on what source."""
    labels = {
        "what_label": gettext("What"),
        "change_label": gettext("Change"),
        "by_label": gettext("By"),
        "source_label": gettext("Source"),
    }
    rows = []
    for change in changes:
        at = timezone.localtime(change.at)
        rows.append(
            format_html(
                CHANGE_ROW,
                kind=change.kind,
                at_iso=at.isoformat(),  # the date filter's "c"
                at=at.strftime("%Y-%m-%d %H:%M"),  # its "Y-m-d H:i", without its parser
                subject=change_subject_html(change),
                words=change_words(change),
                author=change_author(change),
                source=cited(change.source) if change.source else "—",
                **labels,
            )
        )
    return mark_safe("".join(rows))  # noqa: S308  every row is built by format_html


def change_subject_html(change) -> str:
    """What a change is about, linked to its page when it has one, with its key (as
    measures/_change_subject.html shows it)."""
    page = change_page(change)
    subject = change_subject(change)
    shown = (
        format_html('<a href="{}">{}</a>', page, subject) if page else conditional_escape(subject)
    )
    label = (
        format_html(' <code class="meta">{}</code>', change.object_label)
        if change.object_label
        else ""
    )
    return format_html(
        '<span class="change-object">{}</span> {}{}', change_object(change), shown, label
    )


# A chosen value's attributes; not chosen, a space (the template wrote two before data-facet).
CHOSEN = mark_safe('class="selected" aria-current="true" ')
FACET_VALUE = (
    '\n        <li><a href="?{query}" {selected}data-facet="{facet}" data-value="{value}">'
    '{mark}{label}</a> <span class="count">{count}</span></li>\n        '
)


@register.simple_tag
def facet_values(facet) -> str:
    """A facet's values (`measures.facets.Facet`) as the items of its list, each a link that
    chooses or unchooses it, with its count; built in Python like the list's rows."""
    return format_html_join(
        "",
        FACET_VALUE,
        (
            {
                "query": value.query,
                "selected": CHOSEN if value.selected else " ",
                "facet": facet.name,
                "value": value.value,
                "mark": "✓ " if value.selected else "",
                "label": value.label,
                "count": localize(value.count),
            }
            for value in facet.values
        ),
    )
