"""Bounded, thread-safe memo tables for work that depends on text alone, not on its place.

Re-linting a document after an edit re-parses text that mostly did not change: the same
instructions, RUN scripts and values, often at other lines than before. What is remembered here
is keyed by that text (plus whatever else the result depends on) and holds no file positions,
or positions relative to the text that callers move to the right place (see `relocate.py`).
So a result from a table is the result a fresh computation would give, never a stale one.

Every table has a fixed number of entries (least recently used goes first), so a long editor
session or a run over thousands of files holds at most a few megabytes. `clear_all()` empties
them (tests compare against fresh computations with it).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Generic, Hashable, TypeVar

V = TypeVar("V")
_TABLES: list[Memo[object]] = []


class Memo(Generic[V]):
    """A least-recently-used table of at most `size` entries whose weights (what `put` is told,
    e.g. the characters of the text an entry was made from) add up to at most `budget`; safe to
    share between threads."""

    __slots__ = ("name", "size", "budget", "weight", "_data", "_weights", "_lock", "hits", "misses")

    def __init__(self, name: str, size: int, budget: int | None = None) -> None:
        self.name = name
        self.size = size
        self.budget = budget
        self.weight = 0
        self._data: OrderedDict[Hashable, V] = OrderedDict()
        self._weights: dict[Hashable, int] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        _TABLES.append(self)  # type: ignore[arg-type]

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            found = self._data.get(key)
            if found is None:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: Hashable, value: V, weight: int = 1) -> None:
        with self._lock:
            self.weight += weight - self._weights.get(key, 0)
            self._weights[key] = weight
            self._data[key] = value
            self._data.move_to_end(key)
            budget = self.budget
            while len(self._data) > self.size or (budget is not None and self.weight > budget and len(self._data) > 1):
                old, _ = self._data.popitem(last=False)
                self.weight -= self._weights.pop(old)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._weights.clear()
            self.weight = 0
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._data)


def clear_all() -> None:
    """Empty every table (and the memoised helpers registered with `functools.lru_cache`)."""
    for table in _TABLES:
        table.clear()
    for function in _LRU_FUNCTIONS:
        function.cache_clear()


_LRU_FUNCTIONS: list[Any] = []


def register_lru(function: V) -> V:
    """Note a `functools.lru_cache` function so `clear_all()` clears it too."""
    _LRU_FUNCTIONS.append(function)
    return function
