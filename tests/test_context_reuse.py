"""Build contexts kept for a few seconds (the language server's setting) and never by default."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from docklint import context
from docklint.model.dockerfile import parse


@pytest.fixture(autouse=True)
def _reset() -> Iterator[None]:
    yield
    context.keep_contexts(0)


def _context(folder: Path) -> context.BuildContext | None:
    return context.context_of(parse("FROM alpine:3.20\nCOPY . /app\n", str(folder / "Dockerfile"), str(folder)))


def test_by_default_every_lint_reads_the_context_afresh(tmp_path: Path) -> None:
    first = _context(tmp_path)
    (tmp_path / "id_rsa").write_text("key")
    second = _context(tmp_path)
    assert first is not second and second is not None
    assert [e.path for e in second.listdir(".")] == ["id_rsa"]


def test_a_kept_context_serves_the_next_lints_until_it_expires(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [100.0]
    monkeypatch.setattr(context.time, "monotonic", lambda: clock[0])
    context.keep_contexts(3.0)
    first = _context(tmp_path)
    assert first is not None and first.listdir(".") == []
    (tmp_path / "id_rsa").write_text("key")
    clock[0] += 2.0
    assert _context(tmp_path) is first  # within the window: not read again
    clock[0] += 1.5
    fresh = _context(tmp_path)
    assert fresh is not first and fresh is not None and [e.path for e in fresh.listdir(".")] == ["id_rsa"]
    context.keep_contexts(3.0)  # a settings or config change drops every kept context
    assert _context(tmp_path) is not fresh


def test_kept_contexts_are_bounded(tmp_path: Path) -> None:
    context.keep_contexts(60.0)
    for index in range(40):
        folder = tmp_path / str(index)
        folder.mkdir()
        _context(folder)
    assert len(context._kept) <= context._KEPT_MAX
