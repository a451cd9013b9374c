"""The server's garbage collection runs between lints (`Scheduler.tidy`), and models hold no
reference cycles, so refcounting frees them without it."""

from __future__ import annotations

import gc
import weakref

from docklint.engine import lint_text
from docklint.lsp import scheduler as scheduler_module
from docklint.lsp.documents import DocumentStore
from docklint.lsp.scheduler import Scheduler
from docklint.lsp.settings import DEFAULT
from docklint.model.memo import clear_all

TEXT = "FROM alpine:3.20\nRUN apk add curl | tee log && sh -c 'echo a | grep b'\nRUN cat <<EOF | sh\necho x\nEOF\n"


def _scheduler() -> Scheduler:
    return Scheduler(DocumentStore(), lambda d: DEFAULT, lambda: "utf-16", lambda *a: None, lambda *a: None)


def test_a_model_is_freed_by_refcounting_alone() -> None:
    enabled = gc.isenabled()
    gc.disable()
    try:
        result = lint_text(TEXT)
        model = result.model
        commands = [c for inst in model.instructions for s in model.scripts(inst) for c in s.commands]
        assert any(c.piped_from is not None for c in commands) and all(c.script is not None for c in commands)
        refs = [weakref.ref(model), *(weakref.ref(c) for c in commands)]
        del result, model, commands
        clear_all()  # the memo tables keep the last parse's instructions and scripts on purpose
        assert all(ref() is None for ref in refs), "a reference cycle keeps the model alive"
    finally:
        if enabled:
            gc.enable()


def test_tidy_collects_between_lints_only_when_objects_piled_up(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    scheduler = _scheduler()
    enabled = gc.isenabled()
    try:
        gc.enable()
        scheduler.tidy()  # automatic collection still on (before warm-up): nothing to do
        assert not scheduler._collecting
        gc.disable()
        monkeypatch.setattr(scheduler_module, "COLLECT_AFTER", 10**9)
        scheduler.tidy()
        assert not scheduler._collecting
        monkeypatch.setattr(scheduler_module, "COLLECT_AFTER", 0)
        done: list[bool] = []
        original = gc.collect
        monkeypatch.setattr(gc, "collect", lambda *a: done.append(True) or original())
        scheduler.tidy()
        scheduler.executor.shutdown(wait=True)
        assert done == [True] and not scheduler._collecting
    finally:
        if enabled:
            gc.enable()
        scheduler.executor.shutdown(wait=False)
