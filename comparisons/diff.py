"""What changed between a measure and its counterpart(s): text, targets, agencies, topics, and
who it applies to.

- Text: both texts are segmented into words with jieba and compared with difflib on the word
  sequences, so a change marks whole words (启动用时 28周 → 20周), never stray characters.
- Targets: matched on their `metric` code, which the data shares across documents. For each
  metric in both: old goal → new goal, absolute and relative change, and whether the change is
  tighter or looser given the metric's direction (lower or higher is better); deadlines moved.
  Metrics on one side only are new or dropped targets.
- Sets: topics, agencies, entity types and product stages added and removed.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
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
    change: str  # tighter, looser, unchanged, new, dropped
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
    deadline_moved: bool = False
    # The starting value the new target gives itself (60 working days, to be cut to 30).
    new_baseline: Decimal | None = None


def _direction_of(change: Decimal, direction: str) -> str:
    if change == 0:
        return "unchanged"
    better = change < 0 if direction == "lower" else change > 0
    return "tighter" if better else "looser"


def target_changes(
    older: Iterable[MeasureData], newer: Iterable[MeasureData]
) -> list[TargetChange]:
    """Targets of the old side against the new side, matched on metric."""
    old_targets: dict[str, tuple[str, TargetData]] = {}
    for measure in older:
        for target in measure.targets:
            old_targets.setdefault(target.metric, (measure.id, target))
    new_targets: dict[str, tuple[str, TargetData]] = {}
    for measure in newer:
        for target in measure.targets:
            new_targets.setdefault(target.metric, (measure.id, target))
    changes = []
    for metric, (new_id, new) in new_targets.items():
        if metric not in old_targets:
            changes.append(
                TargetChange(
                    metric=metric,
                    metric_zh=new.metric_zh,
                    metric_en=new.metric_en,
                    unit=new.unit,
                    change="new",
                    older=None,
                    newer=new_id,
                    new_goal=new.goal_value,
                    comparator=new.comparator,
                    new_deadline=new.deadline,
                    new_deadline_text=new.deadline_text,
                    new_baseline=new.baseline_value,
                )
            )
            continue
        old_id, old = old_targets[metric]
        absolute = new.goal_value - old.goal_value
        relative = float(absolute / old.goal_value * 100) if old.goal_value else None
        changes.append(
            TargetChange(
                metric=metric,
                metric_zh=new.metric_zh,
                metric_en=new.metric_en,
                unit=new.unit,
                change=_direction_of(absolute, new.direction),
                older=old_id,
                newer=new_id,
                old_goal=old.goal_value,
                new_goal=new.goal_value,
                comparator=new.comparator,
                absolute=absolute,
                relative=round(relative, 1) if relative is not None else None,
                old_deadline=old.deadline,
                new_deadline=new.deadline,
                old_deadline_text=old.deadline_text,
                new_deadline_text=new.deadline_text,
                deadline_moved=(old.deadline, old.deadline_text)
                != (new.deadline, new.deadline_text),
                new_baseline=new.baseline_value,
            )
        )
    for metric, (old_id, old) in old_targets.items():
        if metric not in new_targets:
            changes.append(
                TargetChange(
                    metric=metric,
                    metric_zh=old.metric_zh,
                    metric_en=old.metric_en,
                    unit=old.unit,
                    change="dropped",
                    older=old_id,
                    newer=None,
                    old_goal=old.goal_value,
                    comparator=old.comparator,
                    old_deadline=old.deadline,
                    old_deadline_text=old.deadline_text,
                )
            )
    return changes


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

    text: list[DiffChunk] = field(default_factory=list)
    text_en: list[DiffChunk] = field(default_factory=list)  # the English summaries, word by word
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
    comparable = bool(known) and not newer.unknown
    old_english = " ".join(m.text_en for m in known)
    return MeasureChanges(
        text=text_diff(old_text, newer.text) if comparable else [],
        text_en=text_diff(old_english, newer.text_en, english=True) if comparable else [],
        targets=target_changes(older, [newer]),
        topics=set_change(_union(known, "topics"), newer.topics),
        agencies=set_change(_union(known, "agencies"), newer.agencies),
        entity_types=set_change(_union(known, "entity_types"), newer.entity_types),
        stages=set_change(_union(known, "stages"), newer.stages),
    )
