"""What changed between a measure and its counterpart(s): text, targets, agencies, topics, and
who it applies to.

- Text: both texts are segmented into words with jieba and compared with difflib on the word
  sequences, so a change marks whole words (启动用时 28周 → 20周), never stray characters.
- Targets: matched on their `metric` code, which the data shares across documents. For each
  metric in both: old goal → new goal, absolute and relative change, and whether the change is
  tighter or looser given the metric's direction (lower or higher is better); deadlines moved.
  Metrics on one side only are new or dropped targets. A target that names the one it
  `continues` (a curated TargetLink) is matched with it whatever the metrics: a change of what is
  counted (devices ≥ 10 → drugs and devices ≥ 15) is `redefined`.
- Over time (`in_time`): between editions, a met target the newer edition does not carry on was
  `completed`, not dropped; between levels, nothing is dropped or new — a target is only in one
  document (`only_a`, `only_b`), whichever came first.
- Sets: topics, agencies, entity types and product stages added and removed.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from difflib import SequenceMatcher

from .snapshot import MeasureData, TargetData
from .tokens import segment, segment_latin


@dataclass(frozen=True)
class DiffChunk:
    op: str  # "equal", "insert" or "delete"
    text: str


def text_diff(old: str, new: str, english: bool = False) -> list[DiffChunk]:
    """Word-level diff of two Chinese (or English) texts; empty when they are the same."""
    if old == new:
        return []
    split = segment_latin if english else segment
    a, b = list(split(old)), list(split(new))
    chunks: list[DiffChunk] = []
    matcher = SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            chunks.append(DiffChunk("equal", "".join(a[i1:i2])))
            continue
        if tag in ("delete", "replace"):
            chunks.append(DiffChunk("delete", "".join(a[i1:i2])))
        if tag in ("insert", "replace"):
            chunks.append(DiffChunk("insert", "".join(b[j1:j2])))
    return chunks


@dataclass(frozen=True)
class TargetChange:
    metric: str
    metric_zh: str
    metric_en: str
    unit: str
    # tighter, looser, unchanged, redefined, new, dropped, completed, only_a, only_b
    change: str
    older: str | None  # public id of the measure holding the old target
    newer: str | None
    old_goal: Decimal | None = None
    new_goal: Decimal | None = None
    comparator: str = ""
    absolute: Decimal | None = None  # new − old
    relative: float | None = None  # (new − old) / old, as a percentage
    old_deadline: datetime.date | None = None
    new_deadline: datetime.date | None = None
    old_deadline_text: str = ""
    new_deadline_text: str = ""
    old_deadline_text_en: str = ""
    new_deadline_text_en: str = ""
    deadline_moved: bool = False
    # The starting value the new target gives itself (60 working days, to be cut to 30).
    new_baseline: Decimal | None = None
    old_status: str = ""  # the old target's progress (achieved, behind, …)
    # When the new target continues one under another metric: what the old one counted.
    old_metric: str = ""
    old_metric_zh: str = ""
    old_metric_en: str = ""


# A target with one of these statuses was met ("achieved_late": met after its deadline).
MET = frozenset({"achieved", "achieved_late"})


def _direction_of(change: Decimal, direction: str) -> str:
    if change == 0:
        return "unchanged"
    better = change < 0 if direction == "lower" else change > 0
    return "tighter" if better else "looser"


def _targets_by_metric(measures: Iterable[MeasureData]) -> dict[str, tuple[str, TargetData]]:
    """Each metric's first target, with the id of its measure."""
    found: dict[str, tuple[str, TargetData]] = {}
    for measure in measures:
        for target in measure.targets:
            found.setdefault(target.metric, (measure.id, target))
    return found


def target_id(measure: str, target: TargetData) -> str:
    return f"{measure}#{target.key}"


def _target_change(
    metric: str,
    old_side: tuple[str, TargetData] | None,
    new_side: tuple[str, TargetData] | None,
) -> TargetChange:
    """One metric's change; a missing side makes it `new` or `dropped`."""
    old_id, old = old_side or (None, None)
    new_id, new = new_side or (None, None)
    label = new or old
    if label is None:
        raise ValueError(f"{metric}: neither side has a target")
    change = TargetChange(
        metric=metric,
        metric_zh=label.metric_zh,
        metric_en=label.metric_en,
        unit=label.unit,
        change="new" if old is None else "dropped",
        older=old_id,
        newer=new_id,
        old_goal=old.goal_value if old else None,
        new_goal=new.goal_value if new else None,
        comparator=label.comparator,
        old_deadline=old.deadline if old else None,
        new_deadline=new.deadline if new else None,
        old_deadline_text=old.deadline_text if old else "",
        new_deadline_text=new.deadline_text if new else "",
        old_deadline_text_en=old.deadline_text_en if old else "",
        new_deadline_text_en=new.deadline_text_en if new else "",
        new_baseline=new.baseline_value if new else None,
        old_status=old.status if old else "",
    )
    if old is None or new is None:
        return change
    redefined = old.metric != new.metric
    if redefined:
        change = replace(
            change,
            old_metric=old.metric,
            old_metric_zh=old.metric_zh,
            old_metric_en=old.metric_en,
        )
    comparable = old.unit == new.unit
    absolute = new.goal_value - old.goal_value if comparable else None
    relative = (
        float(absolute / old.goal_value * 100) if absolute is not None and old.goal_value else None
    )
    kind = "redefined" if redefined or absolute is None else _direction_of(absolute, new.direction)
    return replace(
        change,
        change=kind,
        absolute=absolute,
        relative=round(relative, 1) if relative is not None else None,
        deadline_moved=(old.deadline, old.deadline_text) != (new.deadline, new.deadline_text),
    )


def target_changes(
    older: Iterable[MeasureData], newer: Iterable[MeasureData]
) -> list[TargetChange]:
    """Targets of the old side against the new side, matched first on a curated `continues`,
    then on metric: the new side's targets in order (changed or new), then the old side's that
    are gone (dropped)."""
    older = list(older)
    old_targets = _targets_by_metric(older)
    old_by_id = {target_id(m.id, t): (m.id, t) for m in older for t in m.targets}
    new_targets = _targets_by_metric(newer)
    taken: set[int] = set()  # old targets already matched (by identity)
    pairs: dict[str, tuple[str, TargetData] | None] = {}
    for metric, (_, target) in new_targets.items():
        continued = old_by_id.get(target.continues) if target.continues else None
        if continued is not None:
            pairs[metric] = continued
            taken.add(id(continued[1]))
    for metric in new_targets:
        if metric in pairs:
            continue
        side = old_targets.get(metric)
        if side is not None and id(side[1]) not in taken:
            pairs[metric] = side
            taken.add(id(side[1]))
        else:
            pairs[metric] = None
    changes = [_target_change(metric, pairs[metric], side) for metric, side in new_targets.items()]
    changes += [
        _target_change(metric, side, None)
        for metric, side in old_targets.items()
        if id(side[1]) not in taken
    ]
    return changes


def in_time(change: TargetChange, kind: str) -> TargetChange:
    """What a one-sided target means given the kind of comparison (see the module docstring):
    between levels `only_a` / `only_b`; between editions a met target left out is `completed`."""
    if kind == "levels":
        if change.change == "dropped":
            return replace(change, change="only_a")
        if change.change == "new":
            return replace(change, change="only_b")
    elif kind == "editions" and change.change == "dropped" and change.old_status in MET:
        return replace(change, change="completed")
    return change


@dataclass(frozen=True)
class SetChange:
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed)


def set_change(old: Iterable[str], new: Iterable[str]) -> SetChange:
    old_set, new_set = set(old), set(new)
    return SetChange(tuple(sorted(new_set - old_set)), tuple(sorted(old_set - new_set)))


@dataclass(frozen=True)
class MeasureChanges:
    """How the new measure differs from its old counterpart(s), taken together."""

    text: list[DiffChunk] = field(default_factory=list)  # the official texts, word by word
    # Always empty: English texts are our summaries, never diffed (kept for the API's readers).
    text_en: list[DiffChunk] = field(default_factory=list)
    targets: list[TargetChange] = field(default_factory=list)
    topics: SetChange = SetChange()
    agencies: SetChange = SetChange()
    entity_types: SetChange = SetChange()
    stages: SetChange = SetChange()


def _union(measures: Iterable[MeasureData], name: str) -> set[str]:
    return {code for measure in measures for code in getattr(measure, name)}


def measure_changes(older: list[MeasureData], newer: MeasureData) -> MeasureChanges:
    known = [m for m in older if not m.unknown]
    old_text = "".join(m.text for m in known)
    # Only two official texts make a meaningful word diff; our summaries are paraphrases.
    official = bool(known) and newer.official and all(m.official for m in known)
    return MeasureChanges(
        text=text_diff(old_text, newer.text) if official and not newer.unknown else [],
        targets=target_changes(older, [newer]),
        topics=set_change(_union(known, "topics"), newer.topics),
        agencies=set_change(_union(known, "agencies"), newer.agencies),
        entity_types=set_change(_union(known, "entity_types"), newer.entity_types),
        stages=set_change(_union(known, "stages"), newer.stages),
    )
