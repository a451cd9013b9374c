"""Code actions over a real session: quick fixes, ignore pragmas, fix-all, stale diagnostics."""

from __future__ import annotations

from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from docklint.config_files import config_from_mapping
from docklint.fixer import apply_edits, fix_text
from docklint.model.source import Pos, Range
from docklint.rule import TextEdit
from tests.lsp.helpers import change, config, open_and_wait, published, rng, summary

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.filterwarnings("error::pytest_lsp.checks.LspSpecificationWarning"),
]

CLIENTS = ["visual-studio-code", "neovim@v0.7.0", "emacs"]
SELECT = ["DL3020", "DL4000", "DL3000", "RT101"]
TEXT = "FROM alpine:3.20\nMAINTAINER Jane Doe\n    ADD app.py /srv/\nADD b.txt /b/\nWORKDIR app\n"


@pytest_lsp.fixture(scope="module", params=CLIENTS, config=config())
async def client(request: pytest.FixtureRequest, lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    params = types.InitializeParams(
        capabilities=client_capabilities(request.param), initialization_options={"dlint": {"select": SELECT}}
    )
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


def uri(name: str) -> str:
    return f"file:///nonexistent/dlint-lsp-actions/{name}/Dockerfile"


async def actions(
    client: LanguageClient, target: str, diagnostics: list[types.Diagnostic], where: types.Range | None = None,
    only: list[str] | None = None,
) -> list[types.CodeAction]:
    where = where or (diagnostics[0].range if diagnostics else rng(0, 0, 0, 0))
    context = types.CodeActionContext(diagnostics=diagnostics, only=only)
    result = await client.text_document_code_action_async(
        types.CodeActionParams(types.TextDocumentIdentifier(target), where, context)
    )
    return [a for a in result or [] if isinstance(a, types.CodeAction)]


def edits_of(action: types.CodeAction, target: str) -> list[types.TextEdit]:
    """The edits for `target`, whichever shape the client asked for."""
    assert action.edit is not None, action.title
    if action.edit.document_changes:
        (change_,) = action.edit.document_changes
        assert isinstance(change_, types.TextDocumentEdit) and change_.text_document.uri == target
        return list(change_.edits)  # type: ignore[arg-type]
    assert action.edit.changes is not None
    return list(action.edit.changes[target])


def apply(text: str, edits: list[types.TextEdit]) -> str:
    """Apply LSP edits to ASCII text (where every encoding counts code points)."""
    ours = [
        TextEdit(Range(Pos(e.range.start.line, e.range.start.character), Pos(e.range.end.line, e.range.end.character)), e.new_text)
        for e in edits
    ]
    return apply_edits(text, ours)


def of(diagnostics: list[types.Diagnostic], code: str) -> list[types.Diagnostic]:
    return [d for d in diagnostics if d.code == code]


async def reopen_with(client: LanguageClient, target: str, version: int, text: str) -> list[Any]:
    after = change(client, target, version, text)
    return list((await published(client, target, version=version, after=after)).diagnostics)


async def test_safe_fix_is_a_preferred_quickfix_that_removes_the_finding(client: LanguageClient) -> None:
    target = uri("safe")
    diagnostics = await open_and_wait(client, target, TEXT)
    add = of(diagnostics, "DL3020")[0]
    found = await actions(client, target, [add])
    assert [a.title for a in found] == [
        "Replace `ADD` with `COPY` (DL3020)",
        "Ignore DL3020 for this instruction",
        "Ignore DL3020 in this file",
        "Fix all safe dlint problems",
    ]
    fix = found[0]
    assert fix.kind == types.CodeActionKind.QuickFix and fix.is_preferred is True
    assert [d.code for d in fix.diagnostics or []] == ["DL3020"]
    assert edits_of(fix, target) == [types.TextEdit(rng(2, 4, 2, 7), "COPY")]
    fixed = apply(TEXT, edits_of(fix, target))
    after = await reopen_with(client, target, 2, fixed)
    assert summary(after) == [("DL4000", 1, 0, 1, 10), ("DL3020", 3, 4, 3, 9), ("DL3000", 4, 8, 4, 11)]


async def test_unsafe_fix_is_offered_but_not_preferred(client: LanguageClient) -> None:
    target = uri("unsafe")
    diagnostics = await open_and_wait(client, target, TEXT)
    found = await actions(client, target, of(diagnostics, "DL4000"), only=[types.CodeActionKind.QuickFix])
    fix = found[0]
    assert fix.title == "Replace with an authors label (DL4000, unsafe: may change the build)"
    assert not fix.is_preferred
    assert apply(TEXT, edits_of(fix, target)).splitlines()[1] == 'LABEL org.opencontainers.image.authors="Jane Doe"'
    assert [a.title for a in found[1:]] == ["Ignore DL4000 for this instruction", "Ignore DL4000 in this file"]


async def test_ignore_for_the_instruction_keeps_indentation_and_silences_it(client: LanguageClient) -> None:
    target = uri("ignore-instruction")
    diagnostics = await open_and_wait(client, target, TEXT)
    found = await actions(client, target, of(diagnostics, "DL3020")[:1])
    ignore = next(a for a in found if a.title == "Ignore DL3020 for this instruction")
    assert not ignore.is_preferred
    text = apply(TEXT, edits_of(ignore, target))
    assert text.splitlines()[2:4] == ["    # dlint ignore=DL3020", "    ADD app.py /srv/"]
    after = await reopen_with(client, target, 2, text)
    assert [d.code for d in after] == ["DL4000", "DL3020", "DL3000"]  # only the other ADD remains
    assert of(after, "DL3020")[0].range.start.line == 4


async def test_ignore_extends_an_existing_pragma_with_crlf(client: LanguageClient) -> None:
    target = uri("ignore-existing")
    text = "FROM alpine:3.20\r\n# keep this\r\n# dlint ignore=DL3000\r\nADD a /b/\r\n"
    diagnostics = await open_and_wait(client, target, text)
    found = await actions(client, target, of(diagnostics, "DL3020"))
    ignore = next(a for a in found if a.title == "Ignore DL3020 for this instruction")
    assert edits_of(ignore, target) == [types.TextEdit(rng(2, 21, 2, 21), ",DL3020")]
    whole_file = next(a for a in found if a.title == "Ignore DL3020 in this file")
    assert apply(text, edits_of(whole_file, target)).startswith("# dlint global ignore=DL3020\r\nFROM")
    after = await reopen_with(client, target, 2, apply(text, edits_of(ignore, target)))
    assert len(after) == 0


async def test_ignore_in_file_goes_after_parser_directives_or_into_a_global_pragma(client: LanguageClient) -> None:
    target = uri("ignore-file")
    text = "# syntax=docker/dockerfile:1\n# escape=\\\nFROM alpine:3.20\nWORKDIR a\nWORKDIR b\n"
    diagnostics = await open_and_wait(client, target, text)
    found = await actions(client, target, of(diagnostics, "DL3000")[:1])
    whole_file = next(a for a in found if a.title == "Ignore DL3000 in this file")
    text = apply(text, edits_of(whole_file, target))
    assert text.splitlines()[:3] == ["# syntax=docker/dockerfile:1", "# escape=\\", "# dlint global ignore=DL3000"]
    after = await reopen_with(client, target, 2, text + "ADD x /y/\n")
    found = await actions(client, target, of(after, "DL3020"))
    extend = next(a for a in found if a.title == "Ignore DL3020 in this file")
    assert edits_of(extend, target) == [types.TextEdit(rng(2, 28, 2, 28), ",DL3020")]


async def test_fix_all_applies_every_safe_fix_like_the_command_line(client: LanguageClient) -> None:
    target = uri("fix-all")
    await open_and_wait(client, target, TEXT)
    found = await actions(client, target, [], only=["source.fixAll"])
    (fix_all,) = found
    assert fix_all.kind == "source.fixAll.dlint"
    if fix_all.edit is None:  # the client resolves lazily
        fix_all = await client.code_action_resolve_async(fix_all)
    expected = fix_text(TEXT, "Dockerfile", config_from_mapping({"select": SELECT})).text
    assert apply(TEXT, edits_of(fix_all, target)) == expected
    assert "COPY app.py" in expected and "COPY b.txt" in expected and "MAINTAINER" in expected
    assert await actions(client, target, [], only=["refactor"]) == []


async def test_diagnostics_from_an_older_version_get_no_actions(client: LanguageClient) -> None:
    target = uri("stale")
    diagnostics = await open_and_wait(client, target, TEXT)
    await reopen_with(client, target, 2, "\n" + TEXT)  # everything moved down a line
    assert await actions(client, target, of(diagnostics, "DL3020"), only=[types.CodeActionKind.QuickFix]) == []


async def test_diagnostics_without_data_and_requests_without_diagnostics(client: LanguageClient) -> None:
    target = uri("no-data")
    diagnostics = await open_and_wait(client, target, TEXT)
    bare = of(diagnostics, "DL3020")[1]
    bare = types.Diagnostic(range=bare.range, message=bare.message, code=bare.code, source=bare.source)
    found = await actions(client, target, [bare], only=[types.CodeActionKind.QuickFix])
    assert edits_of(found[0], target) == [types.TextEdit(rng(3, 0, 3, 3), "COPY")]
    found = await actions(client, target, [], where=rng(4, 9, 4, 9), only=[types.CodeActionKind.QuickFix])
    assert [a.title for a in found] == ["Ignore DL3000 for this instruction", "Ignore DL3000 in this file"]


async def test_ignore_actions_in_a_compose_file(client: LanguageClient) -> None:
    target = "file:///nonexistent/dlint-lsp-actions/compose-ignore/compose.yaml"
    text = "services:\n  web:\n    image: nginx:1.27\n    privileged: true\n  db:\n    privileged: true\n"
    diagnostics = await open_and_wait(client, target, text, language="dockercompose")
    assert [(d.code, d.range.start.line) for d in diagnostics] == [("RT101", 3), ("RT101", 5)]
    found = await actions(client, target, diagnostics[:1])
    titles = [a.title for a in found]
    assert "Ignore RT101 for this entry" in titles and "Ignore RT101 in this file" in titles
    entry = next(a for a in found if a.title == "Ignore RT101 for this entry")
    silenced = apply(text, edits_of(entry, target))
    assert silenced.splitlines()[3:5] == ["    # dlint ignore=RT101", "    privileged: true"]
    after = await reopen_with(client, target, 2, silenced)
    assert [(d.code, d.range.start.line) for d in after] == [("RT101", 6)]  # the db service's remains
    whole = next(a for a in found if a.title == "Ignore RT101 in this file")
    assert await reopen_with(client, target, 3, apply(text, edits_of(whole, target))) == []
