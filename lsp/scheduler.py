"""When to lint which document, and where results go (see `linting.py` for the policy)."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Sequence

from lsprotocol import types

from docklint.lsp.documents import Document, DocumentStore
from docklint.lsp.linting import MAX_LINT_CHARS, SETTINGS_WAIT, Configs, Outcome, Snapshot, lint_snapshot
from docklint.lsp.settings import Settings

log = logging.getLogger("docklint.lsp")

# Diagnostics to push: lsprotocol objects, or their JSON (`Outcome.wire`).
Publish = Callable[[str, "int | None", "Sequence[types.Diagnostic | dict[str, Any]]"], None]
Notify = Callable[[types.MessageType, str], None]
WORKER_PREFIX = "dlint-lint"
# Objects made (net of those freed) since the last garbage collection before `tidy` collects:
# a lint of a 500-line file leaves about 60 behind, the first lint of a file (memo tables) 50k.
COLLECT_AFTER = 200_000
# How long a build context read for one lint serves the next ones (see docklint.context): a file
# added to the context shows up in the diagnostics within this time.
CONTEXT_SECONDS = 3.0


def _drop(_outcome: object) -> None:
    """Holds an outcome until the loop runs it (see `Scheduler.current`)."""


class Scheduler:
    """Runs lints in worker threads, one at a time per document, and publishes fresh results."""

    def __init__(
        self,
        store: DocumentStore,
        settings_for: Callable[[Document], Settings],
        encoding: Callable[[], str],
        publish: Publish,
        notify: Notify,
    ) -> None:
        self.store = store
        self.settings_for = settings_for
        self.encoding = encoding
        self.publish = publish
        self.notify = notify
        self.configs = Configs(self._report_from_worker)
        self._loop: asyncio.AbstractEventLoop | None = None
        self.executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix=WORKER_PREFIX)
        self.generation = 0
        self.ready = asyncio.Event()
        self.outcomes: dict[str, Outcome] = {}
        self.pulled: set[str] = set()  # documents the client pulls diagnostics for
        self.published: dict[str, bool] = {}  # documents pushed to: was the last push not empty
        self._pushing: dict[str, asyncio.Task[None]] = {}
        self._inflight: dict[str, tuple[tuple[object, ...], asyncio.Future[Outcome]]] = {}
        self._noticed: set[tuple[str, str]] = set()
        self._collecting = False
        self._rules_loaded = False

    def _report_from_worker(self, message: str) -> None:
        """Config errors surface in worker threads; only the event loop may write to the client."""
        log.error("%s", message)
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self.notify, types.MessageType.Error, message)

    # -- state --------------------------------------------------------------------------

    def snapshot(self, document: Document) -> Snapshot:
        return Snapshot(
            uri=document.uri,
            kind=document.kind,
            text=document.text,
            version=document.version,
            path=document.display_path,
            directory=document.directory,
            settings=self.settings_for(document),
            generation=self.generation,
            encoding=self.encoding(),
        )

    def is_fresh(self, outcome: Outcome | None, document: Document | None) -> bool:
        return (
            outcome is not None
            and document is not None
            and outcome.text is document.text
            and outcome.version == document.version
            and outcome.generation == self.generation
        )

    def invalidate(self) -> None:
        """Config files or settings changed: drop cached configs and results, lint again."""
        from docklint.context import keep_contexts

        keep_contexts(CONTEXT_SECONDS)  # and read build contexts afresh
        self.generation += 1
        self.configs.clear()
        for document in self.store:
            if document.uri not in self.pulled:
                self.schedule(document.uri)

    def warm_up(self) -> None:
        """Import the engine and the rules in a worker while the client finishes starting, then
        move everything loaded so far out of the garbage collector's way: a full collection
        otherwise scans every rule and table on each of its runs, which shows as latency spikes.

        From then on the collector runs between lints, not during them (see `tidy`)."""

        def load() -> None:
            import gc

            import docklint.config_files  # noqa: F401 - the first lint resolves a configuration
            from docklint.context import keep_contexts
            from docklint.engine import lint_text

            keep_contexts(CONTEXT_SECONDS)

            lint_text("FROM scratch\n")
            gc.collect()
            gc.freeze()
            gc.disable()

        self.executor.submit(load)

    def load_all_rules(self) -> None:
        """Import every Dockerfile rule module, once, after the first diagnostics went out.

        A lint imports only the modules of rules that can fire on its text (`Rule.needs_*`), so
        the first diagnostics do not wait for all of them (~100 ms); loading the rest now spares a
        later edit that brings in, say, the first `apt-get` the cost of importing its rules."""
        if self._rules_loaded:
            return
        self._rules_loaded = True

        def load() -> None:
            import gc

            from docklint.registry import registry

            registry().of_kind("dockerfile")
            gc.freeze()

        self.executor.submit(load)

    def tidy(self) -> None:
        """Collect garbage cycles between lints, once enough objects piled up.

        A lint's model holds no reference cycles (commands point back to their script and pipe
        weakly), so refcounting frees it; left to itself the collector would still walk every
        live object (the memo tables of `docklint.model.memo`, the last model) every few lints,
        in the middle of a lint: 20-50 ms spikes and about 4 ms of each lint on a 500-line file.
        With automatic collection off after warm-up, it runs here instead, when no lint is
        running and the number of objects made since the last collection passed
        `COLLECT_AFTER` (what does pile up: other libraries' cycles, ONBUILD instructions).
        The first call, right after the first diagnostics went out, also starts
        `load_all_rules`."""
        import gc

        self.load_all_rules()
        if gc.isenabled() or self._collecting or self._inflight or gc.get_count()[0] < COLLECT_AFTER:
            return
        self._collecting = True

        def collect() -> None:
            try:
                gc.collect()
            finally:
                self._collecting = False

        self.executor.submit(collect)

    # -- linting ------------------------------------------------------------------------

    async def current(self, uri: str) -> Outcome | None:
        """The outcome for the document's current text, linting it if needed (single flight)."""
        document = self.store.get(uri)
        if document is None:
            return None
        outcome = self.outcomes.get(uri)
        if self.is_fresh(outcome, document):
            return outcome
        key = (id(document.text), document.version, self.generation)
        running = self._inflight.get(uri)
        if running is not None and running[0] == key:
            return await asyncio.shield(running[1])
        loop = self._loop = asyncio.get_running_loop()
        future = asyncio.ensure_future(
            loop.run_in_executor(self.executor, lint_snapshot, self.snapshot(document), self.configs)
        )
        self._inflight[uri] = (key, future)
        try:
            outcome = await asyncio.shield(future)
        finally:
            if self._inflight.get(uri, (None, None))[1] is future:
                del self._inflight[uri]
        self._notices(uri, outcome)
        log.debug("linted %s version %s in %.1f ms", uri, outcome.version, outcome.seconds * 1000)
        latest = self.store.get(uri)
        if latest is not None and self.is_fresh(outcome, latest):
            if outcome.positions is not None:
                latest.adopt(outcome.positions.source)
            # The outcome this one replaces holds a whole model (tens of thousands of objects):
            # freeing it takes about a millisecond, so it happens after the caller has sent the
            # new diagnostics (at the loop's next turn), not before.
            loop.call_soon(_drop, self.outcomes.get(uri))
            self.outcomes[uri] = outcome
        return outcome

    def schedule(self, uri: str) -> None:
        """Push fresh diagnostics for `uri` soon; changes during a lint are coalesced."""
        if uri in self.pulled or uri in self._pushing:
            return
        self._pushing[uri] = asyncio.ensure_future(self._push(uri))

    async def _push(self, uri: str) -> None:
        try:
            if not self.ready.is_set():
                try:
                    await asyncio.wait_for(self.ready.wait(), SETTINGS_WAIT)
                except asyncio.TimeoutError:
                    self.ready.set()
            while uri not in self.pulled:
                outcome = await self.current(uri)
                document = self.store.get(uri)
                if outcome is None or document is None or uri in self.pulled:
                    return
                if not self.is_fresh(outcome, document):
                    continue  # the text moved on while we linted: that result is dropped
                if outcome.handled:
                    self._publish(uri, outcome.version, outcome.wire)
                self.tidy()
                return
        except Exception:  # noqa: BLE001 - keep serving; the traceback goes to stderr
            log.exception("publishing diagnostics for %s failed", uri)
        finally:
            self._pushing.pop(uri, None)

    def _publish(self, uri: str, version: int | None, items: Sequence[types.Diagnostic | dict[str, Any]]) -> None:
        self.published[uri] = bool(items)
        self.publish(uri, version, items)

    def _notices(self, uri: str, outcome: Outcome) -> None:
        """Log a notice once per document and message: skipped large files, internal errors."""
        messages = list(outcome.errors)
        if outcome.skipped:
            messages.append(
                f"dlint: {uri} has {len(outcome.text):,} characters, more than the "
                f"{MAX_LINT_CHARS:,} dlint lints in the editor; it is not linted"
            )
        for message in messages:
            if (uri, message) in self._noticed:
                continue
            self._noticed.add((uri, message))
            level = types.MessageType.Warning if outcome.skipped else types.MessageType.Error
            log.warning("%s", message)
            self.notify(level, message)

    # -- document events and pulls ---------------------------------------------------------

    def closed(self, document: Document) -> None:
        uri = document.uri
        self.outcomes.pop(uri, None)
        self.pulled.discard(uri)
        self._noticed = {item for item in self._noticed if item[0] != uri}
        if self.published.pop(uri, None) is not None:
            self.publish(uri, None, [])

    async def pull(self, uri: str, previous: str | None) -> types.DocumentDiagnosticReport:
        """Answer `textDocument/diagnostic`; from now on this document is not pushed."""
        if uri not in self.pulled:
            self.pulled.add(uri)
            task = self._pushing.get(uri)
            if task is not None:
                task.cancel()
            if self.published.get(uri):
                self._publish(uri, None, [])
        outcome = await self.current(uri)
        self.tidy()
        if outcome is None or not outcome.handled:
            return types.RelatedFullDocumentDiagnosticReport(items=[])
        if previous is not None and previous == outcome.result_id:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=outcome.result_id)
        return types.RelatedFullDocumentDiagnosticReport(items=outcome.diagnostics, result_id=outcome.result_id)

    def shutdown(self) -> None:
        for task in list(self._pushing.values()):
            task.cancel()
        self.executor.shutdown(wait=False, cancel_futures=True)
