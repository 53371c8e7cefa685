"""Synthetic documents for the comparison engine, built in memory (no database): tests and the
benchmark (`bench/jobs.py align_1000`) build their inputs here.

`synthetic_document` writes measures from the benchmark corpus's policy vocabulary
(`bench.corpus`); `next_edition` makes a later edition of it — reordered, a few words changed
in most measures — so the engine has real alignment work to do; `renumbered` gives a document
new measures in a new order.
"""

from __future__ import annotations

import random
from dataclasses import replace

from bench.corpus import NOUNS, PART_TITLES, TERMS, VERBS
from comparisons.snapshot import DocumentData, MeasureData, PartData


def renumbered(document: DocumentData, slug: str, order: list[MeasureData]) -> DocumentData:
    """`document` as `slug`, its measures those of `order`, numbered 1, 2, … in that order."""
    measures = tuple(
        replace(measure, id=f"{slug}/{number}", number=number)
        for number, measure in enumerate(order, start=1)
    )
    return replace(document, slug=slug, measures=measures)


def clause(rng: random.Random) -> tuple[str, str]:
    """A verb, a policy term and a noun, in Chinese and English."""
    verb_zh, verb_en = rng.choice(VERBS)
    term_zh, term_en = rng.choice(TERMS)
    noun_zh, noun_en = rng.choice(NOUNS)
    return f"{verb_zh}{term_zh}{noun_zh}", f"{verb_en} {term_en} {noun_en}"


def synthetic_document(slug: str, measures: int, seed: int = 1, parts: int = 8) -> DocumentData:
    """A document of `measures` measures in `parts` parts, each a title and three to five
    clauses of policy vocabulary; the same seed gives the same document."""
    rng = random.Random(seed)  # noqa: S311 (reproducible data, no secret)
    part_data = tuple(
        PartData(ordinal, *PART_TITLES[(ordinal - 1) % len(PART_TITLES)])
        for ordinal in range(1, parts + 1)
    )
    topics = [term_en for _, term_en in TERMS]
    items = []
    for number in range(1, measures + 1):
        title_zh, title_en = clause(rng)
        text = ",".join(clause(rng)[0] for _ in range(rng.randint(3, 5))) + "。"
        items.append(
            MeasureData(
                id=f"{slug}/{number}",
                number=number,
                part=1 + (number - 1) * parts // measures,
                title_zh=title_zh,
                title_en=title_en,
                text=text,
                # As if imported: the engine then diffs the texts, its costliest step.
                official=True,
                topics=frozenset(rng.sample(topics, 2)),
            )
        )
    return DocumentData(
        slug=slug,
        title_zh=f"合成文件{slug}",
        series="synthetic",
        level="municipal",
        parts=part_data,
        measures=tuple(items),
    )


def next_edition(document: DocumentData, slug: str, seed: int = 2) -> DocumentData:
    """A later edition: the measures shuffled and renumbered, one clause in three of four
    measures rewritten, one in twenty measures new."""
    rng = random.Random(seed)  # noqa: S311
    order = []
    for measure in document.measures:
        if rng.random() < 0.05:
            title_zh, title_en = clause(rng)
            measure = replace(measure, title_zh=title_zh, title_en=title_en)
            text = ",".join(clause(rng)[0] for _ in range(4)) + "。"
        else:
            clauses = measure.text.rstrip("。").split(",")
            if rng.random() < 0.75:
                clauses[rng.randrange(len(clauses))] = clause(rng)[0]
            text = ",".join(clauses) + "。"
        order.append(replace(measure, text=text))
    rng.shuffle(order)
    return renumbered(document, slug, order)
