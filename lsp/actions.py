"""Code actions: a finding's fix as a quick fix, ignore pragmas, and `source.fixAll.dlint`.

Quick fixes come from the fix serialised in `Diagnostic.data` (no re-lint), and only while the
document is still at the version the diagnostic was made for. The same `Fix` objects as
`dlint --fix`; fix-all runs `docklint.fixer.fix_text`, the command line's fix loop.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from docklint.lsp import pragmas, yaml_pragmas
from docklint.lsp.convert import SOURCE, Positions, diagnostic, fix_from_data, minimal_edit, text_edits, workspace_edit
from docklint.model.source import Range, Source

if TYPE_CHECKING:
    from docklint.lsp.documents import Document
    from docklint.lsp.linting import Outcome
    from docklint.lsp.server import DlintServer
    from docklint.rule import Fix

QUICKFIX = types.CodeActionKind.QuickFix


@dataclass
class Target:
    """One diagnostic the actions are for: its rule code, our range, its fix if any."""

    code: str
    range: Range
    fix: Fix | None
    diagnostic: types.Diagnostic


def wants(only: list[str] | None, kind: str) -> bool:
    return only is None or any(kind == o or kind.startswith(f"{o}.") for o in only)


async def code_actions(ls: DlintServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
    from docklint.lsp.server import FIX_ALL_KIND

    document = ls.documents.get(params.text_document.uri)
    if document is None or document.kind is None:
        return None
    outcome = await ls.scheduler.current(document.uri)
    if outcome is None or not outcome.handled or not ls.scheduler.is_fresh(outcome, ls.documents.get(document.uri)):
        return None
    only = [str(kind) for kind in params.context.only] if params.context.only else None
    source = _source(outcome)
    positions = Positions(source, ls.encoding)
    actions: list[types.CodeAction] = []
    if wants(only, QUICKFIX):
        targets = _targets(params, document, outcome, positions)
        actions += _quick_fixes(ls, document, targets, positions)
        actions += _ignores(ls, document, outcome, targets, positions)
    if wants(only, FIX_ALL_KIND) and any(_safe(f.fix) for f in outcome.findings):
        action = types.CodeAction(
            title="Fix all safe dlint problems",
            kind=FIX_ALL_KIND,
            data={"uri": document.uri, "version": document.version},
        )
        if not ls.support.action_resolve_edit:
            action = await resolve(ls, action)
        actions.append(action)
    return actions


def _safe(fix: Fix | None) -> bool:
    return fix is not None and str(fix.safety) == "safe" and bool(fix.edits)


def _source(outcome: Outcome) -> Source:
    source = getattr(outcome.model, "source", None)
    return source if isinstance(source, Source) else Source(outcome.text)


def _targets(params: types.CodeActionParams, document: Document, outcome: Outcome, positions: Positions) -> list[Target]:
    """The dlint diagnostics in the request's context; without any, those in its range."""
    targets: list[Target] = []
    for sent in params.context.diagnostics:
        if sent.source != SOURCE or not isinstance(sent.code, str):
            continue
        data = sent.data if isinstance(sent.data, dict) else None
        if data is not None and data.get("version") != document.version:
            continue  # made for an older text: its fix would land in the wrong place
        rng = positions.range_from_client(sent.range)
        fix = fix_from_data(data["fix"]) if data is not None and "fix" in data else None
        if data is None:  # a client that does not keep `data`: find the finding itself
            fix = next((f.fix for f in outcome.findings if f.code == sent.code and f.range == rng), None)
        targets.append(Target(sent.code, rng, fix, sent))
    if params.context.diagnostics:
        return targets
    from docklint.registry import registry

    wanted = positions.range_from_client(params.range)
    by_code = registry().by_code
    for finding in outcome.findings:
        if finding.range.start <= wanted.end and wanted.start <= finding.range.end:
            made = diagnostic(finding, positions, document.version, by_code.get(finding.code))
            targets.append(Target(finding.code, finding.range, finding.fix, made))
    return targets


def _quick_fixes(ls: DlintServer, document: Document, targets: list[Target], positions: Positions) -> list[types.CodeAction]:
    actions = []
    for target in targets:
        fix = target.fix
        if fix is None or not fix.edits:
            continue
        safe = _safe(fix)
        title = f"{fix.title} ({target.code})" if safe else f"{fix.title} ({target.code}, unsafe: may change the build)"
        edit = workspace_edit(document.uri, document.version, text_edits(fix.edits, positions), ls.support.document_changes)
        actions.append(
            types.CodeAction(title=title, kind=QUICKFIX, diagnostics=[target.diagnostic], is_preferred=safe, edit=edit)
        )
    return actions


def _ignores(
    ls: DlintServer, document: Document, outcome: Outcome, targets: list[Target], positions: Positions
) -> list[types.CodeAction]:
    """"Ignore CODE for this instruction" and "Ignore CODE in this file" for each code."""
    model = outcome.model
    if document.kind not in ("dockerfile", "compose") or model is None:
        return []  # daemon.json is JSON: no comments, so no pragmas
    actions = []
    seen: set[tuple[str, object]] = set()
    for target in targets:
        line = target.range.start.line
        if document.kind == "compose":
            edits = [
                ("instruction", yaml_pragmas.ignore_entry(model, line, target.code), "for this entry"),
                ("file", yaml_pragmas.ignore_yaml_file(model, target.code), "in this file"),
            ]
        else:
            edits = [
                ("instruction", pragmas.ignore_instruction(model, line, target.code), "for this instruction"),
                ("file", pragmas.ignore_file(model, target.code), "in this file"),
            ]
        for scope, edit, words in edits:
            if edit is None:
                continue
            key = (target.code, edit.range if scope == "instruction" else "file")
            if key in seen:
                continue
            seen.add(key)
            change = workspace_edit(document.uri, document.version, text_edits([edit], positions), ls.support.document_changes)
            related = [t.diagnostic for t in targets if t.code == target.code]
            actions.append(
                types.CodeAction(title=f"Ignore {target.code} {words}", kind=QUICKFIX, diagnostics=related, edit=change)
            )
    return actions


async def resolve(ls: DlintServer, action: types.CodeAction) -> types.CodeAction:
    """Fill in the fix-all edit: every safe fix, applied by the command line's fix loop."""
    data = action.data if isinstance(action.data, dict) else {}
    document = ls.documents.get(str(data.get("uri", "")))
    if document is None or document.version != data.get("version") or action.edit is not None:
        return action
    snapshot = ls.scheduler.snapshot(document)
    loop = asyncio.get_running_loop()
    fixed = await loop.run_in_executor(ls.scheduler.executor, _fix_all, snapshot, ls.scheduler.configs)
    current = ls.documents.get(document.uri)
    if fixed is None or current is None or current.text is not snapshot.text:
        return action
    start, end, text = minimal_edit(snapshot.text, fixed)
    source = Source(snapshot.text)
    positions = Positions(source, ls.encoding)
    rng = Range(source.pos(start), source.pos(end))
    edit = types.TextEdit(range=positions.range_to_client(rng), new_text=text)
    action.edit = workspace_edit(document.uri, document.version, [edit] if start != end or text else [], ls.support.document_changes)
    return action


def _fix_all(snapshot: Any, configs: Any) -> str | None:
    """The text with every safe fix applied (in a worker thread); None if the loop failed."""
    import logging

    from docklint.fixer import FixLoopError, fix_text

    try:
        config = configs.get(snapshot.directory, snapshot.settings)
        return str(fix_text(snapshot.text, snapshot.path, config, context_dir=snapshot.directory, kind=snapshot.kind).text)
    except FixLoopError as error:
        logging.getLogger("docklint.lsp").error("fix all: %s", error)
        return None
    except Exception:  # noqa: BLE001 - never take the server down
        logging.getLogger("docklint.lsp").exception("fix all failed")
        return None

