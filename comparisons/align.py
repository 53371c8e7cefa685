"""Aligning two documents: which measure of B answers to which of A, and how their parts relate.

The pipeline:

1. Measure links. Curated links (from the data files) and links an editor confirmed are facts;
   stored suggestions are shown as suggestions; rejected pairs are never used.
2. Suggestions. When the two documents have no link at all, `suggest` proposes them from text
   similarity: every measure's title and text is segmented with jieba, weighted by TF-IDF over
   both documents and L2-normalised; an inverted index (word → measures of A with its weight)
   scores each measure of B against only the measures of A that share a word with it, so two
   documents of 1,000 measures align in seconds, not the minutes scoring every pair would take.
   Shared topics, agencies and target metrics add to the cosine similarity. A measure of B takes
   its best candidate above `THRESHOLD`, and also any close second (it merges them); an A measure
   taken by several B measures was split; an A measure nobody takes was dropped, a B measure
   with no candidate is new. Between levels (national → local) the relation follows the dates
   (`chronology.level_relation`): `implements` when the local text came on or after the national
   one, `anticipates` when it came first, `corresponds` when the dates are unknown; never a
   relation that runs backwards in time.
3. Parts. Curated part links where the data has them; otherwise inferred from the measure
   alignment: a B part whose measures come from one A part is the same part (renamed when the
   title changed), from several A parts a merger, and so on.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from measures.chronology import level_relation

from .diff import target_changes
from .snapshot import SUGGESTED, DocumentData, LinkData, MeasureData, Pair, PartLinkData
from .tokens import terms

# Below this score a candidate is no counterpart (the measure is new, or answers none).
THRESHOLD = 0.2
# A second candidate within this share of the best one is taken too (a merger).
SECOND_CANDIDATE = 0.8
# A measure's rarest this many words find its candidates (common words add little to a score
# and would make every measure a candidate for every other) ...
QUERY_WORDS = 24
# ... and this many candidates, the best by those words, are scored in full.
SHORTLIST = 12
# How the score adds up: the text's cosine similarity, and the share of topics and agencies
# the two measures have in common, and whether they set a target on the same metric.
WEIGHTS = {"text": 0.7, "topics": 0.1, "agencies": 0.1, "metrics": 0.1}

# When a measure of B has links of different relations to A, the one it is filed under.
RELATION_ORDER = [
    "strengthened",
    "relaxed",
    "split",
    "merged",
    "continued",
    "goes_beyond",
    "implements",
    "anticipates",
    "corresponds",
    "new",
]


@dataclass(frozen=True)
class Counterpart:
    measure: str  # public id in A
    relation: str
    status: str
    score: float | None = None
    note_zh: str = ""
    note_en: str = ""
    grade: str = ""
    source_url: str = ""
    link_id: int | None = None


@dataclass(frozen=True)
class MeasureAlignment:
    """Each measure of B with its counterparts in A; measures of A that B drops or never
    mentions."""

    newer: dict[str, list[Counterpart]]  # B id → counterparts ([] with relation "new" below)
    relation: dict[str, str]  # B id → the relation it is filed under
    dropped: list[Counterpart]  # A measures dropped (a link says so, or nothing takes them)
    unaccounted: list[str]  # A measures with no link at all, where links are curated
    suggested: bool  # True when the alignment was computed, not curated


@dataclass(frozen=True)
class PartRow:
    newer: int | None  # part ordinal in B
    older: tuple[int, ...]  # part ordinals in A
    relation: str  # same, renamed, merged, split, new, removed
    note_zh: str = ""
    note_en: str = ""


# -- suggestions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    measure: str
    score: float


def _measure_words(measure: MeasureData) -> list[str]:
    # The title counts twice: it is the measure's own name for what it does.
    return terms(measure.title_zh) * 2 + terms(measure.text)


def _tfidf(documents: list[list[str]]) -> tuple[list[dict[str, float]], Counter[str]]:
    df: Counter[str] = Counter()
    for words in documents:
        df.update(set(words))
    n = len(documents)
    vectors = []
    for words in documents:
        counts = Counter(words)
        vector = {
            w: (1 + math.log(c)) * (math.log((n + 1) / (df[w] + 1)) + 1) for w, c in counts.items()
        }
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        vectors.append({w: v / norm for w, v in vector.items()})
    return vectors, df


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def rank_candidates(
    a: DocumentData, b: DocumentData, top: int = 3, rejected: Iterable[tuple[str, str]] = ()
) -> dict[str, list[Candidate]]:
    """For each measure of B, the best `top` measures of A by similarity, best first.

    Two stages keep this fast on large documents: the inverted index, walked for each B measure's
    rarest words only, gives a shortlist of A measures; those alone are scored in full
    (exact cosine plus topics, agencies and metrics).
    """
    older = [m for m in a.measures if not m.unknown]
    newer = [m for m in b.measures if not m.unknown]
    vectors, df = _tfidf([_measure_words(m) for m in older + newer])
    old_vectors, new_vectors = vectors[: len(older)], vectors[len(older) :]
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for i, vector in enumerate(old_vectors):
        for word, weight in vector.items():
            postings[word].append((i, weight))
    old_metrics = [frozenset(t.metric for t in m.targets) for m in older]
    excluded = set(rejected)
    ranked: dict[str, list[Candidate]] = {}
    for measure, vector in zip(newer, new_vectors, strict=True):
        partial: dict[int, float] = defaultdict(float)
        # Its rarest words: they tell measures apart, and their postings are short.
        query = sorted((word for word in vector if word in postings), key=df.__getitem__)
        for word in query[:QUERY_WORDS]:
            weight = vector[word]
            for i, old_weight in postings[word]:
                partial[i] += weight * old_weight
        shortlist = sorted(partial, key=partial.__getitem__, reverse=True)[:SHORTLIST]
        metrics = frozenset(t.metric for t in measure.targets)
        candidates = []
        for i in shortlist:
            other = older[i]
            if (other.id, measure.id) in excluded:
                continue
            old_vector = old_vectors[i]
            shared = vector.keys() & old_vector.keys()  # a set operation, done in C
            cosine = sum(vector[word] * old_vector[word] for word in shared)
            score = (
                WEIGHTS["text"] * cosine
                + WEIGHTS["topics"] * _jaccard(other.topics, measure.topics)
                + WEIGHTS["agencies"] * _jaccard(other.agencies, measure.agencies)
                + WEIGHTS["metrics"] * (1.0 if metrics & old_metrics[i] else 0.0)
            )
            candidates.append(Candidate(other.id, round(score, 4)))
        candidates.sort(key=lambda c: (-c.score, c.measure))
        ranked[measure.id] = candidates[:top]
    return ranked


def suggest(pair: Pair) -> list[LinkData]:
    """Suggested links from A to B, each with its score (see the module docstring)."""
    a, b = pair.a, pair.b
    levels = a.level != b.level
    ranked = rank_candidates(a, b, rejected=pair.rejected)
    chosen: dict[str, list[Candidate]] = {}
    for measure in b.measures:
        candidates = [c for c in ranked.get(measure.id, []) if c.score >= THRESHOLD]
        if not candidates:
            chosen[measure.id] = []
            continue
        best = candidates[0]
        taken = [best] + [c for c in candidates[1:2] if c.score >= SECOND_CANDIDATE * best.score]
        chosen[measure.id] = taken
    takers: dict[str, int] = Counter(c.measure for cs in chosen.values() for c in cs)
    by_id = {m.id: m for m in a.measures}
    links: list[LinkData] = []
    for measure in b.measures:
        candidates = chosen[measure.id]
        if not candidates:
            if not levels:
                links.append(LinkData(None, measure.id, "new", SUGGESTED))
            continue
        for candidate in candidates:
            if levels:
                relation = level_relation(a.date, b.date)
            elif len(candidates) > 1:
                relation = "merged"
            elif takers[candidate.measure] > 1:
                relation = "split"
            else:
                relation = _edition_relation(by_id[candidate.measure], measure)
            links.append(
                LinkData(
                    candidate.measure,
                    measure.id,
                    relation,
                    SUGGESTED,
                    score=candidate.score,
                )
            )
    if not levels:
        for measure in a.measures:
            if measure.id not in takers and not measure.unknown:
                links.append(LinkData(measure.id, None, "dropped", SUGGESTED))
    return links


def _edition_relation(old: MeasureData, new: MeasureData) -> str:
    """continued, or strengthened / relaxed when a shared target moved one way only."""
    moves = {c.change for c in target_changes([old], [new])} & {"tighter", "looser"}
    if moves == {"tighter"}:
        return "strengthened"
    if moves == {"looser"}:
        return "relaxed"
    return "continued"


# -- measures ---------------------------------------------------------------------------------


def align_measures(pair: Pair) -> MeasureAlignment:
    """Every measure of B with its counterparts in A, from the links, or suggested if none."""
    links = list(pair.links)
    suggested = not links
    if suggested:
        links = suggest(pair)
    newer: dict[str, list[Counterpart]] = {m.id: [] for m in pair.b.measures}
    relations: dict[str, set[str]] = defaultdict(set)
    dropped: list[Counterpart] = []
    taken: set[str] = set()
    for link in links:
        counterpart = Counterpart(
            measure=link.older or "",
            relation=link.relation,
            status=link.status,
            score=link.score,
            note_zh=link.note_zh,
            note_en=link.note_en,
            grade=link.grade,
            source_url=link.source_url,
            link_id=link.link_id,
        )
        if link.newer is None:
            if link.older:
                dropped.append(counterpart)
                taken.add(link.older)
            continue
        if link.newer not in newer:
            continue
        relations[link.newer].add(link.relation)
        if link.older:
            newer[link.newer].append(counterpart)
            taken.add(link.older)
    relation = {}
    for measure_id, found in relations.items():
        relation[measure_id] = min(found, key=_relation_rank)
    unaccounted = [m.id for m in pair.a.measures if m.id not in taken]
    return MeasureAlignment(
        newer=newer,
        relation=relation,
        dropped=dropped,
        unaccounted=unaccounted,
        suggested=suggested,
    )


def _relation_rank(relation: str) -> int:
    return RELATION_ORDER.index(relation) if relation in RELATION_ORDER else len(RELATION_ORDER)


# -- parts ------------------------------------------------------------------------------------


def align_parts(pair: Pair, measures: MeasureAlignment) -> list[PartRow]:
    """Each part of B with the parts of A it comes from, then the parts of A that were removed."""
    if pair.part_links:
        return _curated_parts(pair, pair.part_links)
    return _inferred_parts(pair, measures)


def _curated_parts(pair: Pair, part_links: Iterable[PartLinkData]) -> list[PartRow]:
    by_newer: dict[int, list[PartLinkData]] = defaultdict(list)
    removed: list[PartLinkData] = []
    for link in part_links:
        if link.newer is None:
            removed.append(link)
        else:
            by_newer[link.newer].append(link)
    rows = []
    for part in pair.b.parts:
        links = by_newer.get(part.ordinal, [])
        older = tuple(sorted(link.older for link in links if link.older is not None))
        if not links:
            relation = "new" if pair.a.series and pair.a.series == pair.b.series else ""
        else:
            relation = links[0].relation
        rows.append(
            PartRow(
                newer=part.ordinal,
                older=older,
                relation=relation,
                note_zh=" ".join(link.note_zh for link in links if link.note_zh),
                note_en=" ".join(link.note_en for link in links if link.note_en),
            )
        )
    for link in removed:
        rows.append(PartRow(None, (link.older,), "removed", link.note_zh, link.note_en))
    return rows


def _inferred_parts(pair: Pair, measures: MeasureAlignment) -> list[PartRow]:
    part_of_a = {m.id: m.part for m in pair.a.measures}
    sources: dict[int, Counter[int]] = defaultdict(Counter)
    for measure in pair.b.measures:
        for counterpart in measures.newer.get(measure.id, []):
            sources[measure.part][part_of_a[counterpart.measure]] += 1
    targets: dict[int, set[int]] = defaultdict(set)
    for newer, counts in sources.items():
        for older in counts:
            targets[older].add(newer)
    titles = {p.ordinal: p.title_zh for p in pair.a.parts}
    levels = pair.a.level != pair.b.level
    rows = []
    for part in pair.b.parts:
        older = tuple(sorted(sources.get(part.ordinal, {})))
        if levels:
            relation = ""  # parts of documents at two levels are not versions of each other
        elif not older:
            relation = "new"
        elif len(older) > 1:
            relation = "merged"
        elif len(targets[older[0]]) > 1:
            relation = "split"
        else:
            relation = "same" if titles.get(older[0]) == part.title_zh else "renamed"
        rows.append(PartRow(part.ordinal, older, relation))
    for part in pair.a.parts:
        if part.ordinal not in targets and not levels:
            rows.append(PartRow(None, (part.ordinal,), "removed"))
    return rows
