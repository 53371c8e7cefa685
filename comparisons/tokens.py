"""Chinese-aware word segmentation for diffs and similarity, with jieba.

jieba loads its dictionary (about a second) on first use and logs to stderr while it does; we
load it lazily, once per process, with its logger quietened.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from functools import lru_cache
from typing import Protocol


class _Tokenizer(Protocol):
    """What we use of `jieba.Tokenizer` (jieba ships no type information)."""

    def cut(self, sentence: str, cut_all: bool = False, HMM: bool = True) -> Iterator[str]: ...


_lock = threading.Lock()
_tokenizer: _Tokenizer | None = None

# Punctuation and spaces: kept in diffs (so the text reads back whole), not used for similarity.
_PUNCTUATION = re.compile(r"^[\s\W_]+$", re.UNICODE)
# Words so common in policy texts that they say nothing about which measure is which.
_STOPWORDS_TEXT = """
的 和 与 及 等 在 对 为 以 将 并 了 或 是 由 于 其 中 上 下 个 年 月 日 内 后 前 向 到 从 把 被 也
及其 以及 进一步 有关 相关 支持 推动 推进 加强 开展 鼓励 建立 完善 提升 强化 持续 深化 加快
实现 促进 进行 工作 方面 机制 体系 服务 创新 医药 北京市 本市 全市
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


def _jieba() -> _Tokenizer:
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                _tokenizer = tokenizer
    return _tokenizer


@lru_cache(maxsize=8192)
def segment(text: str) -> tuple[str, ...]:
    """Every piece of the text in order, punctuation included: joined, they give the text back."""
    if not text:
        return ()
    return tuple(_jieba().cut(text, HMM=True))


_LATIN = re.compile(r"\w+|\s+|[^\w\s]+")


def segment_latin(text: str) -> tuple[str, ...]:
    """English: words, spaces and punctuation, in order (no dictionary needed)."""
    return tuple(_LATIN.findall(text))


def is_word(token: str) -> bool:
    return not _PUNCTUATION.match(token)


def terms(text: str) -> list[str]:
    """The words that tell measures apart: no punctuation, no stopwords, lower-cased Latin."""
    return [token.lower() for token in segment(text) if is_word(token) and token not in STOPWORDS]
