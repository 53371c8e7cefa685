"""The interface is bilingual: every string has a Chinese translation, none left fuzzy."""

import gettext
import re
from pathlib import Path

from django.conf import settings

from referencedata.typography import ascii_punctuation

CATALOGUE = Path(settings.LOCALE_PATHS[0]) / "zh_Hans/LC_MESSAGES/django.po"


ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def unescape(value: str) -> str:
    """A PO string as gettext reads it: `\\"` is a quote (in `<a href="…">`), `\\n` a newline."""
    return re.sub(r"\\(.)", lambda match: ESCAPES.get(match[1], match[0]), value)


def entries(text: str) -> list[tuple[str, list[str], str]]:
    """(msgid, msgstr values, flags) for every entry after the header, unescaped."""
    found = []
    for block in text.split("\n\n")[1:]:
        flags = " ".join(line for line in block.splitlines() if line.startswith("#,"))
        fields: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            match = re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d\])?) "(.*)"$', line)
            if match:
                key, fields[match[1]] = match[1], match[2]
            elif line.startswith('"') and key:
                fields[key] += line[1:-1]
        if "msgid" in fields:
            strs = [value for name, value in fields.items() if name.startswith("msgstr")]
            found.append((unescape(fields["msgid"]), [unescape(value) for value in strs], flags))
    return found


def test_every_interface_string_is_translated_into_chinese():
    text = CATALOGUE.read_text(encoding="utf-8")
    items = entries(text)
    assert len(items) > 50
    untranslated = [msgid for msgid, strs, _ in items if not all(strs)]
    fuzzy = [msgid for msgid, _, flags in items if "fuzzy" in flags]
    assert untranslated == []
    assert fuzzy == []


def test_the_compiled_catalogue_matches_its_source():
    # The .mo is committed (running the app needs no gettext tools): it must not fall behind.
    with CATALOGUE.with_suffix(".mo").open("rb") as compiled:
        translations = gettext.GNUTranslations(compiled)
    stale = [
        msgid
        for msgid, strs, _ in entries(CATALOGUE.read_text(encoding="utf-8"))
        if len(strs) == 1 and translations.gettext(msgid) != strs[0]
    ]
    assert stale == [], "run `make messages` to recompile the catalogue"


# Placeholders and markup are not text: `%(day)s`, `{{ name }}`, `<a href="…">`, `{s9}`.
NOT_TEXT = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\{[^}]*\}\}|<[^>]+>|\{\w+\}")


def test_the_chinese_interface_uses_chinese_punctuation():
    # The rule the loader holds the data's Chinese to holds for the interface's too.
    misplaced = {
        value: found
        for _, strs, _ in entries(CATALOGUE.read_text(encoding="utf-8"))
        for value in strs
        if (found := ascii_punctuation(NOT_TEXT.sub(lambda m: "_" * len(m[0]), value)))
    }
    assert misplaced == {}
